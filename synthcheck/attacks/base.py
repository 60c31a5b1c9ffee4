"""The attack interface and the inputs every attack shares.

An attack is a small class: constructed with its parameters, ``score(inputs)`` returns one
score per candidate (higher = more likely a member). Shared, expensive work (the nearest
synthetic rows, cross-fitted reference distances) lives on ``AttackInputs`` and is computed
once, whichever attacks ask for it.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

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
                return nearest(self.encoded_candidates, self.encoded_synthetic, 1,
                               bandwidth=self.kde_bandwidth, on_block=tick)
        return self._memo("synthetic", compute)

    def reference_neighbours(self) -> Neighbours:
        """Each candidate's closest *reference* row, cross-fitted: the reference of a
        candidate in fold f is the holdout outside fold f, so never the candidate itself."""
        def compute() -> Neighbours:
            n = len(self.encoded_candidates)
            distances = np.empty((n, 1))
            indices = np.empty((n, 1), dtype=np.int64)
            log_sums = np.empty(n) if self.kde_bandwidth else None
            with self.progress.stage("distances to reference folds", n) as tick:
                for fold in range(self.folds.count):
                    scored = self.folds.scored_in(fold)
                    reference = self.folds.reference_rows(fold)
                    found = nearest(self.encoded_candidates[scored],
                                    self.encoded_candidates[reference], 1,
                                    bandwidth=self.kde_bandwidth, on_block=tick)
                    distances[scored] = found.distances
                    indices[scored] = reference[found.indices]
                    if log_sums is not None:
                        log_sums[scored] = found.log_kernel_sum - np.log(len(reference))
            return Neighbours(distances, indices, log_sums)
        return self._memo("reference", compute)


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
