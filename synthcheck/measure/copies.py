"""Exact copies: members' rows, and the values of columns left out of the distances, found
verbatim in the release, against the holdout as the baseline (natural duplicates exist).

Two kinds of check, both a one-sided test of "members are found in the release more often than
non-members" on two counts (x1 of n1 members found, x0 of n0 non-members found):

* copied rows: a candidate is found when the release holds a row identical to it on every
  audited column after type coercion (``row_hashes``; the ``exact-copy`` attack scores it);
* copied values: for each excluded column (id-like text, unique numbers, personal-data sdtypes,
  the id column when the release has it), a candidate is found when its value of that column
  appears verbatim in the release's column (missing values are not values: not counted).

The test (``exceeds_baseline``) is an exact unconditional one: the p-value is the largest,
over the common rate pi, of the probability that two binomials Bin(n1, pi) and Bin(n0, pi)
give a signed-root likelihood ratio statistic at least the observed one (Barnard's
construction with the likelihood-ratio ordering; Berger and Boos' restriction of pi to a
1 - gamma confidence interval, gamma added to the p-value). It is exact when members and
non-members are independent draws from one population (then, given the release, each
candidate is found independently with the same probability). Conditional (Fisher) tests
lose power at small counts: five copies against none give p = 0.031 conditionally, 0.0095
here. Counts and rates only; no value leaves this module.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

BERGER_BOOS_GAMMA = 1e-5  # pi is searched in a 1 - gamma interval; gamma is added to p
GRID = 48  # rates tried in that interval before refining around the largest

from synthcheck.inputs.rows import found_rows, found_values, row_hashes  # noqa: E402,F401

# ------------------------------------------------------------------------------------------
# The test
# ------------------------------------------------------------------------------------------

def _xlogy(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    from scipy.special import xlogy

    return xlogy(x, y)


def signed_root_lr(x1, n1: int, x0, n0: int) -> np.ndarray:
    """sign(x1/n1 - x0/n0) * sqrt(likelihood ratio statistic of "two rates" vs "one rate")."""
    x1 = np.asarray(x1, dtype=np.float64)
    x0 = np.asarray(x0, dtype=np.float64)
    pooled = (x1 + x0) / (n1 + n0)

    def loglik(x, n, p):
        return _xlogy(x, p) + _xlogy(n - x, 1.0 - p)

    deviance = 2.0 * (loglik(x1, n1, x1 / n1) + loglik(x0, n0, x0 / n0)
                      - loglik(x1, n1, pooled) - loglik(x0, n0, pooled))
    return np.sign(x1 / n1 - x0 / n0) * np.sqrt(np.maximum(deviance, 0.0))


def _thresholds(t: float, n1: int, x0: np.ndarray, n0: int) -> np.ndarray:
    """For each x0, the smallest x1 whose statistic reaches t (n1 + 1: none). The statistic
    rises with x1 once x1/n1 > x0/n0, so a bisection per x0 finds it."""
    low = np.floor(x0 * n1 / n0).astype(np.int64)  # statistic <= 0 here
    high = np.full(len(x0), n1 + 1, dtype=np.int64)  # treated as reaching t
    while True:
        open_ = high - low > 1
        if not open_.any():
            return high
        middle = (low + high) // 2
        reaches = signed_root_lr(np.minimum(middle, n1), n1, x0, n0) >= t
        reaches |= middle > n1
        high = np.where(open_ & reaches, middle, high)
        low = np.where(open_ & ~reaches, middle, low)


def _support(pi: float, n0: int) -> tuple[int, int]:
    """The non-member counts that carry all but ~1e-30 of Bin(n0, pi)."""
    mean, spread = n0 * pi, np.sqrt(n0 * pi * (1 - pi))
    return max(0, int(mean - 12 * spread - 10)), min(n0, int(mean + 12 * spread + 10))


def _tail(pi: float, n1: int, n0: int, first: int, needed: np.ndarray) -> float:
    """P(statistic >= t) when both counts are binomial with rate pi; ``needed[k]`` is the
    smallest member count reaching t when x0 = first + k."""
    from scipy.special import bdtrc, gammaln

    low, high = _support(pi, n0)
    x0 = np.arange(low, high + 1)
    need = needed[low - first: high - first + 1]
    log_pmf = (gammaln(n0 + 1) - gammaln(x0 + 1) - gammaln(n0 - x0 + 1)
               + _xlogy(x0, pi) + _xlogy(n0 - x0, 1 - pi))
    # P(X1 >= need) = P(X1 > need - 1): 1 when need <= 0, 0 when need > n1
    above = np.where(need > n1, 0.0,
                     np.where(need <= 0, 1.0, bdtrc(np.maximum(need - 1, 0), n1, pi)))
    return float(np.sum(np.exp(log_pmf) * above))


def _rate_interval(found: int, total: int, gamma: float) -> tuple[float, float]:
    """Clopper-Pearson 1 - gamma interval for the common rate (the project's one interval)."""
    from synthcheck.measure.stats import clopper_pearson

    return clopper_pearson(found, total, 1.0 - gamma)


def exceeds_baseline(x1: int, n1: int, x0: int, n0: int,
                     gamma: float = BERGER_BOOS_GAMMA) -> float:
    """One-sided exact unconditional p-value for "members are found more often than
    non-members" (see the module docstring). 1.0 when members are not found more often."""
    if n1 <= 0 or n0 <= 0:
        raise ValueError("both groups need records")
    t = float(signed_root_lr(x1, n1, x0, n0))
    if not t > 0:
        return 1.0
    t -= 1e-9 * max(1.0, t)  # tables tied with the observed one count as extreme
    low, high = _rate_interval(x1 + x0, n1 + n0, gamma)
    low, high = max(low, 1e-12), min(high, 1 - 1e-12)
    grid = np.unique(np.r_[np.geomspace(low, high, GRID), np.linspace(low, high, GRID // 2)])
    supports = np.array([_support(pi, n0) for pi in grid])
    first, last = int(supports[:, 0].min()), int(supports[:, 1].max())
    needed = _thresholds(t, n1, np.arange(first, last + 1), n0)
    tails = np.array([_tail(pi, n1, n0, first, needed) for pi in grid])
    best = int(np.argmax(tails))
    # refine between the neighbours of the largest grid value (the tail is smooth in pi)
    refined = np.linspace(grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)], 17)
    tails = np.r_[tails, [_tail(pi, n1, n0, first, needed) for pi in refined]]
    return float(min(1.0, tails.max() + gamma))


# ------------------------------------------------------------------------------------------
# The checks' numbers for results.json
# ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CopyCount:
    """How many members and non-members were found in the release, and the test's p-value."""

    members: int
    members_found: int
    non_members: int
    non_members_found: int

    @classmethod
    def of(cls, found: np.ndarray, is_member: np.ndarray, counted: np.ndarray | None = None
           ) -> CopyCount:
        counted = np.ones(len(found), bool) if counted is None else np.asarray(counted, bool)
        found = np.asarray(found, bool)
        members, non_members = counted & is_member, counted & ~is_member
        return cls(int(members.sum()), int((found & members).sum()),
                   int(non_members.sum()), int((found & non_members).sum()))

    @property
    def p_value(self) -> float | None:
        if self.members == 0 or self.non_members == 0:
            return None
        return exceeds_baseline(self.members_found, self.members, self.non_members_found,
                                self.non_members)

    def as_dict(self) -> dict:
        return {"members": self.members, "members_found": self.members_found,
                "non_members": self.non_members, "non_members_found": self.non_members_found,
                "p_value": self.p_value}


TEST_DESCRIPTION = ("one-sided exact unconditional test of members found vs non-members found "
                    f"(likelihood-ratio ordering, Berger-Boos gamma {BERGER_BOOS_GAMMA:g}); "
                    "it assumes members and non-members are independent draws from one population")


def checked_columns(excluded: dict[str, str], id_column: str | None) -> dict[str, str]:
    """The columns left out of the distances, each with why: they get the exact-value check."""
    columns = dict(excluded)
    if id_column is not None:
        columns[id_column] = "id column (names records)"
    return columns


def value_checks(candidates: pd.DataFrame, release: pd.DataFrame, columns: dict[str, str],
                 is_member: np.ndarray) -> dict[str, dict]:
    """Per column left out of the distances: members' and non-members' values found verbatim
    in the release's column. ``candidates``: the raw rows (train then holdout) as read."""
    checks = {}
    for name, why in columns.items():
        if name not in release.columns:
            checks[name] = {"why": why, "in_release": False}
            continue
        values = candidates[name].reset_index(drop=True)
        found = found_values(values, release[name])
        count = CopyCount.of(found, is_member, values.notna().to_numpy())
        checks[name] = {"why": why, "in_release": True} | count.as_dict()
    return checks


def unique_rows_check(candidates: pd.DataFrame, release: pd.DataFrame, is_member: np.ndarray,
                      counted: np.ndarray | None = None) -> dict:
    """The worst case, counted whatever the verdict: members (and non-members) whose whole row
    (audited columns, coerced) no other real record in the audit shares, found verbatim in the
    release. A copied row that others share could be any of them; one nobody shares names its
    person. ``counted`` as in ``rows_check`` (both groups filtered alike)."""
    hashes = row_hashes(candidates)
    _, inverse, counts = np.unique(hashes, return_inverse=True, return_counts=True)
    unique = counts[inverse.ravel()] == 1
    if counted is not None:
        unique &= np.asarray(counted, bool)
    found = np.isin(hashes, row_hashes(release[list(candidates.columns)]))
    return {"columns": len(candidates.columns),
            "counted": "records whose whole row no other real record in the audit shares"
            } | CopyCount.of(found, is_member, unique).as_dict()


def rows_check(found: np.ndarray, is_member: np.ndarray, counted: np.ndarray | None,
               columns: int) -> dict:
    """Members' and non-members' rows found verbatim in the release. ``counted``: the
    candidates compared (None: all); when holdout rows equal to a train row were dropped, the
    members whose row was among them are left out too, so both groups are filtered alike."""
    count = CopyCount.of(found, is_member, counted)
    note = ("all candidates" if counted is None or np.all(counted) else
            "members whose row is not also a holdout row, and the holdout rows kept "
            "(holdout rows equal to a train row were dropped)")
    return {"columns": columns, "counted": note} | count.as_dict()
