"""Unit tests for synthcheck.measure.stats against hand-computed values.

The arithmetic behind each expected value is written next to it so a failing test can be checked
with pencil and paper.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from synthcheck.measure import stats

Z95 = 1.959963984540054  # two-sided 95 % normal quantile

# Tiny example with ties used in several tests.
#   members     = [1, 2, 3]
#   non-members = [0, 2, 2]
# Pairs (member vs non-member): 1 beats 0 only -> 1; 2 beats 0 and ties both 2s -> 1 + 1/2 + 1/2
# = 2; 3 beats all -> 3. Total 6 of 9 pairs -> AUC = 2/3.
TINY_MEMBERS = np.array([1.0, 2.0, 3.0])
TINY_NON = np.array([0.0, 2.0, 2.0])


def brute_force_delong(members: np.ndarray, non_members: np.ndarray) -> tuple[float, float]:
    """O(m n) structural components, the textbook definition of DeLong's variance."""
    psi = (members[:, None] > non_members[None, :]) + 0.5 * (
        members[:, None] == non_members[None, :]
    )
    v10 = psi.mean(axis=1)
    v01 = psi.mean(axis=0)
    var = v10.var(ddof=1) / members.size + v01.var(ddof=1) / non_members.size
    return float(psi.mean()), float(var)


# ---------------------------------------------------------------------------- clopper_pearson


def test_clopper_pearson_zero_of_ten():
    # Upper = 1 - 0.025^(1/10) = 0.30850 (beta(1, 10) quantile has a closed form).
    low, high = stats.clopper_pearson(0, 10, 0.95)
    assert low == 0.0
    assert high == pytest.approx(1 - 0.025 ** 0.1, abs=1e-12)
    assert high == pytest.approx(0.3085, abs=1e-4)


def test_clopper_pearson_half():
    # Standard table value for 5 of 10 at 95 %: (0.1871, 0.8129), symmetric about 1/2.
    low, high = stats.clopper_pearson(5, 10, 0.95)
    assert low == pytest.approx(0.1871, abs=1e-4)
    assert high == pytest.approx(0.8129, abs=1e-4)
    assert low + high == pytest.approx(1.0, abs=1e-12)


def test_clopper_pearson_all_and_none():
    # 10 of 10 mirrors 0 of 10: lower = 0.025^(1/10) = 0.69150, upper 1.
    low, high = stats.clopper_pearson(10, 10, 0.95)
    assert low == pytest.approx(0.025 ** 0.1, abs=1e-12)
    assert high == 1.0
    assert stats.clopper_pearson(0, 0, 0.95) == (0.0, 1.0)


def test_clopper_pearson_rejects_bad_counts():
    with pytest.raises(ValueError):
        stats.clopper_pearson(11, 10, 0.95)
    with pytest.raises(ValueError):
        stats.clopper_pearson(1, 10, 1.0)


def test_bonferroni_level():
    # 1 - 0.05 / 5 = 0.99
    assert stats.bonferroni_level(0.95, 5) == pytest.approx(0.99)
    assert stats.bonferroni_level(0.95, 1) == pytest.approx(0.95)
    with pytest.raises(ValueError):
        stats.bonferroni_level(0.95, 0)


# ---------------------------------------------------------------------------- roc_auc


def test_auc_with_ties_and_delong_by_hand():
    # AUC = 6/9 = 2/3 (see TINY_* above).
    # Member components V10 = [1/3, 2/3, 1]: mean 2/3, squared deviations 1/9 + 0 + 1/9,
    #   sample variance (2/9) / 2 = 1/9.
    # Non-member components V01 (share of members above, ties 1/2):
    #   0 -> 3/3 = 1; 2 -> (1 [the 3] + 1/2 [the tied 2]) / 3 = 1/2 (twice) -> [1, 1/2, 1/2],
    #   mean 2/3, squared deviations 1/9 + 1/36 + 1/36 = 1/6, sample variance 1/12.
    # DeLong variance = (1/9)/3 + (1/12)/3 = 1/27 + 1/36 = 7/108.
    result = stats.roc_auc(TINY_MEMBERS, TINY_NON)
    assert result.value == pytest.approx(2 / 3)
    assert result.low == pytest.approx(2 / 3 - Z95 * math.sqrt(7 / 108))  # = 0.16768
    assert result.high == 1.0  # 2/3 + 0.499 clipped to 1
    assert result.as_dict() == {"value": result.value, "low": result.low, "high": 1.0}


