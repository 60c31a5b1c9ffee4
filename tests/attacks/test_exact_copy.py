"""Exact copies: five verbatim train rows in a clean release FAIL; natural duplicates (a table
with heavy ties) do not; the exact test is exact."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom

import synthcheck
from synthcheck.inputs.rows import found_rows, row_hashes
from synthcheck.measure.copies import (
    BERGER_BOOS_GAMMA,
    CopyCount,
    _rate_interval,
    exceeds_baseline,
    signed_root_lr,
)
from synthcheck.verdict.policy import default_policy
from tests.conftest import FIXTURES


def with_pasted_rows(adult, count: int, seed: int) -> pd.DataFrame:
    """A clean release (other real records) with ``count`` train rows pasted in verbatim."""
    rng = np.random.default_rng(seed)
    pasted = adult["train"].iloc[rng.choice(len(adult["train"]), count, replace=False)]
    honest = adult["population"].iloc[rng.choice(len(adult["population"]),
                                                 len(adult["population"]) - count, replace=False)]
    return pd.concat([honest, pasted]).sample(frac=1, random_state=seed).reset_index(drop=True)


@pytest.mark.slow
def test_five_verbatim_train_rows_in_a_clean_release_fail(adult):
    release = with_pasted_rows(adult, 5, seed=0)
    result = synthcheck.audit(adult["train"], adult["holdout"], synthetic=release,
                              id_column="person_id", seed=0)
    rows = result.document["copies"]["rows"]
    assert (rows["members_found"], rows["non_members_found"]) == (5, 0)
    assert rows["members"] == rows["non_members"] == 1500
    assert result.verdict == "FAIL"
    failed = {r["check"] for r in result.document["verdict_reasons"] if r["outcome"] == "FAIL"}
    assert "copied_rows" in failed
    # the five are the records flagged by the exact-copy attack, by id
    records = result.records
    assert records.loc[records["score_exact-copy"] > 0, "member"].sum() == 5
    assert "exact copies of rows (15 audited columns): 5 of 1500 members, 0 of 1500" in result.summary


@pytest.mark.slow
def test_exact_copies_are_found_after_type_coercion(adult):
    """Numbers written as text, and 40.0 for 40, are the same value after coercion."""
    pasted = adult["train"].head(3).astype(str)
    pasted["age"] = pasted["age"] + ".0"
    release = pd.concat([adult["population"].head(300).astype(str), pasted], ignore_index=True)
    result = synthcheck.audit(adult["train"], adult["holdout"], synthetic=release,
                              id_column="person_id", attacks=["exact-copy"])
    assert result.document["copies"]["rows"]["members_found"] == 3


@pytest.mark.slow
def test_clean_release_has_no_copies_and_passes_the_copy_checks(adult):
    result = synthcheck.audit(adult["train"], adult["holdout"], synthetic=adult["population"],
                              id_column="person_id", attacks=["exact-copy"])
    assert result.document["copies"]["rows"]["members_found"] == 0
    assert result.verdict == "PASS"


@pytest.fixture(scope="module")
def ties() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "cps_ties.csv.gz")


def split(pool: pd.DataFrame, seed: int, size: int = 1500) -> list[pd.DataFrame]:
    rows = np.random.default_rng(seed).choice(len(pool), 3 * size, replace=False)
    return [pool.iloc[rows[i * size:(i + 1) * size]].reset_index(drop=True) for i in range(3)]


@pytest.mark.slow
def test_a_clean_release_of_a_table_with_heavy_ties_does_not_fail(ties):
    train, holdout, population = split(ties, seed=0)
    result = synthcheck.audit(train, holdout, synthetic=population, drop_overlap=True,
                              attacks=["exact-copy"], seed=0)
    rows = result.document["copies"]["rows"]
    # natural duplicates on both sides: there was something for the baseline to explain
    assert rows["members_found"] >= 10 and rows["non_members_found"] >= 10
    assert result.verdict == "PASS"


@pytest.mark.slow
def test_copy_test_false_alarm_rate_on_heavy_ties_is_at_most_alpha(ties):
    """60 clean releases of the ties table, the copy test at the whole alpha (0.05): about 3
    false alarms expected; 8 or more would happen with probability 0.005 if it held alpha.
    Members whose row is also a holdout row are left out, as the pipeline does when it drops
    such holdout rows (otherwise the holdout keeps only rarer rows and members look copied)."""
    alarms = 0
    for seed in range(60):
        train, holdout, population = split(ties, seed)
        in_holdout = found_rows(train, holdout)
        kept = ~found_rows(holdout, train)
        candidates = pd.concat([train, holdout[kept]], ignore_index=True)
        is_member = np.r_[np.ones(len(train), bool), np.zeros(int(kept.sum()), bool)]
        counted = np.r_[~in_holdout, np.ones(int(kept.sum()), bool)]
        count = CopyCount.of(found_rows(candidates, population), is_member, counted)
        alarms += count.p_value <= default_policy().alpha
    assert alarms <= 7


def test_row_hashes_treat_signed_zero_and_missing_alike():
    a = pd.DataFrame({"x": [0.0, np.nan, 1.5], "c": ["a", None, "b"]})
    b = pd.DataFrame({"x": [-0.0, float("nan"), 1.5000001], "c": ["a", None, "b"]})
    assert list(row_hashes(a) == row_hashes(b)) == [True, True, False]


def brute_force_p(x1: int, n1: int, x0: int, n0: int) -> float:
    """Every table, the largest tail over a fine grid of rates in the same interval."""
    k1, k0 = np.meshgrid(np.arange(n1 + 1), np.arange(n0 + 1), indexing="ij")
    t = signed_root_lr(x1, n1, x0, n0)
    region = signed_root_lr(k1, n1, k0, n0) >= t - 1e-9 * max(1.0, t)
    low, high = _rate_interval(x1 + x0, n1 + n0, BERGER_BOOS_GAMMA)
    tails = [np.outer(binom.pmf(np.arange(n1 + 1), n1, pi),
                      binom.pmf(np.arange(n0 + 1), n0, pi))[region].sum()
             for pi in np.linspace(max(low, 1e-9), min(high, 1 - 1e-9), 801)]
    return max(tails) + BERGER_BOOS_GAMMA


@pytest.mark.parametrize("x1,n1,x0,n0", [(5, 20, 0, 20), (9, 20, 3, 20), (6, 10, 4, 30),
                                         (18, 25, 4, 15), (3, 12, 0, 30)])
def test_the_exact_test_matches_brute_force(x1, n1, x0, n0):
    assert exceeds_baseline(x1, n1, x0, n0) == pytest.approx(brute_force_p(x1, n1, x0, n0),
                                                             rel=2e-3, abs=1e-6)


def test_the_exact_test_is_powerful_where_the_conditional_one_is_not():
    five = exceeds_baseline(5, 1500, 0, 1500)
    assert 0.009 < five < 0.0125  # Fisher: 0.031; no valid monotone test goes below ~0.0093
    assert exceeds_baseline(6, 1500, 0, 1500) < five < exceeds_baseline(4, 1500, 0, 1500)
    assert exceeds_baseline(3, 1500, 3, 1500) == 1.0
    assert exceeds_baseline(1500, 1500, 0, 1500) <= 2 * BERGER_BOOS_GAMMA
