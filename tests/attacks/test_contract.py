"""The attack contract, for every registered attack on a tiny real table: one score per
candidate, never NaN, a frozen result, the same scores for the same seed, inputs left as they
were, parameters validated by the attack, ``auto`` resolved by the attack."""
from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pandas as pd
import pytest

import synthcheck
from synthcheck import attacks as registry
from synthcheck.attacks import REGISTRY, Attack, AttackInputs, AttackScores
from synthcheck.attacks.density_ratio import DensityRatio
from synthcheck.distance.crossfit import make_folds
from synthcheck.distance.encode import MixedEncoder
from synthcheck.errors import InputError
from synthcheck.inputs.columns import coerce_table, decide_types
from synthcheck.inputs.load import load_table

ROWS = 120
TOY = "synthcheck.generators.controls:NoisyCopies"  # the toys' well-behaved parent


def tiny_inputs(adult, attacks: list[Attack], seed: int = 0) -> tuple[AttackInputs, list[Attack]]:
    """Inputs built as the pipeline builds them, on 120 train, 120 holdout and 120 release rows."""
    from synthcheck.generators import prepare_release

    train = load_table(adult["train"].head(ROWS), "train")
    holdout = load_table(adult["holdout"].head(ROWS), "holdout")
    # a clean release with ten train rows pasted in, so every attack has something to see
    release = load_table(pd.concat([adult["population"].head(ROWS - 10), adult["train"].head(10)],
                                   ignore_index=True), "synthetic")
    types = decide_types(train, None, "person_id")
    typed = {t.role: coerce_table(t, types) for t in (train, holdout, release)}
    candidates = pd.concat([typed["train"], typed["holdout"]], ignore_index=True)
    is_member = np.r_[np.ones(ROWS, bool), np.zeros(ROWS, bool)]
    encoder = MixedEncoder(types).fit(typed["synthetic"], set())
    setup = None
    if any(a.requires_generator for a in attacks):
        _, setup, _ = prepare_release(TOY, train, types, release.frame, seed=seed,
                                      log=lambda m: None, holdout=holdout, shadows=4, jobs=1)
    resolved, search = registry.resolve(attacks, len(candidates), ROWS, "exact")
    inputs = AttackInputs(
        candidates=candidates, is_member=is_member, synthetic=typed["synthetic"], types=types,
        encoder=encoder, encoded_candidates=encoder.transform(candidates),
        encoded_synthetic=encoder.transform(typed["synthetic"]),
        folds=make_folds(is_member, 3, seed), seed=seed, generator=setup,
        neighbour_search=search)
    inputs.kde_bandwidth = registry.kernel_bandwidth(resolved, inputs)
    return inputs, resolved


def snapshot(inputs: AttackInputs) -> dict:
    return {"candidates": inputs.candidates.copy(deep=True),
            "synthetic": inputs.synthetic.copy(deep=True),
            "is_member": inputs.is_member.copy(),
            "encoded_candidates": inputs.encoded_candidates.copy(),
            "encoded_synthetic": inputs.encoded_synthetic.copy(),
            "types": copy.deepcopy(inputs.types)}


def every_attack() -> list[Attack]:
    return [cls() for cls in REGISTRY.values()]