def test_auc_matches_brute_force_delong():
    rng = np.random.default_rng(3)
    # Rounded scores give many ties, including across groups.
    members = np.round(rng.normal(0.5, 1.0, 300), 1)
    non_members = np.round(rng.normal(0.0, 1.0, 250), 1)
    auc, var = brute_force_delong(members, non_members)
    result = stats.roc_auc(members, non_members, confidence=0.9)
    z90 = 1.6448536269514722
    assert result.value == pytest.approx(auc, abs=1e-12)
    assert result.low == pytest.approx(auc - z90 * math.sqrt(var), abs=1e-12)
    assert result.high == pytest.approx(auc + z90 * math.sqrt(var), abs=1e-12)


def test_auc_perfect_separation_uses_hanley_mcneil():
    # 5 members above 5 non-members: AUC = 1 and DeLong's variance is 0.
    # Hanley-McNeil at A moved half a pair from 1: A = 1 - 0.5/25 = 0.98,
    #   Q1 = A/(2-A) = 0.96078431, Q2 = 2A^2/(1+A) = 0.97010101, A^2 = 0.9604,
    #   var = (0.98*0.02 + 4*(Q1 - A^2) + 4*(Q2 - A^2)) / 25
    #       = (0.0196 + 0.00153725 + 0.03880404) / 25 = 0.00239765,
    #   low = 1 - 1.96 * sqrt(var) = 1 - 0.09597 = 0.90403.
    result = stats.roc_auc(np.arange(5.0) + 10, np.arange(5.0))
    a = 0.98
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    var = (a * (1 - a) + 4 * (q1 - a * a) + 4 * (q2 - a * a)) / 25
    assert result.value == 1.0
    assert result.high == 1.0
    assert result.low == pytest.approx(1 - Z95 * math.sqrt(var), abs=1e-12)
    assert result.low == pytest.approx(0.90403, abs=1e-4)


def test_auc_all_tied_is_half_with_nonzero_width():
    # Every pair is a tie -> AUC 1/2; DeLong components are all 1/2 (variance 0), so the
    # Hanley-McNeil fallback must still give a proper interval.
    result = stats.roc_auc(np.ones(4), np.ones(4))
    assert result.value == 0.5
    assert result.low < 0.5 < result.high


def test_auc_handles_infinite_scores():
    # +inf member beats both non-members; -inf member loses to both; inf vs inf is a tie.
    # Members [inf, -inf], non-members [0, inf]:
    #   inf: beats 0 (1), ties inf (1/2) -> 1.5; -inf: 0. Total 1.5 of 4 = 0.375.
    result = stats.roc_auc(np.array([np.inf, -np.inf]), np.array([0.0, np.inf]))
    assert result.value == pytest.approx(0.375)


# ---------------------------------------------------------------------------- tpr_at_fpr


def test_minimum_non_members():
    # ceil(1/fpr), guarding float error: 1/0.001 must give 1000, not 1001.
    assert stats.minimum_non_members(0.001) == 1000
    assert stats.minimum_non_members(0.01) == 100
    assert stats.minimum_non_members(0.1) == 10
    assert stats.minimum_non_members(0.3) == 4  # 1/0.3 = 3.33
    assert stats.minimum_non_members(0.07) == 15  # 1/0.07 = 14.29
    assert stats.minimum_non_members(1.0) == 1
    with pytest.raises(ValueError):
        stats.minimum_non_members(0.0)


def test_tpr_at_fpr_not_measurable_boundary():
    rng = np.random.default_rng(0)
    members = rng.normal(1.0, 1.0, 500)
    assert stats.tpr_at_fpr(members, rng.normal(size=999), 0.001) is None
    result = stats.tpr_at_fpr(members, rng.normal(size=1000), 0.001)
    assert result is not None
    assert result.fpr_achieved <= 0.001


