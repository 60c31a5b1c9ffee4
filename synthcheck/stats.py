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

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as _sps

__all__ = [
    "Interval",
    "TprAtFpr",
    "bonferroni_level",
    "clopper_pearson",
    "epsilon_from_rates",
    "epsilon_lower_bound",
    "histogram",
    "membership_advantage",
    "minimum_non_members",
    "percentile_among",
    "roc_auc",
    "roc_curve",
    "threshold_at_fpr",
    "tpr_at_fpr",
]

# Relative slack for float products such as ``n * target_fpr`` that are integers in exact
# arithmetic (1000 * 0.001) but may land a hair below in binary floating point.
_FLOAT_SLACK = 1e-9

# Threshold candidates examined when choosing the ε test on the selection half; more only costs
# time (one Clopper-Pearson quantile per candidate) without changing the bound materially.
_MAX_EPSILON_CANDIDATES = 2000


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


def _allowed_false_positives(n_non_members: int, target_fpr: float) -> int:
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
        _sps.beta.ppf(alpha / 2, successes, trials - successes + 1)
    )
    high = 1.0 if successes == trials else float(
        _sps.beta.ppf(1 - alpha / 2, successes + 1, trials - successes)
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
    upper = _sps.beta.ppf(level, k + 1, np.where(full, 1.0, trials - k))
    return np.where(full, 1.0, upper)


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
    half_width = float(_sps.norm.ppf(0.5 + confidence / 2.0)) * math.sqrt(var)
    return Interval(
        value=auc, low=max(0.0, auc - half_width), high=min(1.0, auc + half_width)
    )


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
    budget = _allowed_false_positives(non_members.size, target_fpr)
    if budget >= non_members.size:
        return None
    k = non_members.size - 1 - budget  # ascending index of the (budget+1)-th largest
    return float(np.partition(non_members, k)[k])


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
    with it, so ties cannot be split to sneak under the budget. Returns None ("not measurable")
    when there are fewer than ``minimum_non_members(target_fpr)`` non-members. The interval is
    Clopper-Pearson on (true positives, number of members).
    """
    _check_fpr(target_fpr)
    _check_confidence(confidence)
    mem = _scores(members, "members")
    non = _scores(non_members, "non_members", allow_empty=True)
    if non.size < minimum_non_members(target_fpr):
        return None
    cutoff = _cutoff_score(non, target_fpr)
    admitted = mem if cutoff is None else mem[mem > cutoff]
    if admitted.size == 0:
        low, high = clopper_pearson(0, mem.size, confidence)
        return TprAtFpr(value=0.0, low=low, high=high, fpr_achieved=0.0, threshold=None)
    # The lowest admitted member score is the threshold that flags all of them; using a real
    # score (rather than the cutoff plus one ulp) keeps the reported threshold readable.
    threshold = float(admitted.min())
    true_positives = int(admitted.size)
    false_positives = int(np.count_nonzero(non >= threshold))
    low, high = clopper_pearson(true_positives, mem.size, confidence)
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


def epsilon_from_rates(fpr_upper: float, fnr_upper: float, delta: float) -> float:
    """ε implied by upper bounds on a membership test's FPR and FNR under (ε, δ)-DP.

    (ε, δ)-DP forces TPR <= e^ε FPR + δ and, for the complementary test, TNR <= e^ε FNR + δ, so
    ε >= ln((1 - δ - FNR) / FPR) and ε >= ln((1 - δ - FPR) / FNR). Plugging in *upper* bounds on
    both rates keeps the result a lower bound. A term whose numerator is not positive carries no
    evidence; a zero denominator with positive numerator means unbounded ε (it cannot happen with
    Clopper-Pearson upper bounds from at least one trial, which are always positive).
    """
    for name, value in (("fpr_upper", fpr_upper), ("fnr_upper", fnr_upper)):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be in [0, 1], got {value}")
    if not 0.0 <= delta < 1.0:
        raise ValueError(f"delta must be in [0, 1), got {delta}")
    best = 0.0
    for numerator, denominator in (
        (1.0 - delta - fnr_upper, fpr_upper),
        (1.0 - delta - fpr_upper, fnr_upper),
    ):
        if numerator <= 0.0:
            continue
        if denominator <= 0.0:
            return math.inf
        best = max(best, math.log(numerator / denominator))
    return best


def _epsilon_terms(
    fpr_up: np.ndarray, fnr_up: np.ndarray, delta: float
) -> np.ndarray:
    """Vectorised ``epsilon_from_rates`` for the threshold search (denominators are positive)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.log(np.maximum(1.0 - delta - fnr_up, 0.0) / fpr_up)
        b = np.log(np.maximum(1.0 - delta - fpr_up, 0.0) / fnr_up)
    return np.maximum(0.0, np.fmax(a, b))


def epsilon_lower_bound(
    members: np.ndarray,
    non_members: np.ndarray,
    delta: float,
    confidence: float = 0.95,
    seed: int = 0,
) -> float:
    """A sound empirical lower bound on the ε of an (ε, δ)-DP generator, from attack scores.

    Choosing the best threshold and then bounding its error rates on the same records would
    overfit (the maximum over thousands of thresholds is optimistic), so members and non-members
    are each split at random into halves A and B. On A the test (a threshold t and a direction,
    "score >= t means member" or "score <= t means member") is chosen to maximise the bound;
    on B, which played no part in that choice, the test's FPR and FNR are bounded by one-sided
    Clopper-Pearson upper bounds, each at level ``1 - (1 - confidence) / 2`` (Bonferroni over
    the two rates), and ``epsilon_from_rates`` turns them into ε. Returns 0.0 when there is no
    evidence of leakage.

    Assumptions, which the certificate must state: members and non-members are a random split of
    one population (otherwise a distribution shift reads as leakage), and records' test outcomes
    are treated as independent trials. Under these, the bound is one-sided and does not exceed
    the true ε of an (ε, δ)-DP mechanism with probability at least ``confidence``.
    """
    _check_confidence(confidence)
    if not 0.0 <= delta < 1.0:
        raise ValueError(f"delta must be in [0, 1), got {delta}")
    mem = _scores(members, "members")
    non = _scores(non_members, "non_members")
    if mem.size < 2 or non.size < 2:
        return 0.0
    rng = np.random.default_rng(seed)
    mem = mem[rng.permutation(mem.size)]
    non = non[rng.permutation(non.size)]
    mem_a, mem_b = np.sort(mem[: mem.size // 2]), mem[mem.size // 2 :]
    non_a, non_b = np.sort(non[: non.size // 2]), non[non.size // 2 :]
    level = 1.0 - (1.0 - confidence) / 2.0

    candidates = np.sort(np.concatenate([mem_a, non_a]))
    if candidates.size > _MAX_EPSILON_CANDIDATES:
        pick = np.linspace(0, candidates.size - 1, _MAX_EPSILON_CANDIDATES).round()
        candidates = candidates[pick.astype(np.int64)]
    candidates = np.unique(candidates)

    # Direction "score >= t": FP = non-members at or above t, FN = members below t.
    # Direction "score <= t": FP = non-members at or below t, FN = members above t.
    nm_lt = np.searchsorted(non_a, candidates, side="left")
    nm_le = np.searchsorted(non_a, candidates, side="right")
    m_lt = np.searchsorted(mem_a, candidates, side="left")
    m_le = np.searchsorted(mem_a, candidates, side="right")
    fp = np.concatenate([non_a.size - nm_lt, nm_le])
    fn = np.concatenate([m_lt, mem_a.size - m_le])
    bound_a = _epsilon_terms(
        _clopper_pearson_upper(fp, non_a.size, level),
        _clopper_pearson_upper(fn, mem_a.size, level),
        delta,
    )
    best = int(np.argmax(bound_a))
    if bound_a[best] <= 0.0:
        return 0.0
    threshold = candidates[best % candidates.size]
    if best < candidates.size:
        fp_b = int(np.count_nonzero(non_b >= threshold))
        fn_b = int(np.count_nonzero(mem_b < threshold))
    else:
        fp_b = int(np.count_nonzero(non_b <= threshold))
        fn_b = int(np.count_nonzero(mem_b > threshold))
    fpr_up = float(_clopper_pearson_upper(fp_b, non_b.size, level))
    fnr_up = float(_clopper_pearson_upper(fn_b, mem_b.size, level))
    return epsilon_from_rates(fpr_up, fnr_up, delta)


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
