"""Gen-LRA-style local likelihood ratio: does adding the record to the reference explain the
synthetic rows around it better?

For a candidate x and its ``k`` nearest synthetic rows s_1..s_k, compare a kernel density of
the reference with and without x, at those rows: score = sum_j log(1 + K(s_j - x) / sum_r
K(s_j - r)), the log of p_{R+x}(s_j) / p_R(s_j) up to a constant, with R the candidate's
cross-fitted reference (holdout outside its fold, and any ``--reference`` records) and K a
Gaussian kernel of bandwidth ``bandwidth_factor`` x the release's typical nearest-neighbour
spacing. A synthetic row near x that the reference does not explain (a near-copy of a training
record) drives the score up. After the attack of the Synth-MIA benchmark (Gen-LRA), with the
record's own kernel added in closed form instead of refitting a density per record.

Cost is bounded: the reference density is evaluated only at the synthetic rows that are some
candidate's neighbour (at most candidates x k rows), against at most ``MAX_PAIRS`` / rows
reference rows (a seeded, fold-balanced sample when the reference is larger).
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np

from synthcheck.attacks.base import Attack, AttackInputs, AttackScores, Number
from synthcheck.support.randomness import rng as rng_for

MAX_PAIRS = 2e8  # synthetic rows evaluated x reference rows, at most
BLOCK = 2048


class LocalLikelihoodRatio(Attack):
    name = "local-lr"
    description = ("Gen-LRA: log-likelihood ratio of the reference density with and without "
                   "the record, at its k nearest synthetic rows; references cross-fitted")

    parameters: ClassVar[dict] = {"k": Number(1, 200, integer=True),
                                  "bandwidth_factor": Number(0.0, None, exclusive=True)}

    def __init__(self, k: int = 10, bandwidth_factor: float = 0.5) -> None:
        self.k = k
        self.bandwidth_factor = bandwidth_factor

    def score(self, inputs: AttackInputs) -> AttackScores:
        k = int(min(self.k, len(inputs.encoded_synthetic)))
        found = inputs.synthetic_knn(k)
        bandwidth = self.bandwidth_factor * inputs.synthetic_spacing
        scale = -0.5 / bandwidth**2
        used, position = np.unique(found.indices, return_inverse=True)
        position = position.reshape(found.indices.shape)
        pool, withheld, _ = inputs.reference_pool()
        pool, withheld, kept = self._bounded(pool, withheld, len(used), inputs.seed)
        log_reference = self._log_kernel_sums(inputs.encoded_synthetic[used], pool, withheld,
                                               inputs.folds.count, scale)
        fold = inputs.folds.candidate_fold
        log_own = scale * found.distances.astype(np.float64) ** 2  # log K(s_j - x)
        log_ref = log_reference[position, fold[:, None]]  # log sum_r K(s_j - r), x's fold
        scores = np.logaddexp(0.0, log_own - log_ref).sum(axis=1)
        return AttackScores(scores, {"k": k, "bandwidth": bandwidth,
                                     "reference_rows_in_density": kept})

    @staticmethod
    def _bounded(pool: np.ndarray, withheld: np.ndarray, rows: int, seed: int):
        """The reference pool, or a seeded sample of it (the same share of every fold's rows)
        small enough that rows x pool stays under ``MAX_PAIRS``."""
        allowed = int(MAX_PAIRS // max(rows, 1))
        if len(pool) <= allowed:
            return pool, withheld, len(pool)
        keep = np.sort(rng_for(seed, "local-lr reference").choice(len(pool), allowed,
                                                                  replace=False))
        return pool[keep], withheld[keep], allowed

    @staticmethod
    def _log_kernel_sums(points: np.ndarray, pool: np.ndarray, withheld: np.ndarray,
                         folds: int, scale: float) -> np.ndarray:
        """log sum_r K(point - r) over each fold's reference (pool rows not withheld from the
        fold), shape (points, folds); max-shifted so far-away points do not underflow."""
        groups = np.zeros((len(pool), folds + 1))
        groups[np.arange(len(pool)), np.where(withheld >= 0, withheld, folds)] = 1.0
        pool = pool.astype(np.float64)
        pool_norms = np.einsum("ij,ij->i", pool, pool)
        out = np.empty((len(points), folds))
        for start in range(0, len(points), BLOCK):
            block = points[start:start + BLOCK].astype(np.float64)
            d2 = (np.einsum("ij,ij->i", block, block)[:, None] + pool_norms[None, :]
                  - 2.0 * block @ pool.T)
            np.maximum(d2, 0.0, out=d2)
            logits = scale * d2
            top = logits.max(axis=1, keepdims=True)
            by_group = np.exp(logits - top) @ groups  # (block, folds + 1)
            total = by_group.sum(axis=1, keepdims=True)
            per_fold = total - by_group[:, :folds]  # a fold's reference: all but its withheld
            floor = np.exp(-700.0)
            out[start:start + BLOCK] = top + np.log(np.maximum(per_fold, floor))
        return out