def test_tpr_at_fpr_ties_block_a_threshold():
    # 10 non-members, target 0.1 -> at most 1 false positive. The two highest non-members are
    # tied at 9, so any threshold <= 9 flags both (FPR 0.2): the threshold must exceed 9.
    # Members above 9 are 9.5 and 10 -> TPR 2/4, threshold 9.5, no false positive.
    non = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 9], dtype=float)
    members = np.array([9.0, 9.5, 10.0, 3.0])
    result = stats.tpr_at_fpr(members, non, 0.1)
    assert result.value == 0.5
    assert result.threshold == 9.5
    assert result.fpr_achieved == 0.0
    # Interval (each side at 97.5 %, half of each side's 2.5 % to the threshold, half to the
    # members): upper threshold = smallest k with P(Bin(10, 0.1) >= k + 1) <= 0.0125:
    # P(>= 4) = 0.0128, P(>= 5) = 0.0016 -> k = 4, the 5th largest non-member (6), ties
    # included; members >= 6: 3 of 4 -> CP upper at 98.75 % = 0.9875^(1/4). Lower: already
    # P(Bin(10, 0.1) = 0) = 0.9^10 = 0.35 > 0.0125, so no threshold is trusted: 0.
    assert result.low == 0.0
    assert result.high == pytest.approx(0.9875 ** 0.25, abs=1e-12)


def test_tpr_at_fpr_uses_the_whole_budget():
    # Same data, target 0.2 -> 2 false positives allowed; the 3rd largest non-member is 8, so
    # thresholds above 8 qualify. Threshold 9 flags members 9, 9.5, 10 (TPR 3/4) and the two
    # non-member 9s (FPR 2/10 = 0.2, exactly the target, which is allowed).
    non = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 9], dtype=float)
    members = np.array([9.0, 9.5, 10.0, 3.0])
    result = stats.tpr_at_fpr(members, non, 0.2, confidence=0.9)
    assert result.value == 0.75
    assert result.threshold == 9.0
    assert result.fpr_achieved == pytest.approx(0.2)
    # 90 % -> 95 % a side, 2.5 % each part. P(Bin(10, 0.2) >= 6) = 0.0064 <= 0.025 <
    # P(>= 5) = 0.033 -> the 6th largest non-member (5): members >= 5 are 3 of 4 -> upper
    # 0.975^(1/4); 0.8^10 = 0.107 > 0.025 -> lower 0.
    assert (result.low, result.high) == (0.0, pytest.approx(0.975 ** 0.25, abs=1e-12))
    assert result.as_dict()["threshold"] == 9.0


def test_tpr_at_fpr_no_admissible_positive():
    # Non-members [inf, inf, 0 x 8], target 0.1: the 2nd largest non-member is +inf and no score
    # exceeds it, so nothing can be flagged: TPR 0, threshold None, CI = CP(0 of 3).
    non = np.array([np.inf, np.inf] + [0.0] * 8)
    members = np.array([1.0, 2.0, np.inf])
    result = stats.tpr_at_fpr(members, non, 0.1)
    assert result.value == 0.0
    assert result.threshold is None
    assert result.fpr_achieved == 0.0
    # The upper bound's threshold is the 5th largest non-member (0): every member reaches it.
    assert (result.low, result.high) == (0.0, 1.0)
    assert stats.threshold_at_fpr(non, 0.1) is None


def _binomial_rank(n, fpr, risk, side):
    """Brute force over k with scipy.stats (the module under test uses scipy.special)."""
    from scipy.stats import binom

    if side == "up":  # smallest k with P(Bin >= k + 1) <= risk
        return next(k for k in range(n + 1) if binom.sf(k, n, fpr) <= risk)
    ok = [k for k in range(n + 1) if binom.cdf(k, n, fpr) <= risk]  # largest P(Bin <= k)
    return max(ok) if ok else None


@pytest.mark.parametrize("n, fpr, level", [(100, 0.1, 0.975), (1000, 0.01, 0.99),
                                           (50, 0.01, 0.975), (5000, 0.001, 0.999)])
