"""Statistics that turn attack scores into measured leakage.

Every function here is a pure function of numpy arrays: no I/O, no pandas, no hidden state. The
convention throughout is that a higher score means "more likely a member"; ``members`` are the
scores of records that were in the training data and ``non_members`` those of held-out records.
Scores may be ``+inf``/``-inf`` (an attack that is certain) but never NaN: a NaN would silently
fall out of every comparison and bias the rates, so it raises ``ValueError`` (it is a bug in the
attack, not a user mistake).

The rules are chosen to be honest rather than flattering: TPR at a low FPR is read off the
empirical ROC curve conservatively (no interpolation) and refused when there are too few
non-members to observe that FPR; the ε lower bound is chosen on one half of the records and
evaluated on the other, so it never exceeds the true ε of a differentially private mechanism
except with the stated small probability.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
from scipy import special as _special

__all__ = [
    "Interval",
    "TprAtFpr",
    "allowed_false_positives",
    "beta_binomial_cdf",
    "beta_binomial_sf",
    "bonferroni_level",
    "clean_pass_probability_auc",
    "clean_pass_probability_tpr",
    "clopper_pearson",
    "default_delta",
    "epsilon_ceiling",
    "epsilon_lower_bound",
    "histogram",
    "membership_advantage",
    "minimum_non_members",
    "one_run_candidates",
    "one_run_epsilon",
    "one_run_p_value",
    "percentile_among",
    "records_needed",
    "roc_auc",
    "roc_curve",
    "threshold_at_fpr",
    "tpr_at_fpr",
    "tpr_lower_bound",
    "tpr_upper_bound",
]

# Relative slack for float products such as ``n * target_fpr`` that are integers in exact
# arithmetic (1000 * 0.001) but may land a hair below in binary floating point.
_FLOAT_SLACK = 1e-9



@dataclass(frozen=True)
class Interval:
    """A point estimate with its confidence interval, so no figure travels without uncertainty."""

    value: float
    low: float
    high: float

    def as_dict(self) -> dict[str, float]:
        return {"value": self.value, "low": self.low, "high": self.high}


@dataclass(frozen=True)
class TprAtFpr:
    """TPR at a target FPR, plus what was actually achieved, so the reader can check the rule.

    ``threshold`` is the score threshold used (predict member iff ``score >= threshold``);
    ``None`` when no threshold within the FPR budget flags any member, in which case the TPR is 0.
    ``fpr_achieved`` is the empirical FPR of that threshold and never exceeds the target.
    """

    value: float
    low: float
    high: float
    fpr_achieved: float
    threshold: float | None

    def as_dict(self) -> dict:
        return {
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "fpr_achieved": self.fpr_achieved,
            "threshold": self.threshold,
        }


# --------------------------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------------------------


def _scores(values: np.ndarray, name: str, *, allow_empty: bool = False) -> np.ndarray:
    """Return ``values`` as a 1-D float64 array, refusing NaN (it would vanish from comparisons)."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of scores, got shape {arr.shape}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} is empty")
    if np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN scores")
    return arr


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence}")


def _check_fpr(target_fpr: float) -> None:
    if not 0.0 < target_fpr <= 1.0:
        raise ValueError(f"target_fpr must be in (0, 1], got {target_fpr}")


def allowed_false_positives(n_non_members: int, target_fpr: float) -> int:
    """Largest false-positive count whose FPR does not exceed the target.

    Counting in integers avoids comparing float FPRs, where 1/1000 <= 0.001 would depend on
    rounding; the slack makes 1000 * 0.001 count as exactly one.
    """
    return math.floor(n_non_members * target_fpr * (1.0 + _FLOAT_SLACK))


# --------------------------------------------------------------------------------------------
# Intervals and levels
# --------------------------------------------------------------------------------------------


def clopper_pearson(successes: int, trials: int, confidence: float) -> tuple[float, float]:
    """Exact two-sided binomial interval for a proportion.

    Exact rather than normal-approximation because the proportions we care about (TPR at 0.1 %
    FPR, error rates of a strong attack) sit near 0 or 1, where Wald intervals collapse to zero
    width and understate uncertainty. Each tail gets ``(1 - confidence) / 2``; with no trials we
    know nothing, so the interval is (0, 1).
    """
    _check_confidence(confidence)
    if trials < 0 or successes < 0 or successes > trials:
        raise ValueError(f"need 0 <= successes <= trials, got {successes} of {trials}")
    if trials == 0:
        return 0.0, 1.0
    alpha = 1.0 - confidence
    low = 0.0 if successes == 0 else float(
        _special.betaincinv(successes, trials - successes + 1, alpha / 2)
    )
    high = 1.0 if successes == trials else float(
        _special.betaincinv(successes + 1, trials - successes, 1 - alpha / 2)
    )
    return low, high


def _clopper_pearson_upper(
    successes: np.ndarray | int, trials: int, level: float
) -> np.ndarray:
    """One-sided Clopper-Pearson upper bounds at ``level``, vectorised over ``successes``.

    The ε bound needs upper bounds only (an error rate that is at most this), so the whole
    ``1 - level`` goes into one tail.
    """
    k = np.asarray(successes, dtype=np.float64)
    if trials == 0:
        return np.ones_like(k)
    full = k >= trials
    # Evaluate with a valid second shape parameter even where k == trials, then overwrite.
    upper = _special.betaincinv(k + 1, np.where(full, 1.0, trials - k), level)
    return np.where(full, 1.0, upper)


