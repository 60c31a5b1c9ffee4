"""The parameter table: one declaration checked at the boundary, for audit() and the CLI."""
from __future__ import annotations

import inspect
from dataclasses import fields

import numpy as np
import pytest

import synthcheck
from synthcheck.auditing.parameters import AuditParameters, option_name
from synthcheck.auditing.pipeline import (
    assemble,
    find_copies,
    make_release,
    measure,
    plan_audit,
    read_inputs,
    score,
)
from synthcheck.cli.main import build_parser
from synthcheck.errors import InputError
from synthcheck.support.progress import Progress


@pytest.fixture(scope="module")
def small(adult):
    return adult["train"].head(300), adult["holdout"].head(300), adult["population"].head(300)


def test_audit_takes_every_parameter_of_the_table_with_its_default():
    signature = inspect.signature(synthcheck.audit).parameters
    for item in fields(AuditParameters):
        assert signature[item.name].kind is inspect.Parameter.KEYWORD_ONLY, item.name
        assert signature[item.name].default == item.default, item.name
    assert not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in signature.values())


def test_the_command_line_has_an_option_per_parameter():
    audit_parser = build_parser()._subparsers._group_actions[0].choices["audit"]
    options = {o for action in audit_parser._actions for o in action.option_strings}
    assert {option_name(item.name) for item in fields(AuditParameters)} <= options


def test_a_misspelt_keyword_is_pythons_own_type_error(small):
    train, holdout, synthetic = small
    with pytest.raises(TypeError, match="idcolumn"):
        synthcheck.audit(train, holdout, synthetic=synthetic, idcolumn="person_id")
    with pytest.raises(TypeError, match="shadow"):
        synthcheck.audit(train, holdout, generator="sdv:GaussianCopula", shadow=64)


@pytest.mark.parametrize("keyword, value, fragment", [
    ("seed", "7", "seed: must be an integer from 0 to 4294967295, got '7' (a str)"),
    ("seed", -1, "seed: must be an integer from 0 to 4294967295, got -1"),
    ("seed", 1.5, "seed: must be an integer"),
    ("seed", True, "seed: must be an integer"),
    ("folds", 1, "folds: must be an integer from 2 to 50, got 1"),
    ("confidence", 1.0, "confidence: must be in [0.5, 1), got 1"),
    ("confidence", "high", "confidence: must be a number in [0.5, 1)"),
    ("delta", -0.1, "delta: must be in [0, 1)"),
    ("density", "kernel", "density: must be one of auto, kde, classifier, got 'kernel'"),
    ("neighbours", "fast", "neighbours: must be one of auto, exact, approx"),
    ("attacks", "telepathy", "attacks: unknown attack 'telepathy'"),
    ("attacks", [], "attacks: no attacks selected"),
    ("attacks", 3, "attacks: must be a list of attack names"),
    ("drop_overlap", "yes", "drop_overlap: must be True or False"),
    ("max_candidates", 0, "max_candidates: must be an integer >= 1, got 0"),
    ("id_column", 5, "id_column: must be a non-empty string"),
    ("policy", 3.5, "policy: must be a Policy, a TOML file, TOML text or a dict"),
])
def test_a_wrong_type_or_value_names_the_parameter(small, keyword, value, fragment):
    train, holdout, synthetic = small
    with pytest.raises(InputError) as caught:
        synthcheck.audit(train, holdout, synthetic=synthetic, **{keyword: value})
    assert str(caught.value).startswith(fragment), str(caught.value)


def test_values_are_shown_as_written_not_as_numpy_reprs():
    with pytest.raises(InputError) as caught:
        AuditParameters(folds=np.int64(60))
    assert "got 60" in str(caught.value) and "np.int64" not in str(caught.value)
    assert AuditParameters(seed=np.int64(3)).seed == 3


@pytest.mark.slow
def test_one_attack_name_is_a_list_of_one(small):
    train, holdout, synthetic = small
    result = synthcheck.audit(train, holdout, synthetic=synthetic, attacks="dcr",
                              id_column="person_id")
    assert list(result.document["attacks"]) == ["dcr"]
    assert result.document["parameters"]["attacks"] == ["dcr"]
    assert repr(result).startswith("<Audit ") and len(repr(result)) < 200


@pytest.mark.parametrize("keyword, value", [("shadows", 8), ("jobs", 2),
                                            ("generator_params", {"epochs": 3})])
def test_generator_options_without_a_generator_are_refused(small, keyword, value):
    train, holdout, synthetic = small
    with pytest.raises(InputError, match=f"^{keyword}: applies only with a generator"):
        synthcheck.audit(train, holdout, synthetic=synthetic, **{keyword: value})


@pytest.mark.slow
def test_the_steps_run_one_by_one(small):
    train, holdout, synthetic = small
    parameters = AuditParameters(id_column="person_id", attacks=("dcr",))
    real = read_inputs(train, holdout, None, parameters, lambda m: None)
    assert len(real.train_typed) == 300 and real.types.id_column == "person_id"
    release = make_release(synthetic, None, real, parameters, lambda m: None)
    plan = plan_audit(real, release, parameters, Progress(False), lambda m: None)
    assert plan.attack_names == ["dcr"] and plan.inputs.is_member.sum() == 300
    scored = score(plan, lambda m: None)
    assert scored.scores["dcr"].shape == (600,)
    measured = measure(scored, plan, parameters, find_copies(real, release, plan, scored))
    assert measured.verdict.outcome in ("PASS", "FAIL", "INCONCLUSIVE")
    result = assemble(real, release, plan, scored, measured, parameters)
    whole = synthcheck.audit(train, holdout, synthetic=synthetic, id_column="person_id",
                             attacks=["dcr"])
    assert result.document["attacks"] == whole.document["attacks"]
    assert result.document["audit_id"] == whole.document["audit_id"]


@pytest.mark.slow
def test_max_candidates_too_small_names_the_parameter_and_the_minimum(small):
    train, holdout, synthetic = small
    with pytest.raises(InputError) as caught:
        synthcheck.audit(train, holdout, synthetic=synthetic, max_candidates=50)
    message = str(caught.value)
    assert message.startswith("max_candidates: 50 candidates keep only 25"), message
    assert "use at least 100" in message
    synthcheck.audit(train, holdout, synthetic=synthetic, max_candidates=100, attacks="dcr")