def test_tpr_bounds_match_the_order_statistic_rule(n, fpr, level):
    rng = np.random.default_rng(n)
    members = np.round(rng.normal(1.0, 1.0, 700), 2)
    non = np.round(rng.normal(0.0, 1.0, n), 2)
    risk = (1 - level) / 2
    descending = np.sort(non)[::-1]
    up = _binomial_rank(n, fpr, risk, "up")
    threshold = descending[up]
    # Tied members count in between: none of them at least, all of them at most.
    strictly, tied = np.count_nonzero(members > threshold), np.count_nonzero(members == threshold)
    high = stats.tpr_upper_bound(members, non, fpr, level)
    assert (stats._clopper_pearson_upper(strictly, members.size, 1 - risk) <= high
            <= stats._clopper_pearson_upper(strictly + tied, members.size, 1 - risk))
    # Without ties the rule is exact.
    distinct = members + 1e-7 * (rng.random(members.size) - 0.5)
    assert not np.isin(distinct, non).any()
    flagged = np.count_nonzero(distinct > threshold)
    expected_high = stats._clopper_pearson_upper(flagged, members.size, 1 - risk)
    assert stats.tpr_upper_bound(distinct, non, fpr, level) == pytest.approx(expected_high)
    low = _binomial_rank(n, fpr, risk, "low")
    if low is None:
        assert stats.tpr_lower_bound(members, non, fpr, level) == 0.0
    else:
        flagged = np.count_nonzero(members > descending[low])  # strictly above
        expected = stats.clopper_pearson(flagged, members.size, 1 - 2 * risk)[0]
        assert stats.tpr_lower_bound(members, non, fpr, level) == pytest.approx(expected)


def test_tpr_upper_bound_breaks_ties_at_random_and_still_covers():
    # Scores with heavy ties (distances to a categorical release often are): members and
    # non-members alike, drawn from 5 values. The true TPR at FPR f of the randomised ROC is f
    # exactly; counting every tied member would put the upper bound near the tie's mass.
    rng = np.random.default_rng(12)
    highs = []
    for _ in range(200):
        members, non = rng.integers(0, 5, 1000), rng.integers(0, 5, 1000)
        highs.append(stats.tpr_upper_bound(members.astype(float), non.astype(float), 0.01, 0.95))
    highs = np.array(highs)
    assert np.mean(highs < 0.01) <= 0.05  # still an upper bound (coverage)
    assert np.median(highs) < 0.05  # instead of ~0.2 (the top value's whole mass)


def test_tpr_interval_contains_the_point_estimate():
    rng = np.random.default_rng(4)
    for n in (10, 100, 1000):
        members, non = rng.normal(0.5, 1.0, 300), rng.normal(0.0, 1.0, n)
        for fpr in (0.001, 0.01, 0.1):
            found = stats.tpr_at_fpr(members, non, fpr)
            if found is not None:
                assert found.low <= found.value <= found.high


def test_small_holdout_clean_release_interval_does_not_exclude_chance():
    # The case: 50 non-members, a release that leaks nothing (members and non-members
    # scored alike). Clopper-Pearson on members alone excluded 10 % with confidence; the
    # interval that carries the threshold's uncertainty contains the chance level every time.
    for seed in range(50):
        rng = np.random.default_rng(seed)
        members, non = rng.normal(size=1500), rng.normal(size=50)
        found = stats.tpr_at_fpr(members, non, 0.1)
        assert found.low <= 0.1 <= found.high
        # Not measurable as a point estimate at 1 % with 50 non-members, but the bound exists.
        assert stats.tpr_at_fpr(members, non, 0.01) is None
        assert 0.01 <= stats.tpr_upper_bound(members, non, 0.01, 0.975) < 1.0


def _true_tpr(kind, fpr):
    from scipy.special import ndtr, ndtri

    z = ndtri(1 - fpr)
    return {"null": fpr, "shift": 1 - ndtr(z - 1.0),
            "mixture": 0.9 * fpr + 0.1 * (1 - ndtr((z - 4.0) / 0.5))}[kind]


