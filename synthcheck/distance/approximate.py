"""Approximate nearest neighbours for large tables (an inverted file: k-means cells, each query
compared with the rows of its ``nprobe`` nearest cells), with the recall measured against the
exact search in every run.

Why an inverted file (IVF-Flat) rather than a graph (HNSW, pynndescent):

* It keeps the raw vectors (no compression), so every distance it reports is a true distance;
  it is built in seconds (k-means on a sample, then one assignment pass), with memory about the
  size of the table itself. A graph index over a million rows takes minutes to build on two
  cores and several times the table's memory, and the tied, clustered points of tabular
  encodings (many rows share every category) are where graph searches lose recall.
* faiss (maintained by Meta's FAIR team, wheels for every platform: ``faiss-cpu``) runs the
  k-means and finds each query's nearest centres; the cells' rows are scanned here, the queries
  of a block grouped by cell, one float32 matrix product per cell (``InvertedFile``).
* Its one accuracy knob, ``nprobe`` (how many cells a query visits), is tuned per run: it is
  doubled from 8 until the recall measured on a sample of 1,000 queries reaches
  ``target_recall``; then the whole search runs and its recall is measured again on a fresh
  sample of 2,000 (another random stream), and reported with the cells and ``nprobe``.

Recall is "distance recall": the share of sampled queries whose approximate neighbour is as
close as the exact nearest neighbour (ties count as found). That is what the distance attacks
read. faiss is an optional dependency (``pip install synthcheck[approx]``), imported here only.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from synthcheck.distance.neighbours import Neighbours, _exact_distances, nearest
from synthcheck.support.parallel import cores
from synthcheck.support.randomness import rng as rng_for

TARGET_RECALL = 0.99
RECALL_SAMPLE = 2000
QUERY_BLOCK = 65536
START_NPROBE = 8
MAX_NPROBE = 1024
CELLS_PER_ROOT = 2  # cells = 2 sqrt(n): see ``build_index``
TRAIN_ROWS_PER_CELL = 40  # faiss warns below 39
KMEANS_ITERATIONS = 5
MAX_CELLS = 16384
SCAN_BLOCK = 1 << 22  # at most this many query x row products at once in one cell


def _faiss():
    from synthcheck.support.dependencies import require

    return require("faiss", "neighbours")


@dataclass(frozen=True)
class InvertedFile:
    """The base table cut into k-means cells (an IVF-Flat index kept as numpy arrays): rows
    sorted by cell and stored relative to their cell's centre, so that a query is compared
    with a cell's rows in one matrix product.

    faiss's own IVF-Flat scan compares a query with one row at a time, reading each probed
    cell from memory for every query; at 1M rows that scan was ~80 % of a search. Here a block
    of queries is grouped by the cells it probes and each cell meets all its queries in one
    float32 product (as the exact pruned search does): the same rows are compared, ~10x
    cheaper. faiss still does the k-means and the queries' nearest centres (one product each).
    Plain arrays also pickle, so Dask can scatter the index as it is."""

    centres: np.ndarray  # (cells, d) float32
    order: np.ndarray  # base row of each sorted position
    starts: np.ndarray  # (cells + 1,) sorted positions of each cell
    residuals: np.ndarray  # (n, d) float32: base[order] - its cell's centre
    residual_norms: np.ndarray  # (n,) float32

    @property
    def nlist(self) -> int:
        return len(self.centres)


def cell_count(rows: int) -> int:
    """2 sqrt(n) cells, at most n / 39 (k-means needs ~39 points per centre).

    A query costs about ``cells`` centre products plus ``nprobe x n / cells`` row products,
    both matrix products now, so the best count is ~sqrt(nprobe x n x 2/3) (its queries are
    2n: the centres are also products for the n base rows): ~2 sqrt(n) at nprobe 8. Measured
    at 1M (2M queries, nprobe 8, CPU s): 4,000 cells 151, 2,000 ~95 (SCALE.md, session 6)."""
    return int(np.clip(min(CELLS_PER_ROOT * np.sqrt(rows), rows // 39), 1, MAX_CELLS))


def build_index(base: np.ndarray, seed: int = 0,
                base_groups: np.ndarray | None = None) -> InvertedFile:
    """k-means on ``TRAIN_ROWS_PER_CELL`` sampled rows per cell (``KMEANS_ITERATIONS``
    iterations: recall at 1M was the same as with 64 rows and 10 iterations, at a quarter of
    the cost), then every row assigned to its nearest centre. With ``base_groups`` the rows
    of a cell are sorted by group, so a query's excluded rows are one slice of each cell."""
    faiss = _faiss()
    base = np.ascontiguousarray(base, dtype=np.float32)
    cells = cell_count(len(base))
    rng = rng_for(seed, "approx-train")
    wanted = TRAIN_ROWS_PER_CELL * cells
    sample = base if len(base) <= wanted else base[np.sort(rng.choice(len(base), wanted,
                                                                      replace=False))]
    kmeans = faiss.Kmeans(base.shape[1], cells, niter=KMEANS_ITERATIONS, seed=seed,
                          min_points_per_centroid=1, max_points_per_centroid=len(sample))
    kmeans.train(sample)
    centres = np.ascontiguousarray(kmeans.centroids, dtype=np.float32)
    cell = _nearest_centres(centres, base, 1)[:, 0]
    order = (np.argsort(cell, kind="stable") if base_groups is None
             else np.lexsort((np.asarray(base_groups), cell)))
    starts = np.searchsorted(cell[order], np.arange(cells + 1))
    residuals = base[order]
    residuals -= centres[cell[order]]
    return InvertedFile(centres, order, starts, residuals,
                        np.einsum("ij,ij->i", residuals, residuals))


