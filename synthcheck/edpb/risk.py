"""A risk from an attack rate and a control rate, with its interval.

``risk = (attack - control) / (1 - control)`` (anonymeter's definition): the share of what the
control cannot already do that the attack does. The rates get exact (Clopper-Pearson)
intervals, each at ``1 - (1 - confidence) / 2`` (Bonferroni over the two), and the risk's
interval is the formula at their corners (it grows with the attack rate and falls with the
control rate), so it holds at ``confidence``. The point estimate and the bounds are clipped to
[0, 1]: an attack that does no better on the members than on the holdout has risk 0.
"""
from __future__ import annotations

from dataclasses import dataclass

from synthcheck.measure import stats


@dataclass(frozen=True)
class Risk:
    """``risk`` in [``low``, ``high``] at ``level``; ``attack_rate`` = ``attack_successes`` /
    ``attacks`` on the members, ``control_rate`` the same on the holdout (``controls``)."""

    risk: float
    low: float
    high: float
    attack_rate: float
    control_rate: float
    attacks: int
    attack_successes: int
    controls: int
    control_successes: int
    level: float


def _formula(attack: float, control: float) -> float:
    if control >= 1.0:
        return 0.0
    return min(1.0, max(0.0, (attack - control) / (1.0 - control)))


def risk_of(attack_successes: int, attacks: int, control_successes: int, controls: int,
            confidence: float) -> Risk:
    """The risk of ``attack_successes`` of ``attacks`` against ``control_successes`` of
    ``controls``, with its two-sided interval at ``confidence``."""
    each = stats.bonferroni_level(confidence, 2)
    attack_rate = attack_successes / attacks if attacks else 0.0
    control_rate = control_successes / controls if controls else 0.0
    attack_low, attack_high = stats.clopper_pearson(attack_successes, attacks, each)
    control_low, control_high = stats.clopper_pearson(control_successes, controls, each)
    return Risk(risk=_formula(attack_rate, control_rate),
                low=_formula(attack_low, control_high), high=_formula(attack_high, control_low)
                if control_low < 1.0 else 1.0,
                attack_rate=attack_rate, control_rate=control_rate,
                attacks=int(attacks), attack_successes=int(attack_successes),
                controls=int(controls), control_successes=int(control_successes),
                level=confidence)