def draw_members(kind, rng, size):
    """Member scores: like non-members (null), all shifted (shift), or 10 % far out (a
    partial leak); non-members are standard normal."""
    scores = rng.standard_normal(size)
    if kind == "shift":
        scores += 1.0
    elif kind == "mixture":
        leaked = rng.random(size) < 0.1
        scores[leaked] = rng.normal(4.0, 0.5, leaked.sum())
    return scores


@pytest.mark.parametrize("non_members", [50, 500, 5000])
def test_tpr_interval_coverage_by_simulation(non_members):
    # 95 % intervals, 150 data sets per case: misses are Binomial(150, <= 0.05), so more than
    # 16 misses (P < 0.5 % at exactly 95 % coverage) would be evidence of undercoverage. The
    # full table (1,000 data sets) is benchmarks/interval_coverage.py, in docs/statistics.md.
    for kind in ("null", "shift", "mixture"):
        rng = np.random.default_rng([non_members, len(kind)])
        misses = {fpr: 0 for fpr in (0.001, 0.01, 0.1)}
        for _ in range(150):
            non = rng.standard_normal(non_members)
            members = draw_members(kind, rng, non_members)
            for fpr in misses:
                low = stats.tpr_lower_bound(members, non, fpr, 0.975)
                high = stats.tpr_upper_bound(members, non, fpr, 0.975)
                misses[fpr] += not low <= _true_tpr(kind, fpr) <= high
        assert max(misses.values()) <= 16, (kind, misses)


def test_tpr_at_fpr_matches_brute_force_over_thresholds():
    rng = np.random.default_rng(7)
    members = np.round(rng.normal(1.0, 1.0, 400), 1)
    non = np.round(rng.normal(0.0, 1.0, 300), 1)
    for target in (0.01, 0.05, 0.1, 0.5):
        best = 0
        for t in np.unique(np.concatenate([members, non])):
            if np.count_nonzero(non >= t) <= math.floor(target * non.size + 1e-9):
                best = max(best, int(np.count_nonzero(members >= t)))
        result = stats.tpr_at_fpr(members, non, target)
        assert result.value == best / members.size
        assert result.fpr_achieved <= target


def test_threshold_at_fpr_consistent_with_tpr_at_fpr():
    rng = np.random.default_rng(11)
    members = np.round(rng.normal(1.0, 1.0, 2000), 2)
    non = np.round(rng.normal(0.0, 1.0, 2000), 2)
    for target in (0.001, 0.01, 0.1):
        result = stats.tpr_at_fpr(members, non, target)
        threshold = stats.threshold_at_fpr(non, target)
        allowed = math.floor(target * non.size + 1e-9)
        # Flags exactly the members tpr_at_fpr counts, within the FPR budget ...
        assert np.count_nonzero(members >= threshold) == round(result.value * members.size)
        assert np.count_nonzero(non >= threshold) <= allowed
        # ... and is the smallest such threshold: one float lower exceeds the budget.
        assert np.count_nonzero(non >= np.nextafter(threshold, -np.inf)) > allowed


def test_threshold_at_fpr_flag_everything():
    # Target 1 allows every non-member to be flagged.
    assert stats.threshold_at_fpr(np.array([0.0, 1.0]), 1.0) == -np.inf


# ---------------------------------------------------------------------------- roc_curve


def test_roc_curve_by_hand():
    # Thresholds (descending, ties included): 3 -> TP 1, FP 0; 2 -> TP 2, FP 2; 1 -> TP 3, FP 2;
    # 0 -> TP 3, FP 3. With the leading (0, 0):
    fpr, tpr = stats.roc_curve(TINY_MEMBERS, TINY_NON)
    np.testing.assert_allclose(fpr, [0, 0, 2 / 3, 2 / 3, 1])
    np.testing.assert_allclose(tpr, [0, 1 / 3, 2 / 3, 1, 1])


