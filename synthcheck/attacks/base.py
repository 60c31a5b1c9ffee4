"""The attack interface and the inputs every attack shares.

An attack is a small class: constructed with its parameters, ``score(inputs)`` returns one
score per candidate (higher = more likely a member). Shared, expensive work (the nearest
synthetic rows, cross-fitted reference distances) lives on ``AttackInputs`` and is computed
once, whichever attacks ask for it.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from synthcheck.columns import ColumnTypes
from synthcheck.crossfit import ReferenceFolds
from synthcheck.encode import MixedEncoder
from synthcheck.neighbours import Neighbours, nearest, typical_spacing
from synthcheck.progress import Progress


@dataclass
class AttackInputs:
    """Everything an attack may read. Candidates are train rows first, then holdout rows."""

    candidates: pd.DataFrame  # typed audited columns (see columns.coerce_table)
    is_member: np.ndarray
    synthetic: pd.DataFrame
    types: ColumnTypes
    encoder: MixedEncoder
    encoded_candidates: np.ndarray
    encoded_synthetic: np.ndarray
    folds: ReferenceFolds
    seed: int
    kde_bandwidth: float | None = None  # set when kernel densities are affordable
    generator: Any = None  # a synthcheck.generators spec, for attacks that need one
    progress: Progress = field(default_factory=Progress)
    neighbour_search: str = "exact"  # or "approx": an approximate index (synthcheck.approximate)
    neighbour_recall: dict = field(default_factory=dict)  # role -> measured recall, when approx
    _cache: dict = field(default_factory=dict, repr=False)

    def _memo(self, key: str, compute: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    @property
    def synthetic_spacing(self) -> float:
        return self._memo("spacing", lambda: typical_spacing(self.encoded_synthetic, self.seed))

    def synthetic_neighbours(self) -> Neighbours:
        """Each candidate's closest synthetic row (and the kernel sum over the synthetic table
        when densities are kernel estimates): one pass shared by every attack."""
        def compute() -> Neighbours:
            with self.progress.stage("distances to synthetic", len(self.encoded_candidates)) as tick:
                if self.neighbour_search == "approx" and not self.kde_bandwidth:
                    return self._approximate("synthetic", self.encoded_candidates,
                                             self.encoded_synthetic, None, tick)
                return nearest(self.encoded_candidates, self.encoded_synthetic, 1,
                               bandwidth=self.kde_bandwidth, on_block=tick)
        return self._memo("synthetic", compute)

    def reference_neighbours(self) -> Neighbours:
        """Each candidate's closest *reference* row, cross-fitted: the reference of a
        candidate in fold f is the holdout outside fold f, so never the candidate itself.
        One search over the whole holdout with the folds as exclusion groups."""
        def compute() -> Neighbours:
            holdout, base_fold = self._reference_groups()
            fold = self.folds.candidate_fold
            groups = (fold, base_fold)
            with self.progress.stage("distances to reference folds",
                                     len(self.encoded_candidates)) as tick:
                if self.neighbour_search == "approx" and not self.kde_bandwidth:
                    found = self._approximate("reference", self.encoded_candidates,
                                              self.encoded_candidates[holdout], groups, tick)
                else:
                    found = nearest(self.encoded_candidates, self.encoded_candidates[holdout], 1,
                                    bandwidth=self.kde_bandwidth, groups=groups, on_block=tick)
            log_sums = None
            if found.log_kernel_sum is not None:  # densities: divide by each reference's size
                sizes = len(holdout) - np.bincount(base_fold[base_fold >= 0],
                                                   minlength=self.folds.count)
                log_sums = found.log_kernel_sum - np.log(sizes[fold])
            return Neighbours(found.distances, holdout[found.indices], log_sums)
        return self._memo("reference", compute)

    def _reference_groups(self) -> tuple[np.ndarray, np.ndarray]:
        """The rows of every fold's reference, and for each the one fold it is withheld from
        (-1: none), read from ``folds.reference_rows`` so that stays the one definition."""
        references = [self.folds.reference_rows(f) for f in range(self.folds.count)]
        rows = np.unique(np.concatenate(references))
        withheld = np.full(len(rows), -1, dtype=np.int64)
        for f, reference in enumerate(references):
            outside = ~np.isin(rows, reference)
            if (withheld[outside] >= 0).any():
                raise ValueError("a reference row is withheld from more than one fold")
            withheld[outside] = f
        return rows, withheld

    def _approximate(self, role, query, base, groups, tick) -> Neighbours:
        from synthcheck.approximate import approximate_nearest, distance_recall

        found = approximate_nearest(query, base, groups=groups, on_block=tick)
        self.neighbour_recall[role] = distance_recall(query, base, found, groups=groups,
                                                      seed=self.seed)
        return found


class Attack(ABC):
    """One membership inference attack. Subclasses set ``name`` and ``description``."""

    name: ClassVar[str]
    description: ClassVar[str]
    requires_generator: ClassVar[bool] = False

    @abstractmethod
    def score(self, inputs: AttackInputs) -> np.ndarray:
        """One finite-or-infinite score per candidate, never NaN; higher = more likely member."""

    def details(self) -> dict:
        """Extra, attack-specific facts for results.json (parameters chosen, diagnostics)."""
        return {}
