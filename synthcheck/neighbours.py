"""Exact nearest neighbours and kernel sums in the encoded space, in bounded memory.

Every distance-based attack needs, for many query rows, the closest rows of some base table
(and sometimes a Gaussian kernel sum over all of it). One blocked pass does both: blocks of
query x base squared distances come from one matrix product (|q|^2 + |b|^2 - 2 q.b, float32,
after centring to limit cancellation), so memory is bounded by the block size, never by the
product of the table sizes. The distances of the neighbours finally chosen are recomputed
exactly in float64, so near-copies are not blurred by float32 rounding.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.special import logsumexp

QUERY_BLOCK = 2048
BASE_BLOCK = 8192


@dataclass
class Neighbours:
    distances: np.ndarray  # (queries, k), ascending, Euclidean
    indices: np.ndarray  # (queries, k) rows of the base table
    log_kernel_sum: np.ndarray | None  # (queries,) log sum_j exp(-d_ij^2 / (2 h^2)), or None


def _exact_distances(query: np.ndarray, base: np.ndarray, indices: np.ndarray) -> np.ndarray:
    out = np.empty(indices.shape, dtype=np.float64)
    step = max(1, 2_000_000 // max(1, indices.shape[1] * query.shape[1]))
    for start in range(0, len(query), step):
        stop = start + step
        chosen = base[indices[start:stop]].astype(np.float64)
        diff = chosen - query[start:stop, None, :].astype(np.float64)
        out[start:stop] = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
    return out


def nearest(query: np.ndarray, base: np.ndarray, k: int = 1, *, bandwidth: float | None = None,
            skip_same_row: bool = False, on_block: Callable[[int], None] | None = None
            ) -> Neighbours:
    """The ``k`` nearest base rows of every query row (and the kernel sum if ``bandwidth``).

    ``skip_same_row``: query and base are the same table and a row is not its own neighbour.
    ``on_block(rows_done)`` is called after each query block, for progress bars.
    """
    if len(base) == 0:
        raise ValueError("empty base table")
    k = min(k, len(base) - int(skip_same_row))
    centre = base.mean(axis=0, dtype=np.float64).astype(np.float32)
    base_c = np.ascontiguousarray(base - centre, dtype=np.float32)
    base_norms = np.einsum("ij,ij->i", base_c, base_c)
    n = len(query)
    best_d2 = np.full((n, k), np.inf, dtype=np.float32)
    best_i = np.full((n, k), -1, dtype=np.int64)
    log_sums = np.full(n, -np.inf) if bandwidth else None
    scale = -0.5 / bandwidth**2 if bandwidth else 0.0
    for q0 in range(0, n, QUERY_BLOCK):
        q1 = min(n, q0 + QUERY_BLOCK)
        block = np.ascontiguousarray(query[q0:q1] - centre, dtype=np.float32)
        block_norms = np.einsum("ij,ij->i", block, block)
        rows = np.arange(q1 - q0)
        for b0 in range(0, len(base_c), BASE_BLOCK):
            b1 = min(len(base_c), b0 + BASE_BLOCK)
            d2 = block @ base_c[b0:b1].T
            d2 *= -2.0
            d2 += block_norms[:, None]
            d2 += base_norms[None, b0:b1]
            np.maximum(d2, 0.0, out=d2)
            if skip_same_row:
                same = rows + q0 - b0
                inside = (same >= 0) & (same < b1 - b0)
                d2[rows[inside], same[inside]] = np.inf
            if log_sums is not None:
                log_sums[q0:q1] = np.logaddexp(log_sums[q0:q1], logsumexp(d2 * scale, axis=1))
            if k == 1:
                j = np.argmin(d2, axis=1)
                candidate = d2[rows, j]
                better = candidate < best_d2[q0:q1, 0]
                best_d2[q0:q1, 0][better] = candidate[better]
                best_i[q0:q1, 0][better] = j[better] + b0
            else:
                kk = min(k, b1 - b0)
                j = np.argpartition(d2, kk - 1, axis=1)[:, :kk]
                merged_d = np.concatenate([best_d2[q0:q1], d2[rows[:, None], j]], axis=1)
                merged_i = np.concatenate([best_i[q0:q1], j + b0], axis=1)
                order = np.argsort(merged_d, axis=1, kind="stable")[:, :k]
                best_d2[q0:q1] = np.take_along_axis(merged_d, order, axis=1)
                best_i[q0:q1] = np.take_along_axis(merged_i, order, axis=1)
        if on_block is not None:
            on_block(q1 - q0)
    distances = _exact_distances(query, base, best_i)
    order = np.argsort(distances, axis=1, kind="stable")
    return Neighbours(np.take_along_axis(distances, order, axis=1),
                      np.take_along_axis(best_i, order, axis=1), log_sums)


def typical_spacing(table: np.ndarray, seed: int, sample: int = 2000) -> float:
    """Median distance from a row to its nearest other row (on a sample): the natural length
    scale of a table, used as the kernel bandwidth so it adapts to any encoding width."""
    rng = np.random.default_rng(seed)
    rows = table if len(table) <= sample else table[rng.choice(len(table), sample, replace=False)]
    if len(rows) < 2:
        return 1.0
    spacing = float(np.median(nearest(rows, rows, 1, skip_same_row=True).distances[:, 0]))
    return spacing if spacing > 1e-3 else 1e-3
