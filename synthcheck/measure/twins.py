"""Are there more train twins in the holdout than a random split gives? (the dilution check)

A holdout record equal to a train record on every audited column but with another id is a
"natural duplicate": a different person who happens to agree on what is audited. The audit
keeps such records (they are real on heavy-tie tables), which opens a route to a false PASS: a
vendor who copies training records into the holdout under fresh ids makes "non-members" that
are members in all but name, and every attack's AUC drifts toward 0.5.

The check asks whether the holdout holds train twins more often than train itself does. Under
the audit's premise train and holdout are a random split of one set of records; then a holdout
record has a twin among the train records about as often as a train record has a twin among
the *other* train records. The statistic is the difference of the two shares, and its null
distribution is exact by permutation: re-split the pooled records at random, keeping the two
sizes (only records in a group of equal rows can have a twin, so only they are re-drawn). Its
p-value is the permutation p-value, ``(1 + #{permuted >= observed}) / (1 + permutations)``,
or Besag and Clifford's sequential one when 20 permuted values reach the observed one early.
Its power is limited by the null itself: a pair of equal records is split between train and
holdout half the time, so k planted twins on a table without natural ties give p ~ 2^-k
(5 twins: p ~ 0.03).

Like the holdout-vs-reference check it can only stop a PASS (INCONCLUSIVE): it tests the
premise, not the release.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CHECK = "holdout_twins"  # its name among the verdict's checks
PERMUTATIONS = 999
#: permuted statistics at least the observed one after which the test stops (Besag & Clifford
#: 1991: p = EARLY_STOP / draws, valid, and exact enough for a p-value far above any alpha)
EARLY_STOP = 20


@dataclass(frozen=True)
class TwinTest:
    """Holdout records with a train twin vs train records with another train twin."""

    holdout_with_twin: int
    holdout_rows: int
    train_with_twin: int
    train_rows: int
    p_value: float
    permutations: int

    @property
    def excess(self) -> float:
        """Share of holdout records with a train twin minus the share of train records with
        another train twin: about 0 on a random split."""
        return (self.holdout_with_twin / max(self.holdout_rows, 1)
                - self.train_with_twin / max(self.train_rows, 1))


def _with_twin(groups: np.ndarray, in_train: np.ndarray, size: int) -> tuple[int, int]:
    """(holdout rows whose group has a train row, train rows whose group has another)."""
    train_count = np.bincount(groups[in_train], minlength=size)
    holdout_count = np.bincount(groups[~in_train], minlength=size)
    return (int(holdout_count[train_count >= 1].sum()),
            int(train_count[train_count >= 2].sum()))


def twin_test(train_keys: np.ndarray, holdout_keys: np.ndarray, rng: np.random.Generator,
              permutations: int = PERMUTATIONS) -> TwinTest:
    """The permutation test on row keys (one hash per row of the audited columns)."""
    train_keys, holdout_keys = np.asarray(train_keys), np.asarray(holdout_keys)
    n_train, n_holdout = len(train_keys), len(holdout_keys)
    pooled = np.concatenate([train_keys, holdout_keys])
    _, groups, sizes = np.unique(pooled, return_inverse=True, return_counts=True)
    in_train = np.r_[np.ones(n_train, bool), np.zeros(n_holdout, bool)]
    tied = sizes[groups] >= 2  # a record alone in its group never has a twin, on either side
    observed_h, observed_t = _with_twin(groups[tied], in_train[tied], len(sizes))
    if not tied.any() or observed_h == 0:
        return TwinTest(observed_h, n_holdout, observed_t, n_train, 1.0, 0)
    statistic = observed_h / n_holdout - observed_t / n_train
    # only the tied records are re-drawn; their groups renumbered 0..k-1 for cheap counting
    _, tied_groups = np.unique(groups[tied], return_inverse=True)
    tied_count, size = int(tied.sum()), int(tied_groups.max()) + 1
    at_least, drawn = 0, 0
    for drawn in range(1, permutations + 1):
        # the tied records' sides under a fresh random split of all records, sizes kept
        trained = rng.hypergeometric(n_train, n_holdout, tied_count)
        side = np.zeros(tied_count, bool)
        side[rng.permutation(tied_count)[:trained]] = True
        h, t = _with_twin(tied_groups, side, size)
        at_least += (h / n_holdout - t / n_train) >= statistic - 1e-12
        if at_least >= EARLY_STOP:  # clearly not small: Besag & Clifford's sequential p-value
            return TwinTest(observed_h, n_holdout, observed_t, n_train, at_least / drawn, drawn)
    return TwinTest(observed_h, n_holdout, observed_t, n_train,
                    (1 + at_least) / (1 + permutations), permutations)
