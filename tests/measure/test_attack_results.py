"""Typed attack results, flagged records and the calibrated risk percentile."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthcheck.measure import attack_results as results
from synthcheck.measure import stats
from synthcheck.measure.attack_results import AttackResult


def attack(shift: float, size: int, seed: int, leaked: float = 0.0) -> AttackResult:
    """Non-members N(0, 1); members N(shift, 1), a ``leaked`` share of them at N(6, 0.5)."""
    rng = np.random.default_rng(seed)
    members = rng.normal(shift, 1.0, size)
    copies = rng.random(size) < leaked
    members[copies] = rng.normal(6.0, 0.5, copies.sum())
    return AttackResult(members=members, non_members=rng.normal(size=size), delta=1e-5, seed=seed)


def test_methods_take_the_level():
    result = attack(0.5, 2000, 0)
    assert result.auc(0.99).low < result.auc(0.9).low < result.auc(0.9).value
    assert result.auc_bounds(0.975) == result.auc(0.95)
    narrow, wide = result.tpr_at(0.01, 0.9), result.tpr_at(0.01, 0.99)
    assert wide.low <= narrow.low <= narrow.value <= narrow.high <= wide.high
    assert result.epsilon(0.99) <= result.epsilon(0.9)
    bounds = result.tpr_bounds(0.01, 0.975)  # one-sided 97.5 % = the two-sided 95 % ends
    assert (bounds.low, bounds.high) == (result.tpr_at(0.01).low, result.tpr_at(0.01).high)
    assert bounds.low == stats.tpr_lower_bound(result.members, result.non_members, 0.01, 0.975)


def test_flagged_counts_come_with_the_chance_baseline():
    # 2,000 non-members, FPR 0.1 %: the threshold may flag k = 2, its true FPR is then
    # Beta(3, 1998) with mean 3/2001, so chance flags 2,000 x 3/2001 = 2.9985 members.
    clean = attack(0.0, 2000, 3).flagged()
    assert clean.expected_members == pytest.approx(2000 * 3 / 2001)
    assert clean.expected_non_members == pytest.approx(2.0)
    assert clean.non_members <= 2 and clean.p_value > 0.001
    leaky = attack(0.0, 2000, 3, leaked=0.05).flagged()  # 5 % of members far out
    assert leaky.members >= 90 and leaky.p_value < 1e-9
    assert attack(0.0, 999, 3).flagged() is None  # 0.1 % not measurable
    # The tail by hand for 1 member and 1 non-member, threshold allowed no false positive:
    # U ~ Beta(1, 1), X ~ Bernoulli(U): P(X >= 1) = 1/2.
    assert stats.beta_binomial_sf(1, 1, 1.0, 1.0) == pytest.approx(0.5)


def test_risk_percentile_is_uniform_for_non_members():
    # Five attacks on scores that know nothing: the maximum over attacks of percentiles would
    # push non-members towards 100 (mean 5/6 of the way); the calibrated percentile is uniform.
    rng = np.random.default_rng(7)
    size = 4000
    is_member = np.r_[np.ones(size, bool), np.zeros(size, bool)]
    scores = {f"a{i}": rng.normal(size=2 * size) for i in range(5)}
    table = results.records_table(pd.Series([f"r{i}" for i in range(2 * size)]),
                                  np.where(is_member, "train", "holdout"), np.arange(2 * size),
                                  is_member, scores)
    risk = table["risk_percentile"].to_numpy()[~is_member]
    assert np.mean(risk) == pytest.approx(50.0, abs=0.1)
    counts, _ = np.histogram(risk, bins=10, range=(0, 100))
    assert np.abs(counts - size // 10).max() <= 10  # uniform up to ties among the maxima
    highest = np.max([table[f"percentile_a{i}"] for i in range(5)], axis=0)[~is_member]
    assert np.mean(highest) > 80  # what it used to report


def test_flagged_union_reports_its_false_positive_rate():
    table = pd.DataFrame({"member": [True, True, False, False, False, False],
                          "flagged": [True, False, True, False, False, False]})
    union = results.flagged_union(table)
    assert union == {"members": 1, "non_members": 1, "fpr_achieved": 0.25,
                     "fpr_per_attack": 0.001}


def test_risk_percentile_spreads_ties_evenly():
    # An exact-copy-like attack (all but a few scores 0) and a coarse distance (few levels):
    # midranks stacked the tied non-members in one or two deciles (22-33 % on certificates);
    # broken at random, every decile holds about a tenth.
    rng = np.random.default_rng(3)
    size = 3000
    is_member = np.r_[np.ones(size, bool), np.zeros(size, bool)]
    scores = {"copy": (rng.random(2 * size) < 0.01).astype(float),
              "coarse": rng.integers(0, 4, 2 * size).astype(float)}
    table = results.records_table(pd.Series([f"r{i}" for i in range(2 * size)]),
                                  np.where(is_member, "train", "holdout"), np.arange(2 * size),
                                  is_member, scores, seed=5)
    risk = table["risk_percentile"].to_numpy()[~is_member]
    shares, _ = np.histogram(risk, bins=10, range=(0, 100))
    assert shares.max() / size <= 0.12
    highest = np.max([table["percentile_copy"], table["percentile_coarse"]], axis=0)[~is_member]
    old = stats.percentile_among(highest, highest)  # the midrank rule it replaces
    assert np.histogram(old, bins=10, range=(0, 100))[0].max() / size > 0.2


def test_auc_intervals_at_several_levels_share_one_sort_and_equal_roc_auc():
    from synthcheck.measure import stats
    from synthcheck.measure.attack_results import attack_result

    rng = np.random.default_rng(5)
    scores = np.round(rng.normal(size=3000), 1)  # ties
    is_member = rng.random(3000) < 0.5
    result = attack_result(scores, is_member, delta=None, seed=0)
    for level in (0.95, 0.99, 0.9975):
        expected = stats.roc_auc(scores[is_member], scores[~is_member], level)
        assert result.auc(level) == expected
    assert sum(1 for key in result._cache if key[0] == "auc moments") == 1
