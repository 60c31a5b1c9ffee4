"""Reference folds: how the one rule of honest evaluation is kept.

A reference model (nearest real neighbours, a reference density) must never have seen the
record it scores. The holdout is split into folds; candidates of fold f, members and
non-members alike, are scored against references built from the holdout rows *outside* fold
f. Members get folds too, so both groups are scored by references of the same size and
distribution: any difference between them is the synthetic data's doing.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthcheck.support.randomness import rng as rng_for


@dataclass(frozen=True)
class ReferenceFolds:
    candidate_fold: np.ndarray  # fold number of every candidate
    is_member: np.ndarray  # bool per candidate

    @property
    def count(self) -> int:
        return int(self.candidate_fold.max()) + 1

    def scored_in(self, fold: int) -> np.ndarray:
        """Candidate positions scored with fold ``fold``'s references."""
        return np.flatnonzero(self.candidate_fold == fold)

    def reference_rows(self, fold: int) -> np.ndarray:
        """Candidate positions of the holdout rows that form fold ``fold``'s reference."""
        return np.flatnonzero(~self.is_member & (self.candidate_fold != fold))


def make_folds(is_member: np.ndarray, folds: int, seed: int) -> ReferenceFolds:
    """Balanced random folds, drawn separately for members and non-members."""
    rng = rng_for(seed, "folds")
    candidate_fold = np.empty(len(is_member), dtype=np.int64)
    for group in (np.flatnonzero(is_member), np.flatnonzero(~is_member)):
        shuffled = rng.permutation(group)
        candidate_fold[shuffled] = np.arange(len(group)) % folds
    return ReferenceFolds(candidate_fold, is_member.astype(bool))