def test_roc_curve_downsampled_in_log_space():
    rng = np.random.default_rng(5)
    members = rng.normal(1.0, 1.0, 20_000)
    non = rng.normal(0.0, 1.0, 20_000)
    full_fpr, full_tpr = stats.roc_curve(members, non, max_points=10**9)
    fpr, tpr = stats.roc_curve(members, non, max_points=100)
    assert 4 <= fpr.size <= 100
    assert (fpr[0], tpr[0]) == (0.0, 0.0)
    assert (fpr[-1], tpr[-1]) == (1.0, 1.0)
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
    # The first nonzero FPR of the full curve (1/20000) is kept: the left edge of a log plot.
    assert fpr[fpr > 0].min() == pytest.approx(1 / 20_000)
    # Every kept point lies on the full curve.
    full = set(zip(full_fpr.tolist(), full_tpr.tolist()))
    assert all(p in full for p in zip(fpr.tolist(), tpr.tolist()))
    # Evenly in log10(fpr): 1/20000 .. 1 spans 4.3 decades, of which 1e-2 .. 1 is 2; an
    # index-even sample would put ~99 % of the points above 1e-2, log spacing at most ~half.
    assert np.count_nonzero(fpr >= 1e-2) < 0.6 * fpr.size


def test_roc_curve_rejects_tiny_max_points():
    with pytest.raises(ValueError):
        stats.roc_curve(TINY_MEMBERS, TINY_NON, max_points=3)


# ---------------------------------------------------------------------------- advantage


def test_membership_advantage_by_hand():
    # TPR - FPR along the tiny curve: 0, 1/3, 0, 1/3, 0 -> 1/3 (e.g. threshold 3: 1/3 - 0).
    assert stats.membership_advantage(TINY_MEMBERS, TINY_NON) == pytest.approx(1 / 3)
    # Members scoring lower than every non-member: no threshold helps, advantage 0 (never < 0).
    assert stats.membership_advantage(np.array([0.0, 1.0]), np.array([2.0, 3.0])) == 0.0
    # Perfect separation: threshold between the groups gives 1 - 0.
    assert stats.membership_advantage(np.array([2.0, 3.0]), np.array([0.0, 1.0])) == 1.0


# ---------------------------------------------------------------------------- epsilon


def test_one_run_p_value_matches_the_papers_algorithm():
    # Steinke, Nasr & Jagielski (2023), Appendix D, written with scipy.stats as a reference.
    from scipy.stats import binom

    def reference(m, r, v, eps, delta):
        q = 1 / (1 + math.exp(-eps))
        alpha, total = 0.0, 0.0
        for i in range(1, v + 1):
            total += binom.pmf(v - i, r, q)
            alpha = max(alpha, total / i)
        return min(1.0, binom.sf(v - 1, r, q) + alpha * delta * 2 * m)

    for m, r, v, eps, delta in [(3000, 600, 500, 1.2, 1e-5), (3000, 600, 500, 1.2, 1e-3),
                                (100, 10, 9, 0.5, 0.01), (2000, 1000, 700, 0.5, 1e-4),
                                (2000, 40, 40, 2.0, 0.0)]:
        assert stats.one_run_p_value(m, r, v, eps, delta) == pytest.approx(
            reference(m, r, v, eps, delta), rel=1e-9)


def test_epsilon_perfect_separation_by_hand():
    # 5000 members above 5000 non-members, delta 0. Twelve designs share the 5 %: the strongest
    # is "top 5000 guessed member" (or top and bottom 2500), all right, so the bound is the eps
    # with q^5000 = 0.05 / 12, q = e^eps / (1 + e^eps):
    # q = (0.05/12)^(1/5000) = 0.9989045, eps = ln(q / (1 - q)) = 6.8155.
    members = np.linspace(10.0, 11.0, 5000)
    non = np.linspace(0.0, 1.0, 5000)
    q = (0.05 / 12) ** (1 / 5000)
    expected = math.log(q / (1 - q))
    assert stats.epsilon_lower_bound(members, non, delta=0.0) == pytest.approx(expected, abs=1e-5)
    assert expected == pytest.approx(6.8155, abs=1e-3)
    # Scores are "higher means member" by contract: an attack whose members score lower is
    # guessed wrong by every design and gives no evidence (the old split bound tried both).
    assert stats.epsilon_lower_bound(-members, -non, delta=0.0) == 0.0


