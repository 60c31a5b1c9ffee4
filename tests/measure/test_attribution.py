"""Column attribution and record reasons (synthcheck.measure.attribution) on real tables."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthcheck.auditing import pipeline
from synthcheck.auditing.parameters import AuditParameters
from synthcheck.distance.neighbours import nearest
from synthcheck.measure import stats
from synthcheck.measure.attribution import attribute_columns, record_reasons
from synthcheck.support.progress import Progress
from tests.conftest import FIXTURES


def plan_for(train, holdout, synthetic, id_column=None) -> pipeline.Plan:
    parameters = AuditParameters(id_column=id_column)
    parameters.check_with(generator=False, synthetic=True)
    real = pipeline.read_inputs(train, holdout, None, parameters, lambda message: None)
    release = pipeline.make_release(synthetic, None, real, parameters, lambda message: None)
    return pipeline.plan_audit(real, release, parameters, Progress(False), lambda message: None)


def half_column_leak(adult: dict, leaked: list[str], seed: int) -> pd.DataFrame:
    """Each synthetic row: one member's values in ``leaked``, another real record's (from the
    population, never scored) in every other column."""
    release = adult["population"].sample(frac=1, random_state=seed).reset_index(drop=True)
    members = adult["train"].sample(frac=1, random_state=seed + 10).reset_index(drop=True)
    for column in leaked:
        release[column] = members[column].to_numpy()
    return release


def test_paired_auc_difference_by_hand():
    members, non_members = np.array([3.0, 2.0, 1.0]), np.array([0.0, 1.5, 2.5])
    # a: 3 beats all, 2 beats 2 of 3, 1 beats 1: AUC 6/9; b moves the lowest member below
    # every non-member (it beats none): AUC 5/9
    b_members = np.array([3.0, 2.0, -1.0])
    found = stats.paired_auc_difference(members, non_members, b_members, non_members)
    assert found.value == pytest.approx(6 / 9 - 5 / 9)
    assert found.low < found.value < found.high
    same = stats.paired_auc_difference(members, non_members, members * 10, non_members * 10)
    assert (same.value, same.low, same.high) == (0.0, 0.0, 0.0)  # a monotone map changes no rank


def test_leave_out_distances_are_those_of_the_encoding_without_the_column(adult):
    plan = plan_for(adult["train"].head(300), adult["holdout"].head(300),
                    adult["population"].head(400), "person_id")
    inputs = plan.inputs
    from synthcheck.measure.attribution import _leave_out

    blocks = inputs.encoder.column_blocks()
    starts = np.array([block.start for _, block in blocks])
    query, base = inputs.encoded_candidates, inputs.encoded_synthetic
    found = _leave_out(query, base, 32, starts, None)
    assert np.allclose(found.full, nearest(query, base, 1).distances[:, 0], atol=1e-5)
    checked = 0
    for c, (name, block) in enumerate(blocks):
        keep = np.ones(base.shape[1], bool)
        keep[block] = False
        truth = nearest(query[:, keep], base[:, keep], 1).distances[:, 0]
        exact = found.exact[:, c]
        assert np.allclose(found.without[exact, c], truth[exact], atol=1e-4), name
        assert (found.without[:, c] >= truth - 1e-4).all(), name  # an upper bound elsewhere
        checked += exact.sum()
    assert checked > 0.3 * len(query) * len(blocks)


def test_the_leaked_half_of_the_columns_ranks_first(adult):
    columns = [c for c in adult["train"].columns if c != "person_id"]
    leaked = list(np.random.default_rng(0).choice(columns, len(columns) // 2, replace=False))
    plan = plan_for(adult["train"], adult["holdout"], half_column_leak(adult, leaked, 0),
                    "person_id")
    found = attribute_columns(plan.resolved, plan.inputs)
    assert set(found.attacks) == {"dcr", "dcr-ratio", "density-ratio", "query-match"}
    assert set(found.not_attributed) == {"exact-copy"}
    for name, attack in found.attacks.items():
        top = [effect.column for effect in attack.columns[:len(leaked)]]
        assert sum(column in leaked for column in top) >= 0.75 * len(leaked), (name, top)
        assert attack.driving, name  # the leak is seen, not only ranked
        assert all(effect.column in leaked for effect in attack.driving), (name, attack.driving)


def test_no_column_stands_out_on_a_clean_release(adult):
    plan = plan_for(adult["train"], adult["holdout"], adult["population"], "person_id")
    found = attribute_columns(plan.resolved, plan.inputs)
    for name, attack in found.attacks.items():
        assert attack.driving == [], (name, attack.driving)
        assert abs(attack.columns[0].auc_drop.value) < 0.02


@pytest.mark.slow
def test_the_replayed_free_text_column_ranks_first_on_loans():
    # SDV GaussianCopula replays train's emp_title values (fixtures/make_loans_gaussiancopula.py)
    folder = FIXTURES / "loans_gaussiancopula"
    train, holdout, synthetic = (pd.read_csv(folder / f"{part}.csv.gz", low_memory=False)
                                 for part in ("train", "holdout", "synthetic"))
    plan = plan_for(train, holdout, synthetic)
    found = attribute_columns(plan.resolved, plan.inputs)
    for name in ("dcr-ratio", "density-ratio"):
        attack = found.attacks[name]
        assert attack.columns[0].column == "emp_title", name
        assert [e.column for e in attack.driving] == ["emp_title"], name


def test_record_reasons_name_the_columns_a_near_copy_matches(adult):
    from tests.conftest import near_copies

    train = adult["train"]
    release = pd.concat([near_copies(train.head(200), 1), adult["population"].head(1300)],
                        ignore_index=True)
    plan = plan_for(train, adult["holdout"], release, "person_id")
    reasons = record_reasons(plan.inputs)
    copied = reasons["matches_exactly"][:200]  # candidates: train rows first
    # near copies keep every category and move numbers by ~1 %: the categories match exactly
    assert all("occupation" in text and "native_country" in text for text in copied)
    nearly = reasons["matches_nearly"][:200]
    assert sum("fnlwgt" in text for text in nearly) > 150  # moved by 1 %: within 0.1 sd
    members = plan.inputs.is_member
    assert (np.median(reasons["distance_to_synthetic"][:200])
            < np.median(reasons["distance_to_synthetic"][~members]))
    assert len(reasons["distance_to_reference"]) == len(members)


@pytest.mark.parametrize("columns", [0, 1, 15, 63, 70])
def test_matched_column_names_per_row_as_sorting_the_packed_rows_gave(columns):
    from synthcheck.measure.attribution import _joined

    rng = np.random.default_rng(columns)
    names = np.array([f"c{i}" for i in range(columns)], dtype=object)
    mask = rng.random((2000, columns)) < 0.8
    mask[::4] = mask[0]  # repeated patterns
    patterns, inverse = np.unique(np.packbits(mask, axis=1), axis=0, return_inverse=True)
    texts = [", ".join(names[np.unpackbits(p)[:columns].astype(bool)]) for p in patterns]
    expected = np.array(texts, dtype=object)[np.asarray(inverse).ravel()]
    found = _joined(mask, names)
    assert found.dtype == object and found.tolist() == expected.tolist()
