"""Nearest rows with one column left out of the encoding, from one k-nearest search.

In the encoding a squared distance is a sum over the columns' blocks, so the squared distance
with column c left out is the full one less c's block. One search for each query's ``k``
nearest rows under every column gives, for every c at once, the closest of those ``k`` with c
left out. No row outside the ``k`` can be closer whenever the ``k``-th full squared distance,
less the most c's block could add for this query (``most_added``), is still beyond it: then the
answer is proven exact. Column attribution (``measure.attribution``) reads these bounds and
reports the share proven; the EDPB inference attack (``edpb.inference``), which needs the
nearest row on every known column but the secret, searches again, on the columns kept, for the
queries where the proof fails (``nearest_without_each``): one search and a few small ones
instead of one search per column, with the same exact answer.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from synthcheck.distance.neighbours import PreparedBase, masked, nearest

NEIGHBOURS = 32  # rows kept per query
_CHUNK_CELLS = 4_000_000  # float32 cells per block of per-column squares
# A proof must hold by this much (relative to the k-th squared distance, and absolute): the
# search orders rows by float32 products, so the k-th row's squared distance is known to
# about 1e-6 of the squared norms; the rest goes to the fallback search, which costs only time.
_PROOF_RELATIVE = 1e-3
_PROOF_ABSOLUTE = 1e-4


def column_squares(query: np.ndarray, base: np.ndarray, indices: np.ndarray,
                   starts: np.ndarray) -> np.ndarray:
    """(queries, k, columns) float32: each column block's squared difference between query i
    and its neighbours ``base[indices[i]]`` (index -1: no neighbour, inf)."""
    n, k = indices.shape
    out = np.empty((n, k, len(starts)), dtype=np.float32)
    step = max(1, _CHUNK_CELLS // max(1, k * query.shape[1]))
    for start in range(0, n, step):
        found = indices[start:start + step]
        diff = base[np.maximum(found, 0)].astype(np.float32) - query[start:start + step, None, :]
        np.square(diff, out=diff)
        block = np.add.reduceat(diff, starts, axis=2)
        block[found < 0] = np.inf
        out[start:start + step] = block
    return out


def _block_norms(table: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """(rows, columns): the Euclidean norm of each row's block of each column."""
    out = np.empty((len(table), len(starts)))
    step = max(1, _CHUNK_CELLS // max(1, table.shape[1]))
    for start in range(0, len(table), step):
        part = table[start:start + step].astype(np.float64)
        out[start:start + step] = np.sqrt(np.add.reduceat(part * part, starts, axis=1))
    return out


def most_added(query: np.ndarray, base: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """(queries, columns): the most a column's block can add to a query's squared distance to
    any base row; the smaller of two bounds, the triangle inequality ((|q_c| + max_j |b_jc|)^2,
    tight for one-hot blocks) and the box of the base's range per coordinate (tight for a
    number)."""
    triangle = (_block_norms(query, starts) + _block_norms(base, starts).max(axis=0)) ** 2
    low = base.min(axis=0).astype(np.float64)
    high = base.max(axis=0).astype(np.float64)
    box = np.empty_like(triangle)
    step = max(1, _CHUNK_CELLS // max(1, query.shape[1]))
    for start in range(0, len(query), step):
        part = query[start:start + step].astype(np.float64)
        widest = np.maximum((part - low) ** 2, (part - high) ** 2)
        box[start:start + step] = np.add.reduceat(widest, starts, axis=1)
    return np.minimum(triangle, box)


_DISTINCT_BLOCKS = 512  # a block with at most this many distinct rows in the base: exact bound


def _distinct_rows(block: np.ndarray) -> np.ndarray | None:
    """The distinct rows of ``block`` (float64), or None when there are more than
    ``_DISTINCT_BLOCKS`` (hashed by their bytes: no sort of the whole block)."""
    rows = np.ascontiguousarray(block, dtype=np.float32)
    keys = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()
    _, first = np.unique(pd.factorize(keys)[0], return_index=True)
    if len(first) > _DISTINCT_BLOCKS:
        return None
    return rows[first].astype(np.float64)


def most_added_exactly(query: np.ndarray, base: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """``most_added``, with the exact largest block square wherever the base holds few distinct
    vectors in the block (a category's levels, a flag): the largest over those vectors of the
    block's squared difference from the query. ``most_added``'s triangle bound is twice that
    for a one-hot block ((1/sqrt 2 + 1/sqrt 2)^2 = 2 against a mismatch's 1), so with it most
    categorical answers that the k rows decide were searched again. Still an upper bound for
    every base row, so a proof with it is as exact; the other blocks keep ``most_added``'s."""
    most = most_added(query, base, starts)
    ends = np.r_[starts[1:], base.shape[1]]
    for c, (start, end) in enumerate(zip(starts, ends)):
        if end - start == 1:
            continue  # one coordinate: the box is already the exact largest square
        distinct = _distinct_rows(base[:, start:end])
        if distinct is None:
            continue
        step = max(1, _CHUNK_CELLS // max(1, len(distinct) * (end - start)))
        for first in range(0, len(query), step):
            part = query[first:first + step, start:end].astype(np.float64)
            largest = ((part[:, None, :] - distinct[None, :, :]) ** 2).sum(axis=2).max(axis=1)
            most[first:first + step, c] = np.minimum(most[first:first + step, c], largest)
    return most


def nearest_without_each(query: np.ndarray, base: np.ndarray, starts: np.ndarray,
                         columns: list[int], k: int = NEIGHBOURS,
                         prepared: PreparedBase | None = None) -> tuple[np.ndarray, dict]:
    """For each column c in ``columns`` (a block, by its position in ``starts``), each query's
    nearest base row on every block but c: (queries, len(columns)) base rows, and counts of
    how the answers were found (``proven``: from the k; ``searched``: searched again).

    Among rows equally near, the lowest base row is taken: where the proof holds every equally
    near row is among the k; a row searched again is searched with ``lowest_of_ties``.
    ``prepared``: ``neighbours.prepare(base)``, shared with other searches of ``base``."""
    n, width = len(query), query.shape[1]
    found = nearest(query, base, min(k, len(base)), prepared=prepared)
    squares = column_squares(query, base, found.indices, starts)
    kth = squares.sum(axis=2, dtype=np.float64)[:, -1]
    everything = found.indices.shape[1] >= len(base)
    most = most_added_exactly(query, base, starts)
    ends = np.r_[starts[1:], width]
    out = np.empty((n, len(columns)), dtype=np.int64)
    counts = {"queries": n, "columns": len(columns), "proven": 0, "searched": 0}
    last = np.iinfo(np.int64).max
    for position, c in enumerate(columns):
        others = np.r_[0:c, c + 1:len(starts)]
        # summed over the other blocks, not full minus c: equal rows give equal sums
        rest2 = squares[:, :, others].sum(axis=2, dtype=np.float64)
        closest2 = rest2.min(axis=1)
        out[:, position] = np.where(rest2 == closest2[:, None], found.indices, last).min(axis=1)
        margin = kth - most[:, c] - (_PROOF_RELATIVE * kth + _PROOF_ABSOLUTE)
        proven = np.full(n, True) if everything else closest2 <= margin
        again = np.flatnonzero(~proven)
        counts["proven"] += n - len(again)
        counts["searched"] += len(again)
        if len(again):
            keep = np.r_[0:starts[c], ends[c]:width]
            if prepared is None:
                out[again, position] = nearest(np.ascontiguousarray(query[again][:, keep]),
                                               np.ascontiguousarray(base[:, keep]), 1,
                                               lowest_of_ties=True).indices[:, 0]
            else:  # the base's cells with the column masked (no copy); the closest of the k
                # is near, so its distance bounds the search from the start
                out[again, position] = nearest(
                    np.ascontiguousarray(query[again]), base, 1,
                    prepared=masked(prepared, keep), seeds=out[again, position],
                    lowest_of_ties=True).indices[:, 0]
    return out, counts
