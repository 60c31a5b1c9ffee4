"""From per-record scores to typed statistics (``AttackResult``) and the per-record table.

Everything here is arithmetic on score arrays (via ``stats``); no attack knowledge. The figures
an audit reports are taken from these once, in ``auditing.figures``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from synthcheck.measure import stats
from synthcheck.support.randomness import rng as rng_for

# The FPR operating points every attack is read at: named here once. Keys in results.json are
# their repr ("0.001", "0.01", "0.1"); labels for people are fpr_label's.
FPR_TARGETS = (0.001, 0.01, 0.1)
FLAG_FPR = 0.001  # records are flagged at this FPR's threshold
HEADLINE_FPR = 0.01  # the rate "strongest attack" and the plain sentence speak of


def fpr_label(fpr: float) -> str:
    """An FPR target as people read it: "0.1 %", "1 %", "10 %"."""
    return f"{fpr * 100:g} %"


@dataclass(frozen=True)
class Flagged:
    """Records whose score reaches the FLAG_FPR threshold, against what chance would flag.

    If members scored like non-members, the threshold's true FPR would be Beta(k+1, n-k) (k the
    non-members it may flag), so the members flagged are BetaBinomial(m, k+1, n-k): their
    expectation is ``expected_members`` and ``p_value`` is the chance of at least as many.
    """

    members: int
    non_members: int
    expected_members: float
    expected_non_members: float
    p_value: float

    def as_dict(self) -> dict:
        return {"members": self.members, "non_members": self.non_members,
                "expected_by_chance": {"members": self.expected_members,
                                       "non_members": self.expected_non_members},
                "p_value": self.p_value}


@dataclass(frozen=True)
class AttackResult:
    """One attack's scores split by membership, and every statistic of them at the level asked.

    Nothing is pre-computed at a fixed level: ``auc(level)``, ``tpr_at(fpr, level)`` and
    ``epsilon(level)`` compute on demand (the verdict asks at its adjusted level, the tables at
    the audit's confidence). ``seed`` drives the one-run epsilon audit's random choices.
    ``delta`` None: the one-run audit's default, 1 / m² (``stats.default_delta``); the value
    used is ``delta_used``.
    """

    members: np.ndarray
    non_members: np.ndarray
    delta: float | None
    seed: int
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    def _memo(self, key: tuple, compute):
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    def auc(self, level: float = 0.95) -> stats.Interval:
        """AUC with its two-sided DeLong interval at ``level``."""
        # the sorts behind the AUC and its variance once; an interval per level from them
        moments = self._memo(("auc moments",),
                             lambda: stats.auc_and_variance(self.members, self.non_members))
        return self._memo(("auc", level), lambda: stats.auc_interval(*moments, level))

    def auc_bounds(self, level: float) -> stats.Interval:
        """AUC with one-sided lower and upper bounds, each holding at ``level``."""
        return self.auc(2.0 * level - 1.0)

    def tpr_at(self, fpr: float, level: float = 0.95) -> stats.TprAtFpr | None:
        """TPR at ``fpr`` (conservative rule) with its two-sided interval at ``level``; None
        when there are fewer than 1/fpr non-members for a point estimate."""
        return self._memo(("tpr", fpr, level), lambda: stats.tpr_at_fpr(
            self.members, self.non_members, fpr, level))

    def tpr_bounds(self, fpr: float, level: float) -> stats.Interval:
        """One-sided lower and upper bounds on the TPR at ``fpr``, each holding at ``level``, at
        any number of non-members; ``value`` is the point estimate or NaN where there is none."""
        def compute() -> stats.Interval:
            found = self.tpr_at(fpr)
            return stats.Interval(
                value=math.nan if found is None else found.value,
                low=stats.tpr_lower_bound(self.members, self.non_members, fpr, level),
                high=stats.tpr_upper_bound(self.members, self.non_members, fpr, level))
        return self._memo(("tpr_bounds", fpr, level), compute)

    @property
    def delta_used(self) -> float:
        """The δ of the ε bounds: as given, or 1 / m² for the m candidates guessed on."""
        if self.delta is not None:
            return self.delta
        return stats.default_delta(stats.one_run_candidates(self.members.size,
                                                            self.non_members.size))

    def epsilon(self, level: float = 0.95) -> float:
        """The one-run ε lower bound holding at ``level``."""
        return self._memo(("epsilon", level), lambda: stats.epsilon_lower_bound(
            self.members, self.non_members, self.delta_used, level, self.seed))

    def epsilon_ceiling(self, level: float = 0.95) -> float:
        """The largest ε bound this audit design could show at ``level`` (a perfect attack)."""
        return self._memo(("epsilon_ceiling", level), lambda: stats.epsilon_ceiling(
            self.members.size, self.non_members.size, self.delta_used, level))

    def advantage(self) -> float:
        return self._memo(("advantage",), lambda: stats.membership_advantage(
            self.members, self.non_members))

    def flag_threshold(self) -> tuple[bool, float | None]:
        return flag_threshold(self.non_members)

    def flagged(self) -> Flagged | None:
        """Members and non-members flagged at FLAG_FPR, with the numbers chance would flag;
        None when FLAG_FPR is not measurable with these non-members."""
        measurable, threshold = self.flag_threshold()
        if not measurable:
            return None
        m, n = self.members.size, self.non_members.size
        budget = stats.allowed_false_positives(n, FLAG_FPR)
        hits = int(flagged_mask(self.members, threshold).sum())
        a, b = budget + 1.0, float(n - budget)
        return Flagged(members=hits,
                       non_members=int(flagged_mask(self.non_members, threshold).sum()),
                       expected_members=m * a / (a + b), expected_non_members=FLAG_FPR * n,
                       p_value=stats.beta_binomial_sf(hits, m, a, b))


def attack_result(scores: np.ndarray, is_member: np.ndarray, *, delta: float | None,
                  seed: int) -> AttackResult:
    return AttackResult(members=scores[is_member], non_members=scores[~is_member], delta=delta,
                        seed=seed)


def flag_threshold(non_members: np.ndarray) -> tuple[bool, float | None]:
    """Whether FPR 0.1 % is measurable with these non-members, and the score threshold that
    flags records at it (None: no threshold flags anyone within that FPR)."""
    if len(non_members) < stats.minimum_non_members(FLAG_FPR):
        return False, None
    return True, stats.threshold_at_fpr(non_members, FLAG_FPR)


def flagged_mask(scores: np.ndarray, threshold: float | None) -> np.ndarray:
    return scores >= threshold if threshold is not None else np.zeros(len(scores), bool)


def flagged_union(records: pd.DataFrame) -> dict:
    """Records flagged by any attack: members, non-members, and the FPR that union achieves on
    the non-members (each attack's threshold allows FLAG_FPR, the union up to attacks x that)."""
    member = records["member"].to_numpy()
    flagged = records["flagged"].to_numpy()
    non_members = int((~member).sum())
    return {"members": int((flagged & member).sum()),
            "non_members": int((flagged & ~member).sum()),
            "fpr_achieved": float((flagged & ~member).sum() / non_members) if non_members else None,
            "fpr_per_attack": FLAG_FPR}


def records_table(names: pd.Series, roles: np.ndarray, rows: np.ndarray, is_member: np.ndarray,
                  scores: dict[str, np.ndarray], seed: int = 0) -> pd.DataFrame:
    """One row per candidate: id, role, row in its file, member flag, each attack's score,
    percentile among non-members and flag at the FPR 0.1 % threshold, and the record's risk.
    For the data owner.

    ``risk_percentile`` is calibrated: a record's highest percentile over attacks, placed among
    the non-members' highest percentiles with ties broken at random (``seed``), so non-members
    are uniform on it whatever the number of attacks (a plain maximum over attacks would push
    them towards 100) and however many records tie (a midrank would stack a tie in one bin).
    """
    table = pd.DataFrame({"id": names.to_numpy(), "role": roles, "row": rows,
                          "member": is_member})
    percentiles, flags = [], []
    for name, score in scores.items():
        non_members = score[~is_member]
        percentile = stats.percentile_among(non_members, score)
        flagged = flagged_mask(score, flag_threshold(non_members)[1])
        table[f"score_{name}"] = score
        table[f"percentile_{name}"] = percentile
        table[f"flagged_{name}"] = flagged
        percentiles.append(percentile)
        flags.append(flagged)
    highest = np.max(percentiles, axis=0)
    table["risk_percentile"] = stats.randomised_percentile_among(
        highest[~is_member], highest, rng_for(seed, "risk-ties"))
    table["flagged"] = np.any(flags, axis=0)
    return table


def summaries(distance_to_synthetic: np.ndarray, is_member: np.ndarray,
              risk_percentile: np.ndarray) -> dict:
    """Small histograms for the certificate's plots, independent of table size."""
    positive = distance_to_synthetic[distance_to_synthetic > 0]
    floor = float(positive.min()) if positive.size else 1e-6
    clipped = np.maximum(distance_to_synthetic, floor)
    return {
        "distance_to_synthetic": stats.histogram(
            {"train": clipped[is_member], "holdout": clipped[~is_member]}, bins=40, log=True),
        "risk": stats.histogram({"members": risk_percentile[is_member],
                                 "non_members": risk_percentile[~is_member]}, bins=20),
    }