def _nearest_centres(centres: np.ndarray, rows: np.ndarray, count: int) -> np.ndarray:
    """The ``count`` nearest centres of each row (faiss's flat search: one product)."""
    quantizer = _faiss().IndexFlatL2(centres.shape[1])
    quantizer.add(centres)
    return quantizer.search(np.ascontiguousarray(rows, dtype=np.float32), count)[1]


@dataclass(frozen=True)
class _SearchShared:
    index: InvertedFile
    nprobe: int
    base_groups: np.ndarray | None  # in the index's sorted order


def _search(index: InvertedFile, query: np.ndarray, nprobe: int, groups, base=None,
            on_block: Callable[[int], None] | None = None, scheduler: Any = None) -> np.ndarray:
    """Nearest base row of each query among the rows of its ``nprobe`` nearest cells that are
    outside its group (index, -1 if none there); ``groups`` as in ``neighbours.nearest``.
    A query with no allowed row in its cells is searched exactly over ``base`` (when given).
    Query blocks go through ``parallel.map_blocks``."""
    from synthcheck.support.parallel import map_blocks

    query = np.ascontiguousarray(query, dtype=np.float32)
    query_groups = None if groups is None else groups[0]
    shared = _SearchShared(index, nprobe,
                           None if groups is None else groups[1][index.order])
    starts = range(0, len(query), QUERY_BLOCK)
    blocks = [(query[s:s + QUERY_BLOCK],
               None if query_groups is None else query_groups[s:s + QUERY_BLOCK]) for s in starts]
    # faiss and numpy release the GIL: blocks on every core, each on one thread.
    parts = map_blocks(_search_block, blocks, shared, scheduler=scheduler, name="approximate",
                       threads=cores(),
                       on_done=(lambda i: on_block(len(blocks[i][0]))) if on_block else None)
    found = np.concatenate(parts) if parts else np.full(0, -1, dtype=np.int64)
    missing = np.flatnonzero(found < 0)
    if len(missing) and base is not None:
        sub_groups = None if groups is None else (query_groups[missing], groups[1])
        found[missing] = nearest(query[missing], base, 1, groups=sub_groups).indices[:, 0]
    return found


