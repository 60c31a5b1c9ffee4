"""From the measured statistics (``AttackResult``s, the verdict, the copy counts) to the figures
``AuditResults`` holds: each computed here once, with its level and side.

The only place that asks an ``AttackResult`` for numbers at a level; everything downstream
reads the figures.
"""
from __future__ import annotations

import math

from synthcheck.auditing.results import (
    FPR_TARGETS,
    HEADLINE_FPR,
    AttackFigures,
    BoundPair,
    ChanceCount,
    Curves,
    Estimate,
    Flagged,
    Overall,
    Strongest,
    TprEstimate,
    VerdictBounds,
    fpr_label,
)
from synthcheck.measure import stats
from synthcheck.measure.attack_results import AttackResult
from synthcheck.support.codec import plain


def estimate(interval: stats.Interval, level: float) -> Estimate:
    return Estimate(float(interval.value), float(interval.low), float(interval.high), level)


def tpr_estimate(found: stats.TprAtFpr | None, level: float) -> TprEstimate | None:
    if found is None:
        return None
    return TprEstimate(float(found.value), float(found.low), float(found.high), level,
                       float(found.fpr_achieved),
                       None if found.threshold is None else float(found.threshold))


def _pair(lower: stats.Interval, upper: stats.Interval) -> BoundPair:
    """The lower end of one interval with the upper end of another (same estimate)."""
    value = None if math.isnan(lower.value) else float(lower.value)
    return BoundPair(value, float(lower.low), float(upper.high))


def attack_figures(result: AttackResult, *, description: str, details: dict,
                   confidence: float, epsilon_level: float, verdict_level: float,
                   pass_level: float) -> AttackFigures:
    """One attack's figures: the tables' at ``confidence`` (two-sided), ε and its ceiling at
    ``epsilon_level``, and the verdict's one-sided bounds (lows at ``verdict_level``, highs at
    ``pass_level``)."""
    fpr, tpr = stats.roc_curve(result.members, result.non_members)
    flagged = result.flagged()
    return AttackFigures(
        description=description,
        auc=estimate(result.auc(confidence), confidence),
        tpr_at_fpr={f: tpr_estimate(result.tpr_at(f, confidence), confidence)
                    for f in FPR_TARGETS},
        advantage=float(result.advantage()),
        epsilon_lower_bound=float(result.epsilon(epsilon_level)),
        epsilon_level=epsilon_level,
        epsilon_ceiling=float(result.epsilon_ceiling(epsilon_level)),
        flagged=None if flagged is None else Flagged(
            flagged.members, flagged.non_members,
            ChanceCount(flagged.expected_members, flagged.expected_non_members),
            flagged.p_value),
        verdict_bounds=VerdictBounds(
            level=verdict_level, pass_level=pass_level,
            auc=_pair(result.auc_bounds(verdict_level), result.auc_bounds(pass_level)),
            tpr_at_fpr={f: _pair(result.tpr_bounds(f, verdict_level),
                                 result.tpr_bounds(f, pass_level)) for f in FPR_TARGETS},
            epsilon_lower_bound=float(result.epsilon(verdict_level)),
            epsilon_ceiling=float(result.epsilon_ceiling(verdict_level))),
        curves=Curves(
            roc={"fpr": tuple(float(v) for v in fpr), "tpr": tuple(float(v) for v in tpr)},
            score_histogram=plain(stats.histogram(
                {"members": result.members, "non_members": result.non_members}, tail=0.005))),
        details=plain(details))


def _leader(figures: dict[str, AttackFigures], value) -> str:
    """The attack with the highest ``value`` (ties: the first named)."""
    return max(figures, key=lambda name: value(figures[name]))


def strongest(figures: dict[str, AttackFigures]) -> Strongest:
    """The one rule for "strongest attack" (see ``Strongest``): the highest TPR at FPR 1 % when
    every attack has one, else the highest AUC; ties go to the first named."""
    if not figures:
        return Strongest(None, "", stands_out=False)
    use_tpr = all(f.tpr(HEADLINE_FPR) is not None for f in figures.values())
    label = f"TPR at FPR {fpr_label(HEADLINE_FPR)}" if use_tpr else "AUC"

    def strength(name: str) -> Estimate:
        return figures[name].tpr(HEADLINE_FPR) if use_tpr else figures[name].auc

    ranked = sorted(figures, key=lambda name: strength(name).value, reverse=True)
    if len(ranked) == 1:
        return Strongest(ranked[0], label, stands_out=True)
    leader, runner_up = strength(ranked[0]), strength(ranked[1])
    ceiling = tuple(name for name in ranked if strength(name).value >= 1.0)
    return Strongest(ranked[0], label, stands_out=leader.low > runner_up.value,
                     runner_up=ranked[1], ceiling=ceiling,
                     all_at_ceiling=len(ceiling) == len(ranked))


def overall(figures: dict[str, AttackFigures]) -> Overall:
    """Each figure the highest over attacks and the attack it comes from, and the strongest."""
    auc_from = _leader(figures, lambda f: f.auc.value)
    tpr_from = {}
    for fpr in FPR_TARGETS:
        measured = {n: f for n, f in figures.items() if f.tpr(fpr) is not None}
        tpr_from[fpr] = _leader(measured, lambda f, x=fpr: f.tpr(x).value) if measured else None
    advantage_from = _leader(figures, lambda f: f.advantage)
    epsilon_from = _leader(figures, lambda f: f.epsilon_lower_bound)
    best = strongest(figures)
    return Overall(
        strongest_attack=best.attack if best.stands_out else None,
        auc=figures[auc_from].auc,
        tpr_at_fpr={f: None if tpr_from[f] is None else figures[tpr_from[f]].tpr(f)
                    for f in FPR_TARGETS},
        advantage=figures[advantage_from].advantage,
        epsilon_lower_bound=figures[epsilon_from].epsilon_lower_bound,
        epsilon_ceiling=figures[epsilon_from].epsilon_ceiling,
        from_attack={"auc": auc_from, "tpr_at_fpr": {repr(f): tpr_from[f] for f in FPR_TARGETS},
                     "advantage": advantage_from, "epsilon_lower_bound": epsilon_from},
        strongest=best)