@pytest.mark.parametrize("name", list(REGISTRY))
def test_every_registered_attack_keeps_the_contract(adult, name):
    attack = REGISTRY[name]()
    attack.validate()
    inputs, (resolved,) = tiny_inputs(adult, [attack])
    before = snapshot(inputs)
    resolved_state = copy.deepcopy(vars(resolved))
    first = resolved.score(inputs)
    assert isinstance(first, AttackScores)
    assert first.scores.shape == (2 * ROWS,) and first.scores.dtype == np.float64
    assert np.isfinite(first.scores).all()
    assert np.unique(first.scores).size > 1  # it looked at the records
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.scores = np.zeros(2 * ROWS)
    with pytest.raises(ValueError):
        first.scores[0] = 1.0
    with pytest.raises(TypeError):
        first.details["added"] = 1
    for values in first.record_columns.values():
        assert len(values) == 2 * ROWS
    # inputs untouched
    after = snapshot(inputs)
    pd.testing.assert_frame_equal(before["candidates"], after["candidates"])
    pd.testing.assert_frame_equal(before["synthetic"], after["synthetic"])
    for key in ("is_member", "encoded_candidates", "encoded_synthetic"):
        np.testing.assert_array_equal(before[key], after[key])
    assert before["types"] == after["types"]
    # no state: the same attack again on the same inputs, and on fresh inputs with the same seed
    again = resolved.score(inputs)
    np.testing.assert_array_equal(first.scores, again.scores)
    fresh_inputs, (fresh,) = tiny_inputs(adult, [REGISTRY[name]()])
    fresh_scores = fresh.score(fresh_inputs)
    np.testing.assert_array_equal(first.scores, fresh_scores.scores)
    assert dict(first.details) == dict(fresh_scores.details)
    # scoring left nothing on the attack that scored (the resolved one) nor on the one asked for
    assert vars(resolved).keys() == resolved_state.keys()
    assert all(_same(vars(resolved)[k], resolved_state[k]) for k in resolved_state)
    assert vars(attack) == vars(REGISTRY[name]())


def _same(a, b) -> bool:
    """Equality for attack attributes, arrays and frames included."""
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and np.array_equal(a, b)
    if isinstance(a, (pd.DataFrame, pd.Series)):
        return a.equals(b)
    return a == b


def test_attacks_validate_their_parameters():
    with pytest.raises(InputError, match="estimator must be one of auto, kde, classifier"):
        DensityRatio(estimator="kernel").validate()
    with pytest.raises(InputError, match="max_iter must be a whole number"):
        DensityRatio(max_iter=2.5).validate()
    with pytest.raises(InputError, match="floor_fraction"):
        REGISTRY["dcr-ratio"](floor_fraction=0).validate()
    with pytest.raises(InputError, match="prior"):
        REGISTRY["shadow"](prior=-1.0).validate()
    for attack in every_attack():
        attack.validate()  # the defaults are valid


def test_density_ratio_resolves_its_own_estimator_and_asks_for_exact_search():
    auto = DensityRatio()
    assert auto.resolve(3000, 1500, "exact").estimator == "kde"
    assert auto.resolve(200_000, 200_000, "exact").estimator == "classifier"  # over the pair budget
    assert auto.resolve(3000, 1500, "approx").estimator == "classifier"
    assert auto.estimator == "auto"  # resolving returns a copy
    resolved, search = registry.resolve([DensityRatio("kde")], 3000, 1500, "approx")
    assert resolved[0].needs_exact_neighbours() and search == "exact"
    resolved, search = registry.resolve([DensityRatio()], 3000, 1500, "approx")
    assert search == "approx"


@pytest.mark.slow
def test_audit_accepts_attack_instances_with_their_parameters(adult):
    train, holdout = adult["train"].head(300), adult["holdout"].head(300)
    synthetic = adult["population"].head(300)
    by_instance = synthcheck.audit(train, holdout, synthetic=synthetic, id_column="person_id",
                                   attacks=[DensityRatio(estimator="classifier", max_iter=20),
                                            "dcr"])
    parameters = by_instance.document["parameters"]
    assert parameters["attacks"] == ["density-ratio", "dcr"]
    assert parameters["attack_parameters"]["density-ratio"] == {"estimator": "classifier",
                                                                "max_iter": 20}
    assert by_instance.document["attacks"]["density-ratio"]["details"]["estimator"] == "classifier"
    by_name = synthcheck.audit(train, holdout, synthetic=synthetic, id_column="person_id",
                               attacks=["density-ratio"], density="kde")
    assert by_name.document["parameters"]["attack_parameters"]["density-ratio"] == {
        "estimator": "kde", "max_iter": 200}
    assert by_name.document["attacks"]["density-ratio"]["details"]["estimator"] == "kde"
    with pytest.raises(InputError, match="more than once"):
        synthcheck.audit(train, holdout, synthetic=synthetic, attacks=["dcr", REGISTRY["dcr"]()])
    with pytest.raises(InputError, match="parameter estimator"):
        synthcheck.audit(train, holdout, synthetic=synthetic, attacks=[DensityRatio("kernel")])