def _clopper_pearson_lower(successes: int, trials: int, level: float) -> float:
    """One-sided Clopper-Pearson lower bound at ``level`` (0 with no successes)."""
    if successes <= 0 or trials == 0:
        return 0.0
    return float(_special.betaincinv(successes, trials - successes + 1, 1.0 - level))


def bonferroni_level(confidence: float, tests: int) -> float:
    """Per-test confidence so that ``tests`` simultaneous statements all hold w.p. >= confidence.

    Bonferroni needs no independence between the tests, which matters because several attacks
    scored on the same records are strongly dependent.
    """
    _check_confidence(confidence)
    if tests < 1:
        raise ValueError(f"tests must be at least 1, got {tests}")
    return 1.0 - (1.0 - confidence) / tests


# --------------------------------------------------------------------------------------------
# ROC AUC
# --------------------------------------------------------------------------------------------


def _placements(
    members: np.ndarray, non_members: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """DeLong's structural components via sorting, O(n log n).

    For a member score x, the fraction of non-members it beats (ties count 1/2); for a
    non-member score y, the fraction of members that beat it (ties 1/2). Their means are both the
    Mann-Whitney AUC, and their variances give DeLong's variance without the O(m n) pair matrix.
    """
    # Components are computed for the sorted scores (their order does not matter for a mean or a
    # variance), because searchsorted with sorted needles is several times faster at 1M records.
    nm_sorted = np.sort(non_members)
    m_sorted = np.sort(members)
    below = np.searchsorted(nm_sorted, m_sorted, side="left")
    not_above = np.searchsorted(nm_sorted, m_sorted, side="right")
    v10 = (below + not_above) / (2.0 * non_members.size)
    above = members.size - np.searchsorted(m_sorted, nm_sorted, side="right")
    not_below = members.size - np.searchsorted(m_sorted, nm_sorted, side="left")
    v01 = (above + not_below) / (2.0 * members.size)
    return v10, v01


def _hanley_mcneil_variance(auc: float, m: int, n: int) -> float:
    """Hanley & McNeil (1982) variance, used only when DeLong's is exactly zero.

    DeLong's variance is zero when the samples are perfectly separated, which would claim an AUC
    of 1 with no uncertainty from five records. Hanley-McNeil is also zero at AUC = 1, so it is
    evaluated at the AUC moved half a pair away from the boundary, which gives a width of the right
    order for small samples and vanishes as they grow.
    """
    half_pair = 0.5 / (m * n)
    a = min(max(auc, half_pair), 1.0 - half_pair)
    q1 = a / (2.0 - a)
    q2 = 2.0 * a * a / (1.0 + a)
    return (a * (1.0 - a) + (m - 1) * (q1 - a * a) + (n - 1) * (q2 - a * a)) / (m * n)


def roc_auc(
    members: np.ndarray, non_members: np.ndarray, confidence: float = 0.95
) -> Interval:
    """Mann-Whitney AUC with a DeLong confidence interval.

    AUC is the probability that a random member outscores a random non-member (ties count 1/2),
    the threshold-free summary of an attack. The interval uses DeLong's variance (from the
    placements, so it scales to millions of records) and a normal approximation, clipped to
    [0, 1]. When DeLong's variance is zero (perfect separation, or all scores tied) a
    Hanley-McNeil variance is used instead so small samples do not get a zero-width interval.
    """
    _check_confidence(confidence)
    return auc_interval(*auc_and_variance(members, non_members), confidence)


def auc_and_variance(members: np.ndarray, non_members: np.ndarray) -> tuple[float, float]:
    """The Mann-Whitney AUC and its DeLong variance (Hanley-McNeil's where DeLong's is 0):
    what ``roc_auc`` computes before it reads the confidence, so an interval at another
    level (``auc_interval``) needs no second sort."""
    mem = _scores(members, "members")
    non = _scores(non_members, "non_members")
    v10, v01 = _placements(mem, non)
    auc = float(v10.mean())
    m, n = mem.size, non.size
    var = 0.0
    if m > 1:
        var += float(v10.var(ddof=1)) / m
    if n > 1:
        var += float(v01.var(ddof=1)) / n
    if var <= 0.0:
        var = _hanley_mcneil_variance(auc, m, n)
    return auc, var


def auc_interval(auc: float, var: float, confidence: float) -> Interval:
    """``roc_auc``'s normal interval at ``confidence`` from ``auc_and_variance``."""
    _check_confidence(confidence)
    half_width = float(_special.ndtri(0.5 + confidence / 2.0)) * math.sqrt(var)
    return Interval(
        value=auc, low=max(0.0, auc - half_width), high=min(1.0, auc + half_width)
    )


def _placements_in_order(members: np.ndarray, non_members: np.ndarray
                         ) -> tuple[np.ndarray, np.ndarray]:
    """DeLong's structural components in the records' own order (ties count 1/2), so two
    scorings of the same records can be paired."""
    nm_sorted, m_sorted = np.sort(non_members), np.sort(members)
    v10 = (np.searchsorted(nm_sorted, members, side="left")
           + np.searchsorted(nm_sorted, members, side="right")) / (2.0 * non_members.size)
    v01 = (2 * members.size - np.searchsorted(m_sorted, non_members, side="right")
           - np.searchsorted(m_sorted, non_members, side="left")) / (2.0 * members.size)
    return v10, v01


def paired_auc_difference(
    members_a: np.ndarray, non_members_a: np.ndarray, members_b: np.ndarray,
    non_members_b: np.ndarray, confidence: float = 0.95,
) -> Interval:
    """AUC(a) - AUC(b) for two scorings of the same records, with DeLong's paired interval.

    Record i of ``members_a`` and of ``members_b`` is the same record (likewise for the
    non-members). Pairing cancels what both scorings share, so a small change made by one
    column is told from chance far better than by two separate intervals. With no variance
    left (the scorings agree on every record's rank) the interval is the point.
    """
    _check_confidence(confidence)
    ma, na = _scores(members_a, "members_a"), _scores(non_members_a, "non_members_a")
    mb, nb = _scores(members_b, "members_b"), _scores(non_members_b, "non_members_b")
    if ma.size != mb.size or na.size != nb.size:
        raise ValueError("paired scorings must score the same records")
    v10a, v01a = _placements_in_order(ma, na)
    v10b, v01b = _placements_in_order(mb, nb)
    d10, d01 = v10a - v10b, v01a - v01b
    difference = float(d10.mean())
    var = 0.0
    if ma.size > 1:
        var += float(d10.var(ddof=1)) / ma.size
    if na.size > 1:
        var += float(d01.var(ddof=1)) / na.size
    half_width = float(_special.ndtri(0.5 + confidence / 2.0)) * math.sqrt(max(var, 0.0))
    return Interval(value=difference, low=max(-1.0, difference - half_width),
                    high=min(1.0, difference + half_width))


# --------------------------------------------------------------------------------------------
# TPR at low FPR
# --------------------------------------------------------------------------------------------


def minimum_non_members(target_fpr: float) -> int:
    """Fewest non-members at which TPR at ``target_fpr`` is measurable.

    With fewer than ``1 / target_fpr`` non-members even one false positive exceeds the target, so
    the only admissible threshold is one that flags no non-member at all: that measures TPR at
    FPR 0, not at the target, and reporting it would be a made-up figure.
    """
    _check_fpr(target_fpr)
    return max(1, math.ceil((1.0 / target_fpr) * (1.0 - _FLOAT_SLACK)))


def _cutoff_score(non_members: np.ndarray, target_fpr: float) -> float | None:
    """The non-member score that thresholds must stay strictly above, or None if any will do.

    A threshold t (member iff score >= t) flags at most K non-members, K the budget of false
    positives, exactly when t exceeds the (K+1)-th largest non-member score. ``np.partition``
    finds that in linear time.
    """
    budget = allowed_false_positives(non_members.size, target_fpr)
    if budget >= non_members.size:
        return None
    k = non_members.size - 1 - budget  # ascending index of the (budget+1)-th largest
    return float(np.partition(non_members, k)[k])


def _binomial_tail_above(n: int, p: float, k: int) -> float:
    """P(Binomial(n, p) > k); 1 below the support, 0 above it."""
    if k < 0:
        return 1.0
    if k >= n:
        return 0.0
    return float(_special.bdtrc(k, n, p))


def _binomial_tail_at_most(n: int, p: float, k: int) -> float:
    """P(Binomial(n, p) <= k); 0 below the support, 1 above it."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    return float(_special.bdtr(k, n, p))


def _rank_at_least(n: int, target_fpr: float, risk: float) -> int:
    """Smallest k such that the threshold at the (k+1)-th largest of ``n`` non-member scores,
    ties included, has a true FPR above ``target_fpr`` except with probability <= ``risk``.

    The true FPR of that threshold is at least a Beta(k+1, n-k) variable (exactly it for
    continuous scores; ties only raise it), and P(Beta(k+1, n-k) <= f) = P(Bin(n, f) >= k+1).
    Returns ``n`` when no such threshold exists (the answer is then "flag everything").
    """
    low, high = 0, n  # invariant: the tail at ``high`` is <= risk (it is 0 at k = n)
    if _binomial_tail_above(n, target_fpr, 0) <= risk:
        return 0
    while high - low > 1:  # tail(low) > risk >= tail(high); the tail falls as k grows
        middle = (low + high) // 2
        if _binomial_tail_above(n, target_fpr, middle) <= risk:
            high = middle
        else:
            low = middle
    return high


def _rank_at_most(n: int, target_fpr: float, risk: float) -> int | None:
    """Largest k such that the threshold strictly above the (k+1)-th largest of ``n`` non-member
    scores has a true FPR of at most ``target_fpr`` except with probability <= ``risk``.

    That FPR is at most a Beta(k+1, n-k) variable (ties only lower it), and
    P(Beta(k+1, n-k) > f) = P(Bin(n, f) <= k). None when even the threshold above every
    non-member cannot be trusted to stay within the target ((1 - f)^n > risk).
    """
    if _binomial_tail_at_most(n, target_fpr, 0) > risk:
        return None
    low, high = 0, n  # tail(low) <= risk; tail(n) = 1 > risk
    while high - low > 1:
        middle = (low + high) // 2
        if _binomial_tail_at_most(n, target_fpr, middle) <= risk:
            low = middle
        else:
            high = middle
    return low


def _kth_largest(values: np.ndarray, k: int) -> float:
    """The (k+1)-th largest value (k = 0 is the maximum), in linear time."""
    index = values.size - 1 - k
    return float(np.partition(values, index)[index])


def tpr_upper_bound(
    members: np.ndarray, non_members: np.ndarray, target_fpr: float, level: float
) -> float:
    """One-sided upper confidence bound, at ``level``, on the true TPR at ``target_fpr``.

    The true TPR at FPR f is that of the threshold whose *true* FPR is f, and the non-members
    only estimate where that threshold lies. Half of the error budget ``1 - level`` buys a
    threshold whose true FPR is at least f (an order statistic of the non-members, through the
    Beta law of uniform order statistics); at or below such a threshold the true TPR is at least
    the target's, so the other half bounds that threshold's TPR from above with Clopper-Pearson
    on the members (independent of the non-members). The two failures have probability at most
    ``(1 - level) / 2`` each, so the bound holds with probability at least ``level`` at any
    number of non-members: with few of them the threshold is low and the bound wide, never wrong.
    """
    _check_fpr(target_fpr)
    _check_confidence(level)
    mem = _scores(members, "members")
    non = _scores(non_members, "non_members", allow_empty=True)
    risk = (1.0 - level) / 2.0
    rank = _rank_at_least(non.size, target_fpr, risk)
    if rank >= non.size:
        return 1.0
    threshold = _kth_largest(non, rank)
    flagged = int(np.count_nonzero(mem > threshold)) + _tied_members_above(mem, non, threshold,
                                                                           rank)
    return float(_clopper_pearson_upper(flagged, mem.size, 1.0 - risk))


def _tied_members_above(members: np.ndarray, non_members: np.ndarray, threshold: float,
                        rank: int) -> int:
    """Members tied with the threshold that a random tie-break puts above it.

    Ties are broken by independent uniform keys, which makes the scores continuous, so the
    order-statistic argument holds exactly for the randomised test; its ROC curve lies on or
    above the deterministic one (every deterministic threshold is also a randomised one), so an
    upper bound for it bounds the conservative TPR too, without counting every tied member
    against the release (distances tie often: exact duplicates, categorical columns). The keys
    come from a fixed stream: the same scores give the same bound.
    """
    tied_members = int(np.count_nonzero(members == threshold))
    if tied_members == 0:
        return 0
    from synthcheck.support.randomness import fixed_rng

    tied_non = int(np.count_nonzero(non_members == threshold))
    place = rank - int(np.count_nonzero(non_members > threshold))  # 0: highest tied non-member
    keys = fixed_rng("tpr-ties")
    non_keys = np.sort(keys.random(tied_non))[::-1]
    return int(np.count_nonzero(keys.random(tied_members) > non_keys[place]))


def tpr_lower_bound(
    members: np.ndarray, non_members: np.ndarray, target_fpr: float, level: float
) -> float:
    """One-sided lower confidence bound, at ``level``, on the true TPR at ``target_fpr``.

    The mirror of ``tpr_upper_bound``: a threshold strictly above an order statistic of the
    non-members whose true FPR is at most f (half the error budget), so its true TPR is at most
    the target's, and a Clopper-Pearson lower bound on the members it flags (the other half).
    Ties are never broken here: a tied member is not counted, so the bound holds for the
    deterministic (conservative) rule.
    0 when the non-members are too few to trust any threshold to stay within f.
    """
    _check_fpr(target_fpr)
    _check_confidence(level)
    mem = _scores(members, "members")
    non = _scores(non_members, "non_members", allow_empty=True)
    risk = (1.0 - level) / 2.0
    rank = _rank_at_most(non.size, target_fpr, risk)
    if rank is None:
        return 0.0
    flagged = (
        mem.size if rank >= non.size else int(np.count_nonzero(mem > _kth_largest(non, rank)))
    )
    return float(_clopper_pearson_lower(flagged, mem.size, 1.0 - risk))


def tpr_at_fpr(
    members: np.ndarray,
    non_members: np.ndarray,
    target_fpr: float,
    confidence: float = 0.95,
) -> TprAtFpr | None:
    """TPR of the best threshold whose empirical FPR does not exceed ``target_fpr``.

    This is the conservative reading of the ROC curve: the largest TPR among real thresholds
    within the FPR budget, with no interpolation between ROC points (interpolation credits the
    attack with a randomised mix of thresholds it never ran). A threshold includes all scores tied
    with it, so ties cannot be split to sneak under the budget. Returns None ("not measurable":
    no point estimate) when there are fewer than ``minimum_non_members(target_fpr)``
    non-members. The interval carries both sources of error, the members' binomial and the
    threshold's position among the non-members: it is ``tpr_lower_bound`` and ``tpr_upper_bound``
    at ``1 - (1 - confidence) / 2`` each (see docs/statistics.md).
    """
    _check_fpr(target_fpr)
    _check_confidence(confidence)
    mem = _scores(members, "members")
    non = _scores(non_members, "non_members", allow_empty=True)
    if non.size < minimum_non_members(target_fpr):
        return None
    side = 1.0 - (1.0 - confidence) / 2.0
    low = tpr_lower_bound(mem, non, target_fpr, side)
    high = tpr_upper_bound(mem, non, target_fpr, side)
    cutoff = _cutoff_score(non, target_fpr)
    admitted = mem if cutoff is None else mem[mem > cutoff]
    if admitted.size == 0:
        return TprAtFpr(value=0.0, low=low, high=high, fpr_achieved=0.0, threshold=None)
    # The lowest admitted member score is the threshold that flags all of them; using a real
    # score (rather than the cutoff plus one ulp) keeps the reported threshold readable.
    threshold = float(admitted.min())
    true_positives = int(admitted.size)
    false_positives = int(np.count_nonzero(non >= threshold))
    return TprAtFpr(
        value=true_positives / mem.size,
        low=low,
        high=high,
        fpr_achieved=false_positives / non.size,
        threshold=threshold,
    )


def threshold_at_fpr(non_members: np.ndarray, target_fpr: float) -> float | None:
    """Smallest threshold (member iff score >= threshold) with empirical FPR <= ``target_fpr``.

    Used to flag individual records at the FPR = 0.1 % operating point; it depends only on the
    non-members so the same cut can be applied to any record. It is the next float above the
    cutoff non-member score, so it flags exactly the members ``tpr_at_fpr`` counts. -inf when the
    budget admits every non-member (target 1). None when the only admissible threshold would be
    +inf (no finite score could be flagged) or there are no non-members to calibrate on.
    """
    _check_fpr(target_fpr)
    non = _scores(non_members, "non_members", allow_empty=True)
    if non.size == 0:
        return None
    cutoff = _cutoff_score(non, target_fpr)
    if cutoff is None:
        return -math.inf
    threshold = float(np.nextafter(cutoff, math.inf))
    return None if threshold == math.inf else threshold


# --------------------------------------------------------------------------------------------
# ROC curve and advantage
# --------------------------------------------------------------------------------------------


def _roc_counts(
    members: np.ndarray, non_members: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """False- and true-positive counts at every distinct threshold, from flag-nothing to flag-all.

    Thresholds are the distinct scores in decreasing order, each including its ties; a leading
    zero stands for the threshold above every score.
    """
    m_sorted = np.sort(members)
    nm_sorted = np.sort(non_members)
    # A stable sort of two sorted runs is a linear merge; searchsorted is fastest with ascending
    # needles, so count in ascending order and reverse.
    merged = np.sort(np.concatenate([m_sorted, nm_sorted]), kind="stable")
    thresholds = merged[np.concatenate([[True], merged[1:] != merged[:-1]])]
    tp = (members.size - np.searchsorted(m_sorted, thresholds, side="left"))[::-1]
    fp = (non_members.size - np.searchsorted(nm_sorted, thresholds, side="left"))[::-1]
    zero = np.zeros(1, dtype=tp.dtype)
    return np.concatenate([zero, fp]), np.concatenate([zero, tp])


def roc_curve(
    members: np.ndarray, non_members: np.ndarray, max_points: int = 200
) -> tuple[np.ndarray, np.ndarray]:
    """Empirical ROC curve (fpr, tpr), from (0, 0) to (1, 1), non-decreasing in both.

    The certificate draws it on log-log axes, where the interesting part is the low-FPR corner,
    so when there are more than ``max_points`` points they are kept evenly spaced in log10(fpr)
    rather than in index. At each chosen FPR the highest-TPR point is kept (the upper corner of
    the staircase). The endpoints, the first point with nonzero FPR (the left edge of the log
    plot) and the highest TPR reached at FPR 0 are always kept.
    """
    if max_points < 4:
        raise ValueError(f"max_points must be at least 4, got {max_points}")
    mem = _scores(members, "members")
    non = _scores(non_members, "non_members")
    fp, tp = _roc_counts(mem, non)
    fpr = fp / non.size
    tpr = tp / mem.size
    if fpr.size <= max_points:
        return fpr, tpr
    first_nonzero = int(np.searchsorted(fpr, 0.0, side="right"))
    keep = {0, first_nonzero - 1, first_nonzero, fpr.size - 1}
    budget = max_points - len(keep)
    grid = np.logspace(math.log10(fpr[first_nonzero]), 0.0, budget)
    # Last point at or below each grid FPR: the highest TPR reached without exceeding it.
    picks = np.searchsorted(fpr, grid * (1.0 + _FLOAT_SLACK), side="right") - 1
    keep.update(int(i) for i in picks if i >= first_nonzero)
    # At most 4 fixed points plus ``budget`` picks, so never more than max_points.
    idx = np.array(sorted(keep))
    return fpr[idx], tpr[idx]


def membership_advantage(members: np.ndarray, non_members: np.ndarray) -> float:
    """Largest TPR - FPR over thresholds (Yeom et al.'s membership advantage), at least 0.

    It is the attack's best edge over guessing at any single operating point; flagging nothing
    always gives 0, so the advantage is never negative.
    """
    mem = _scores(members, "members")
    non = _scores(non_members, "non_members")
    fp, tp = _roc_counts(mem, non)
    return float(max(0.0, np.max(tp / mem.size - fp / non.size)))


# --------------------------------------------------------------------------------------------
# Empirical epsilon
# --------------------------------------------------------------------------------------------


EPSILON_GUESS_SHARES = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5)
_EPSILON_CEILING = 50.0  # bisection range for epsilon; e^50 is beyond any meaningful claim


def one_run_p_value(candidates: int, guesses: int, correct: int, epsilon: float,
                    delta: float) -> float:
    """Probability of at least ``correct`` right guesses out of ``guesses`` if the release were
    (epsilon, delta)-DP, by the one-run theorem of Steinke, Nasr & Jagielski (2023, Thm. 5.2
    and their Appendix D): the count is dominated by Binomial(guesses, q), q = e^ε / (1 + e^ε),
    plus a δ term 2 · candidates · δ · max_i P(correct - i <= Binomial < correct) / i.
    Assumes each of ``candidates`` records was a member by an independent fair coin.
    """
    if not 0 <= correct <= guesses <= candidates:
        raise ValueError(f"need 0 <= correct <= guesses <= candidates, got "
                         f"{correct}, {guesses}, {candidates}")
    if correct == 0:
        return 1.0
    q = float(_special.expit(epsilon))
    p = float(_special.bdtrc(correct - 1, guesses, q))  # P(Binomial >= correct)
    if delta > 0.0:
        below = float(_special.bdtr(correct - 1, guesses, q))
        best, done, window = 0.0, 0, 64
        while True:  # max over i of P(correct - i <= B < correct) / i, which is <= 1 / i
            # each widening computes only the terms it adds (a max does not depend on how
            # its terms are grouped): the window grows to ``correct`` where the count is far
            # in the tail, and the bisections of an ε bound call this some 30 times
            i = np.arange(done + 1, min(window, correct) + 1)
            rest = np.where(correct - 1 - i >= 0,
                            _special.bdtr(np.maximum(correct - 1 - i, 0), guesses, q), 0.0)
            best = max(best, float(np.max((below - rest) / i)))
            done = min(window, correct)
            if window >= correct or best >= 1.0 / window:
                break
            window *= 4
        p += 2.0 * candidates * delta * best
    return min(1.0, p)


def one_run_epsilon(candidates: int, guesses: int, correct: int, delta: float,
                    risk: float) -> float:
    """The largest ε at which ``correct`` of ``guesses`` is still a ``risk``-unlikely outcome
    under (ε, δ)-DP: the release is not (ε', δ)-DP for any ε' below it, except with probability
    ``risk``. 0 when even ε = 0 explains the count."""
    if one_run_p_value(candidates, guesses, correct, 0.0, delta) > risk:
        return 0.0
    low, high = 0.0, _EPSILON_CEILING
    if one_run_p_value(candidates, guesses, correct, high, delta) <= risk:
        return high
    while high - low > 1e-6:  # the p-value grows with ε
        middle = (low + high) / 2.0
        if one_run_p_value(candidates, guesses, correct, middle, delta) <= risk:
            low = middle
        else:
            high = middle
    return low


def default_delta(candidates: int) -> float:
    """The δ the one-run audit uses unless one is given: 1 / m², m the candidates it guesses
    on. A DP claim with δ ≥ 1/m says nothing (releasing one random record at ε = 0 meets it),
    so δ = 1/m² is the largest δ a meaningful claim at this size can have; and its term in the
    p-value, 2·m·δ·max_i(...)/i ≤ 2/(m·r), stays below every level the verdict reads, where a
    fixed δ = 1e-5 floors it (docs/statistics.md)."""
    if candidates < 1:
        raise ValueError(f"candidates must be at least 1, got {candidates}")
    return 1.0 / float(candidates) ** 2


def one_run_candidates(members: int, non_members: int) -> int:
    """The candidates the one-run audit guesses on: the larger group is subsampled to the
    smaller's size, so twice the smaller group."""
    return 2 * min(members, non_members)


def _epsilon_designs(total: int, members_in_top, non_members_in_bottom) -> list[tuple[int, int]]:
    """The fixed grid of guess designs (``EPSILON_GUESS_SHARES`` x {top only, top and bottom}):
    (guesses, right guesses) of each."""
    designs = []
    for share in EPSILON_GUESS_SHARES:
        guesses = max(1, round(share * total))
        designs.append((guesses, int(members_in_top(guesses))))
        side = max(1, guesses // 2)
        designs.append((2 * side, int(members_in_top(side) + non_members_in_bottom(side))))
    return designs


@functools.lru_cache(maxsize=64)
def epsilon_ceiling(members: int, non_members: int, delta: float | None,
                    confidence: float = 0.95) -> float:
    """The largest ε lower bound the one-run audit could show with these many members and
    non-members, at ``confidence`` and ``delta`` (None: ``default_delta``): a perfect attack,
    every guess of every design right. An ε limit at or above it cannot FAIL.
    Remembered: it depends on these four numbers only, and every attack of an audit asks for
    it at the same ones (about 250 bisections of the one-run p-value each time)."""
    _check_confidence(confidence)
    half = min(members, non_members)
    if half < 1:
        return 0.0
    total = 2 * half
    delta = default_delta(total) if delta is None else delta
    designs = _epsilon_designs(total, lambda k: min(k, half), lambda k: min(k, half))
    risk = (1.0 - confidence) / len(designs)
    return max(one_run_epsilon(total, guesses, correct, delta, risk)
               for guesses, correct in designs)


def epsilon_lower_bound(
    members: np.ndarray,
    non_members: np.ndarray,
    delta: float | None,
    confidence: float = 0.95,
    seed: int = 0,
) -> float:
    """A sound empirical lower bound on the ε of an (ε, δ)-DP generator: the one-run audit.

    Candidates are the canaries of Steinke, Nasr & Jagielski's one-run audit. The larger group
    is subsampled at random to the smaller's size (their theorem has each record a member by a
    fair coin). On a fixed grid of designs (``EPSILON_GUESS_SHARES`` x {top only, top and
    bottom}) the auditor guesses "member" for the highest scores and "non-member" for the
    lowest, abstaining on the rest, with ties broken at random; each design's count of right
    guesses gives ``one_run_epsilon`` at ``(1 - confidence) / designs`` (Bonferroni over the
    grid, so choosing the best design afterwards is honest), and the bound is the largest.
    Returns 0.0 when there is no evidence of leakage. ``delta`` None: ``default_delta`` of the
    candidates guessed on.

    Assumptions, which the certificate states: members and non-members are a random split of one
    population (a distribution shift reads as leakage) and membership behaves as independent
    fair coins (a random split into equal halves is the fixed-size version of that).
    """
    _check_confidence(confidence)
    if delta is not None and not 0.0 <= delta < 1.0:
        raise ValueError(f"delta must be in [0, 1), got {delta}")
    mem = _scores(members, "members")
    non = _scores(non_members, "non_members")
    from synthcheck.support.randomness import rng as _rng

    generator = _rng(seed, "epsilon")
    half = min(mem.size, non.size)
    mem = mem[np.sort(generator.choice(mem.size, half, replace=False))]
    non = non[np.sort(generator.choice(non.size, half, replace=False))]
    scores = np.concatenate([mem, non])
    truth = np.r_[np.ones(half, dtype=np.int64), np.zeros(half, dtype=np.int64)]
    order = np.lexsort((generator.random(scores.size), -scores))  # descending, random ties
    ranked = truth[order]
    members_in_top = np.r_[0, np.cumsum(ranked)]
    non_members_in_bottom = np.r_[0, np.cumsum(1 - ranked[::-1])]
    total = scores.size
    delta = default_delta(total) if delta is None else delta
    designs = _epsilon_designs(total, members_in_top.__getitem__,
                               non_members_in_bottom.__getitem__)
    risk = (1.0 - confidence) / len(designs)
    return max(one_run_epsilon(total, guesses, correct, delta, risk)
               for guesses, correct in designs)


# --------------------------------------------------------------------------------------------
# Per-record and display helpers
# --------------------------------------------------------------------------------------------


def percentile_among(reference: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Midrank percentile (0-100) of each score among the reference scores.

    Tells a data owner how unusual a record's score is relative to non-members: the share of
    reference scores strictly below it plus half of those tied, so a score equal to every
    reference score sits at 50 rather than at 0 or 100.
    """
    ref = np.sort(_scores(reference, "reference"))
    values = _scores(scores, "scores", allow_empty=True)
    # Look up in sorted order (searchsorted is much faster with sorted needles), then put back.
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    below = np.searchsorted(ref, ordered, side="left")
    not_above = np.searchsorted(ref, ordered, side="right")
    percentiles = np.empty(values.size, dtype=np.float64)
    percentiles[order] = 100.0 * (below + not_above) / (2.0 * ref.size)
    return percentiles


def randomised_percentile_among(reference: np.ndarray, scores: np.ndarray,
                                rng: np.random.Generator) -> np.ndarray:
    """Percentile (0-100) of each score among the reference scores, ties broken at random:
    the share strictly below plus a uniform share of those tied.

    Midranks put every tied score at one value, so with heavy ties (most records share a
    score of an exact-copy attack, say) a fifth or more of the non-members land in one
    decile. Spreading a tie uniformly over the ranks it covers makes the reference's own
    percentiles uniform on [0, 100] whatever the ties, which is what "percentile among
    non-members" promises; records in one tie are indistinguishable, and the draw says so.
    """
    ref = np.sort(_scores(reference, "reference"))
    values = _scores(scores, "scores", allow_empty=True)
    below = np.searchsorted(ref, values, side="left")
    tied = np.searchsorted(ref, values, side="right") - below
    return 100.0 * (below + rng.random(values.size) * tied) / ref.size


def histogram(
    values_by_group: dict[str, np.ndarray], bins: int = 40, log: bool = False,
    tail: float = 0.0,
) -> dict:
    """Counts per group over shared bin edges, ready for JSON and plotting.

    Edges are shared so groups (members vs non-members) can be overlaid; they span all groups'
    finite values, log-spaced when ``log`` is set and every finite value is positive (otherwise
    linear). Infinite scores are clipped into the outer bins so they are counted, not lost. With
    no finite values the edges span [0, 1]. ``tail`` > 0 spans only the central quantiles
    [tail, 1 - tail] of the pooled finite values (the rest is counted in the outer bins), so a
    few extreme scores do not squeeze everything else into one bin.
    """
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}")
    if "edges" in values_by_group:
        raise ValueError("a group may not be called 'edges'")
    groups = {
        name: _scores(values, f"group {name!r}", allow_empty=True)
        for name, values in values_by_group.items()
    }
    finite = np.concatenate(
        [g[np.isfinite(g)] for g in groups.values()] + [np.empty(0)]
    )
    if finite.size == 0:
        edges = np.linspace(0.0, 1.0, bins + 1)
    else:
        lo, hi = float(finite.min()), float(finite.max())
        if tail > 0.0:
            lo, hi = (float(q) for q in np.quantile(finite, [tail, 1.0 - tail]))
        if log and lo > 0.0:
            if lo == hi:
                lo, hi = lo / math.sqrt(10.0), hi * math.sqrt(10.0)
            edges = np.logspace(math.log10(lo), math.log10(hi), bins + 1)
        else:
            if lo == hi:
                lo, hi = lo - 0.5, hi + 0.5
            edges = np.linspace(lo, hi, bins + 1)
        # logspace may round the outer edges; pin them so extreme values stay inside.
        if tail <= 0.0:
            edges[0], edges[-1] = min(edges[0], finite.min()), max(edges[-1], finite.max())
    out: dict = {"edges": [float(e) for e in edges]}
    for name, values in groups.items():
        counts, _ = np.histogram(np.clip(values, edges[0], edges[-1]), bins=edges)
        out[name] = [int(c) for c in counts]
    return out


# --------------------------------------------------------------------------------------------
# Power: what a release without leakage shows at a given number of records
# --------------------------------------------------------------------------------------------


def _beta_binomial_pmf(j: np.ndarray, trials: int, a: float, b: float) -> np.ndarray:
    log_pmf = (
        _special.gammaln(trials + 1.0) - _special.gammaln(j + 1.0)
        - _special.gammaln(trials - j + 1.0)
        + _special.betaln(j + a, trials - j + b) - _special.betaln(a, b)
    )
    return np.exp(log_pmf)


def beta_binomial_cdf(k: int, trials: int, a: float, b: float) -> float:
    """P(X <= k) for X ~ BetaBinomial(trials, a, b), by summing the pmf in log space."""
    if k < 0:
        return 0.0
    if k >= trials:
        return 1.0
    j = np.arange(k + 1, dtype=np.float64)
    return float(min(1.0, _beta_binomial_pmf(j, trials, a, b).sum()))


def beta_binomial_sf(k: int, trials: int, a: float, b: float) -> float:
    """P(X >= k) for X ~ BetaBinomial(trials, a, b), summed over the upper tail itself so that
    tiny p-values keep their precision."""
    if k <= 0:
        return 1.0
    if k > trials:
        return 0.0
    j = np.arange(k, trials + 1, dtype=np.float64)
    return float(min(1.0, _beta_binomial_pmf(j, trials, a, b).sum()))


def clean_pass_probability_tpr(
    members: int, non_members: int, target_fpr: float, limit: float, level: float
) -> float:
    """Probability that ``tpr_upper_bound`` at ``level`` is at most ``limit`` when the attack
    is no better than guessing (member and non-member scores drawn alike, continuous).

    Exact: the bound's threshold is an order statistic whose true FPR U is Beta(k+1, n-k), the
    members it flags are then Binomial(members, U), i.e. BetaBinomial overall, and the bound is
    at most the limit exactly when that count is at most the largest count whose
    Clopper-Pearson upper bound is.
    """
    _check_fpr(target_fpr)
    _check_confidence(level)
    risk = (1.0 - level) / 2.0
    rank = _rank_at_least(non_members, target_fpr, risk)
    if rank >= non_members:
        return 1.0 if limit >= 1.0 else 0.0
    low, high = -1, members  # largest count whose upper bound is <= limit, by bisection
    if float(_clopper_pearson_upper(members, members, 1.0 - risk)) <= limit:
        return 1.0
    while high - low > 1:
        middle = (low + high) // 2
        if float(_clopper_pearson_upper(middle, members, 1.0 - risk)) <= limit:
            low = middle
        else:
            high = middle
    return beta_binomial_cdf(low, members, rank + 1.0, non_members - rank)


def clean_pass_probability_auc(
    members: int, non_members: int, limit: float, level: float
) -> float:
    """Probability that the AUC's one-sided upper bound at ``level`` is at most ``limit`` when
    the attack is no better than guessing: the AUC is then about Normal(1/2, s^2) with the
    Mann-Whitney variance s^2 = (m + n + 1) / (12 m n), and the bound adds z_level s to it."""
    _check_confidence(level)
    sd = math.sqrt((members + non_members + 1.0) / (12.0 * members * non_members))
    return float(_special.ndtr((limit - 0.5) / sd - _special.ndtri(level)))


def records_needed(pass_probability, power: float = 0.95, most: int = 10_000_000) -> int | None:
    """Fewest records n (members and non-members, n each) at which ``pass_probability(n)``
    reaches ``power``; None when not even ``most`` do. Doubling, then bisection (the pass
    probability grows with n up to the small steps of discrete counts, which this smooths over).
    """
    low, high = 1, 2
    while pass_probability(high) < power:
        low, high = high, high * 2
        if high > most:
            return None
    while high - low > 1:
        middle = (low + high) // 2
        if pass_probability(middle) >= power:
            high = middle
        else:
            low = middle
    return high