def _search_block(block, shared: _SearchShared) -> np.ndarray:
    rows, row_groups = block
    faiss = _faiss()
    # One OpenMP thread in this thread while faiss finds the centres: blocks already run one
    # per core, and the process-wide BLAS limit does not reach an OpenMP runtime's per-thread
    # setting in a pool's threads. Put back after: a single block runs in the caller's thread.
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        probes = _nearest_centres(shared.index.centres, rows,
                                  min(shared.nprobe, shared.index.nlist))
    finally:
        faiss.omp_set_num_threads(previous)
    return _scan(shared.index, rows, probes, row_groups, shared.base_groups)


def _scan(index: InvertedFile, rows: np.ndarray, probes: np.ndarray,
          row_groups: np.ndarray | None, base_groups: np.ndarray | None) -> np.ndarray:
    """Each row's nearest allowed base row in its probed cells, cell by cell: the queries
    probing a cell in one product with the cell's rows. Among equally near rows of one cell
    the first in base order; across cells the first cell (by number) that found it."""
    n, nprobe = probes.shape
    query_of = np.repeat(np.arange(n), nprobe)
    cell = probes.ravel()
    by_cell = np.argsort(cell, kind="stable")
    query_of, cell = query_of[by_cell], cell[by_cell]
    bounds = np.searchsorted(cell, np.arange(index.nlist + 1))
    best_d2 = np.full(n, np.inf, dtype=np.float32)
    best = np.full(n, -1, dtype=np.int64)
    for c in np.flatnonzero(np.diff(bounds)):
        s, e = int(index.starts[c]), int(index.starts[c + 1])
        if s == e:
            continue
        cell_rows, cell_norms = index.residuals[s:e], index.residual_norms[s:e]
        runs = None if row_groups is None else _runs(base_groups[s:e])
        visiting = query_of[bounds[c]:bounds[c + 1]]
        step = max(1, SCAN_BLOCK // (e - s))
        for q0 in range(0, len(visiting), step):
            who = visiting[q0:q0 + step]
            centred = rows[who] - index.centres[c]
            d2 = centred @ cell_rows.T
            d2 *= -2.0
            d2 += cell_norms[None, :]
            if runs is not None:  # each run of equal labels: a slice, for its queries
                who_groups = row_groups[who]
                for label, a, b in runs:
                    excluded = who_groups == label
                    if excluded.any():
                        d2[excluded, a:b] = np.inf
            j = np.argmin(d2, axis=1)
            value = d2[np.arange(len(who)), j] + np.einsum("ij,ij->i", centred, centred)
            better = value < best_d2[who]
            best_d2[who[better]] = value[better]
            best[who[better]] = index.order[s + j[better]]
    return best


EXACT_BASE_BLOCK = 8192


@dataclass(frozen=True)
class _ExactShared:
    """A few centred queries (the recall samples), and the base they are searched in."""

    query_c: np.ndarray
    query_norms: np.ndarray
    query_groups: np.ndarray | None
    base: np.ndarray
    base_groups: np.ndarray | None
    centre: np.ndarray


def _exact_reference(query, base, rows, groups) -> np.ndarray:
    """The exact nearest (allowed) distance of ``query[rows]``, float64: the sampled queries
    are few (1,000 or 2,000) and the base large, so the base is cut into blocks of rows, one
    block per task on every core, and each query keeps its closest row over the blocks
    (``neighbours.nearest`` cuts by queries: these would be one block, on one core)."""
    from synthcheck.support.parallel import map_blocks

    sample = np.ascontiguousarray(query[rows], dtype=np.float32)
    centre = base.mean(axis=0, dtype=np.float64).astype(np.float32)
    query_c = sample - centre
    shared = _ExactShared(query_c, np.einsum("ij,ij->i", query_c, query_c),
                          None if groups is None else np.asarray(groups[0])[rows],
                          base, None if groups is None else np.asarray(groups[1]), centre)
    parts = map_blocks(_exact_block, range(0, len(base), EXACT_BASE_BLOCK), shared,
                       name="exact reference", threads=cores())
    d2 = np.stack([p[0] for p in parts])
    ids = np.stack([p[1] for p in parts])
    best = np.argmin(d2, axis=0)  # the first block of equally near rows: the lowest row
    found = ids[best, np.arange(len(rows))]
    return _exact_distances(sample, base, found[:, None])[:, 0]


def _exact_block(start: int, shared: _ExactShared) -> tuple[np.ndarray, np.ndarray]:
    rows = shared.base[start:start + EXACT_BASE_BLOCK] - shared.centre
    d2 = shared.query_c @ rows.T
    d2 *= -2.0
    d2 += shared.query_norms[:, None]
    d2 += np.einsum("ij,ij->i", rows, rows)[None, :]
    if shared.query_groups is not None:
        d2[shared.query_groups[:, None]
           == shared.base_groups[None, start:start + EXACT_BASE_BLOCK]] = np.inf
    j = np.argmin(d2, axis=1)
    closest = d2[np.arange(len(d2)), j]
    return closest, np.where(np.isfinite(closest), start + j, -1)


def _recall(approx_distance: np.ndarray, exact_distance: np.ndarray) -> float:
    return float(np.mean(approx_distance <= exact_distance * (1 + 1e-6) + 1e-6))


def _runs(labels: np.ndarray) -> list[tuple[int, int, int]]:
    """(label, start, stop) of each run of equal consecutive labels (one per group when the
    cell's rows are sorted by group: ``build_index``)."""
    cuts = np.flatnonzero(labels[1:] != labels[:-1]) + 1
    starts, stops = np.r_[0, cuts], np.r_[cuts, len(labels)]
    return list(zip(labels[starts].tolist(), starts.tolist(), stops.tolist()))


def approximate_nearest(query: np.ndarray, base: np.ndarray, *,
                        groups: tuple[np.ndarray, np.ndarray] | None = None,
                        target_recall: float = TARGET_RECALL, seed: int = 0,
                        on_block: Callable[[int], None] | None = None,
                        scheduler: Any = None, settings: dict | None = None) -> Neighbours:
    """Each query row's (approximately) nearest base row, k = 1; ``groups`` as in
    ``neighbours.nearest``. ``nprobe`` is raised until a sample reaches ``target_recall``.
    Distances of the rows found are exact (float64). ``settings``, when given, receives the
    search's ``cells`` and ``nprobe`` (recorded beside the measured recall)."""
    if groups is not None:
        groups = tuple(np.asarray(g, dtype=np.int64) for g in groups)
    index = build_index(base, seed, None if groups is None else groups[1])
    rng = rng_for(seed, "approx-recall-tuning")
    tune = rng.choice(len(query), min(len(query), RECALL_SAMPLE // 2), replace=False)
    exact = _exact_reference(query, base, tune, groups)
    tune_groups = None if groups is None else (groups[0][tune], groups[1])
    nprobe = START_NPROBE
    while nprobe < min(MAX_NPROBE, index.nlist):
        found = _search(index, query[tune], nprobe, tune_groups, base)
        if _recall(_exact_distances(query[tune], base, found[:, None])[:, 0], exact) >= target_recall:
            break
        nprobe *= 2
    nprobe = min(nprobe, index.nlist)
    if settings is not None:
        settings.update(cells=index.nlist, nprobe=nprobe)
    found = _search(index, query, nprobe, groups, base, on_block, scheduler)
    return Neighbours(_exact_distances(query, base, found[:, None]), found[:, None], None)


def distance_recall(query: np.ndarray, base: np.ndarray, found: Neighbours, *,
                    groups: tuple[np.ndarray, np.ndarray] | None = None,
                    sample: int = RECALL_SAMPLE, seed: int = 0) -> dict:
    """Recall of ``found`` against the exact search on a random sample of query rows:
    {"recall", "hits", "sample"}; the audit gives it its interval (``measure.stats``)."""
    rng = rng_for(seed, "approx-recall")
    rows = rng.choice(len(query), min(len(query), sample), replace=False)
    exact = _exact_reference(query, base, rows, groups)
    hits = round(_recall(found.distances[rows, 0], exact) * len(rows))
    return {"recall": hits / len(rows), "hits": int(hits), "sample": len(rows)}