@pytest.mark.slow
def test_epsilon_sound_and_useful_on_a_tight_mechanism():
    # Members' exact copies appear in the release with probability q1 = 0.5, non-members' with
    # q0 = 0.1 (membership by fair coins, 3,000 candidates): the record's presence changes the
    # chance of its copy by q1/q0 = 5 and of no copy by 0.9/0.5 < 5, so the mechanism is
    # exactly eps = ln 5 = 1.609 for this event, and guessing "member" for copies is right with
    # probability 5/6 = e^eps/(1+e^eps): the theorem's bound is tight here. Over 200 seeds a 95 %
    # bound may exceed eps in at most 5 % of them; it must also reach half of eps.
    epsilon = math.log(0.5 / 0.1)
    bounds = []
    for seed in range(200):
        rng = np.random.default_rng(seed)
        member = rng.random(3000) < 0.5
        copied = (rng.random(3000) < np.where(member, 0.5, 0.1)).astype(float)
        bounds.append(stats.epsilon_lower_bound(copied[member], copied[~member], delta=1e-5,
                                                confidence=0.95, seed=seed))
    bounds = np.array(bounds)
    assert np.count_nonzero(bounds > epsilon) <= 10
    assert np.median(bounds) >= epsilon / 2
    assert bounds.min() >= epsilon / 2  # every run, in fact (about 1.1 to 1.6)


def test_epsilon_identical_distributions_gives_zero():
    rng = np.random.default_rng(2)
    for seed in range(3):
        members = rng.normal(size=5000)
        non = rng.normal(size=5000)
        assert stats.epsilon_lower_bound(members, non, delta=1e-5, seed=seed) == 0.0


def test_epsilon_too_few_records_is_no_evidence():
    assert stats.epsilon_lower_bound(np.array([1.0]), np.array([0.0]), delta=0.0) == 0.0


def test_epsilon_sound_on_randomized_response():
    # Randomized response with eps = 1, delta = 0: a member outputs 1 with p = e/(1+e) = 0.731,
    # a non-member with 1 - p. The best test ("output 1 means member") has TPR/FPR = e exactly,
    # so no sound bound may exceed 1. Checked over 20 independent data sets.
    p = math.e / (1 + math.e)
    bounds = []
    for seed in range(20):
        rng = np.random.default_rng(1000 + seed)
        members = (rng.random(2000) < p).astype(float)
        non = (rng.random(2000) < 1 - p).astype(float)
        bounds.append(stats.epsilon_lower_bound(members, non, delta=0.0, seed=seed))
    assert max(bounds) <= 1.0
    # ... while still detecting the leakage (so the test can fail in both directions).
    assert np.mean(bounds) > 0.5


# ---------------------------------------------------------------------------- per record


def test_percentile_among_with_ties():
    # Reference [1, 2, 2, 3] (4 scores), percentile = 100 * (below + tied/2) / 4:
    #   0 -> 0; 2 -> (1 + 2/2)/4 = 50; 2.5 -> 3/4 = 75; 3 -> (3 + 1/2)/4 = 87.5; 4 -> 100.
    reference = np.array([3.0, 2.0, 1.0, 2.0])
    got = stats.percentile_among(reference, np.array([0.0, 2.0, 2.5, 3.0, 4.0]))
    np.testing.assert_allclose(got, [0.0, 50.0, 75.0, 87.5, 100.0])
    # +inf tied with +inf sits in the middle of the tie: (1 + 1/2) / 2 = 75.
    assert stats.percentile_among(np.array([0.0, np.inf]), np.array([np.inf]))[0] == 75.0


# ---------------------------------------------------------------------------- histogram


def test_histogram_shared_edges_and_infinities():
    # Finite values span 0..4 -> 4 bins of width 1: [0,1) [1,2) [2,3) [3,4].
    # a: 0, 1, 2 in bins 0, 1, 2; +inf clipped into the last bin -> [1, 1, 1, 1].
    # b: -inf clipped into the first bin; 4 on the closed right edge -> [1, 0, 0, 1].
    out = stats.histogram({"a": np.array([0, 1, 2, np.inf]), "b": np.array([-np.inf, 4])}, bins=4)
    assert out["edges"] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert out["a"] == [1, 1, 1, 1]
    assert out["b"] == [1, 0, 0, 1]
    assert all(type(c) is int for c in out["a"] + out["b"])


def test_histogram_log_edges():
    # log10 of 1, 10, 100 is 0, 1, 2 -> edges 1, 10, 100; counts [1 (the 1), 2 (10 and 100)].
    out = stats.histogram({"d": np.array([1.0, 10.0, 100.0])}, bins=2, log=True)
    np.testing.assert_allclose(out["edges"], [1.0, 10.0, 100.0])
    assert out["d"] == [1, 2]
    # A non-positive value makes log spacing impossible: linear edges instead.
    out = stats.histogram({"d": np.array([0.0, 10.0])}, bins=2, log=True)
    assert out["edges"] == [0.0, 5.0, 10.0]


def test_histogram_empty():
    out = stats.histogram({"a": np.array([]), "b": np.array([])}, bins=40)
    assert out["edges"][0] == 0.0 and out["edges"][-1] == 1.0
    assert out["a"] == [0] * 40 and out["b"] == [0] * 40


# ---------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "call",
    [
        lambda bad: stats.roc_auc(bad, TINY_NON),
        lambda bad: stats.roc_auc(TINY_MEMBERS, bad),
        lambda bad: stats.tpr_at_fpr(bad, np.zeros(20), 0.1),
        lambda bad: stats.threshold_at_fpr(bad, 0.1),
        lambda bad: stats.roc_curve(TINY_MEMBERS, bad),
        lambda bad: stats.membership_advantage(bad, TINY_NON),
        lambda bad: stats.epsilon_lower_bound(bad, TINY_NON, delta=0.0),
        lambda bad: stats.percentile_among(TINY_NON, bad),
        lambda bad: stats.histogram({"a": bad}),
    ],
)
def test_nan_raises(call):
    with pytest.raises(ValueError, match="NaN"):
        call(np.array([1.0, np.nan, 2.0]))


def test_empty_members_raise():
    with pytest.raises(ValueError, match="empty"):
        stats.roc_auc(np.array([]), TINY_NON)


def test_the_epsilon_ceiling_is_remembered_with_the_value_it_had():
    stats.epsilon_ceiling.cache_clear()
    first = stats.epsilon_ceiling.__wrapped__(3000, 2500, None, 0.99)
    assert stats.epsilon_ceiling(3000, 2500, None, 0.99) == first
    assert stats.epsilon_ceiling(3000, 2500, None, 0.99) == first
    assert stats.epsilon_ceiling.cache_info().hits == 1


def _p_value_recomputing_each_window(candidates, guesses, correct, epsilon, delta):
    """one_run_p_value as it was: every widening of the window recomputed all its terms."""
    from scipy import special

    if correct == 0:
        return 1.0
    q = float(special.expit(epsilon))
    p = float(special.bdtrc(correct - 1, guesses, q))
    if delta > 0.0:
        below = float(special.bdtr(correct - 1, guesses, q))
        best, window = 0.0, 64
        while True:
            i = np.arange(1, min(window, correct) + 1)
            rest = np.where(correct - 1 - i >= 0,
                            special.bdtr(np.maximum(correct - 1 - i, 0), guesses, q), 0.0)
            best = max(best, float(np.max((below - rest) / i)))
            if window >= correct or best >= 1.0 / window:
                break
            window *= 4
        p += 2.0 * candidates * delta * best
    return min(1.0, p)


@pytest.mark.parametrize("guesses", [1, 64, 65, 300, 5000, 60000])
def test_one_run_p_value_widens_its_window_without_recomputing_and_gives_the_same_bits(guesses):
    for share in (0.0, 0.5, 0.6, 0.9, 1.0):
        correct = round(share * guesses)
        for epsilon in (0.0, 0.3, 2.0):
            for delta in (0.0, 1e-12, 1e-3):
                expected = _p_value_recomputing_each_window(2 * guesses, guesses, correct,
                                                            epsilon, delta)
                assert stats.one_run_p_value(2 * guesses, guesses, correct, epsilon,
                                             delta) == expected
