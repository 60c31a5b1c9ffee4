"""Approximate nearest neighbours for large tables (faiss inverted-file index), with the recall
measured against the exact search in every run.

Why faiss, and why an inverted file (IVF-Flat) rather than a graph (HNSW, pynndescent):

* faiss is maintained by Meta's FAIR team, ships wheels for every platform (``faiss-cpu``),
  needs nothing else, and its exact and approximate indexes share one float32 kernel.
* IVF-Flat keeps the raw vectors (no compression), so every distance it reports is a true
  distance; it is built in seconds (k-means on a sample, then one assignment pass), with memory
  about the size of the table itself. A graph index over a million rows takes minutes to build
  on two cores and several times the table's memory, and the tied, clustered points of tabular
  encodings (many rows share every category) are where graph searches lose recall.
* Its one accuracy knob, ``nprobe`` (how many cells a query visits), is tuned per run: it is
  doubled until the recall measured on a sample of queries reaches ``target_recall``; then the
  whole search runs and its recall is measured again on a fresh sample, and reported.

Recall is "distance recall": the share of sampled queries whose approximate neighbour is as
close as the exact nearest neighbour (ties count as found). That is what the distance attacks
read. faiss is an optional dependency (``pip install synthcheck[approx]``), imported here only.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from synthcheck.distance.neighbours import Neighbours, _exact_distances, nearest
from synthcheck.support.randomness import rng as rng_for

TARGET_RECALL = 0.99
RECALL_SAMPLE = 2000
QUERY_BLOCK = 65536
START_NPROBE = 8
MAX_NPROBE = 1024


def _faiss():
    from synthcheck.support.dependencies import require

    return require("faiss", "neighbours")


def build_index(base: np.ndarray, seed: int = 0):
    """An IVF-Flat index over ``base`` with about 4 sqrt(n) cells, k-means on a sample.

    At most n / 39 cells: k-means needs ~39 points per centroid (faiss warns below that)."""
    faiss = _faiss()
    base = np.ascontiguousarray(base, dtype=np.float32)
    cells = int(np.clip(min(4 * np.sqrt(len(base)), len(base) // 39), 1, 16384))
    quantizer = faiss.IndexFlatL2(base.shape[1])
    index = faiss.IndexIVFFlat(quantizer, base.shape[1], cells)
    index.cp.seed = seed
    index.cp.niter = 10
    rng = rng_for(seed, "approx-train")
    sample = base if len(base) <= 64 * cells else base[rng.choice(len(base), 64 * cells, replace=False)]
    index.train(sample)
    index.add(base)
    return index


GROUPED_K = 8  # neighbours searched at once when some are excluded by the groups


class _ShippedIndex:
    """A faiss index that pickles as its serialized bytes, so Dask can scatter it; each worker
    deserializes it once."""

    def __init__(self, index) -> None:
        self.index = index

    def __getstate__(self) -> dict:
        return {"bytes": _faiss().serialize_index(self.index)}

    def __setstate__(self, state: dict) -> None:
        self.index = _faiss().deserialize_index(state["bytes"])


@dataclass(frozen=True)
class _SearchShared:
    shipped: _ShippedIndex
    nprobe: int
    base_groups: np.ndarray | None


def _search(index, query: np.ndarray, nprobe: int, groups, base_groups_ids,
            on_block: Callable[[int], None] | None = None, scheduler: Any = None) -> np.ndarray:
    """Nearest base row of each query (index, -1 if none), honouring the exclusion groups.

    With groups, each query first asks for its ``GROUPED_K`` nearest rows in the visited cells
    and keeps the first outside its group: the nearest allowed row of those cells, as long as
    one of the k is allowed. Only queries whose k are all excluded are searched again with an
    ID selector (slower per query). Query blocks go through ``parallel.map_blocks``."""
    from synthcheck.support.parallel import map_blocks

    query = np.ascontiguousarray(query, dtype=np.float32)
    query_groups = None if groups is None else groups[0]
    shared = _SearchShared(_ShippedIndex(index), nprobe, None if groups is None else groups[1])
    starts = range(0, len(query), QUERY_BLOCK)
    blocks = [(query[s:s + QUERY_BLOCK],
               None if query_groups is None else query_groups[s:s + QUERY_BLOCK]) for s in starts]
    # faiss releases the GIL in ``search``: blocks on every core, each on one OpenMP thread.
    parts = map_blocks(_search_block, blocks, shared, scheduler=scheduler, name="approximate",
                       threads=os.cpu_count() or 1,
                       on_done=(lambda i: on_block(len(blocks[i][0]))) if on_block else None)
    found = np.concatenate(parts) if parts else np.full(0, -1, dtype=np.int64)
    if groups is not None:
        missing = np.flatnonzero(found < 0)
        if len(missing):
            found[missing] = _search_with_selectors(index, query[missing], nprobe,
                                                    query_groups[missing], base_groups_ids)
    return found


def _search_block(block, shared: _SearchShared) -> np.ndarray:
    rows, row_groups = block
    faiss = _faiss()
    # One OpenMP thread in this thread while it searches: blocks already run one per core, and
    # the process-wide BLAS limit does not reach an OpenMP runtime's per-thread setting in a
    # pool's threads. Put back after: a single block runs in the caller's own thread.
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        params = faiss.SearchParametersIVF(nprobe=shared.nprobe)
        if row_groups is None:
            return shared.shipped.index.search(rows, 1, params=params)[1][:, 0]
        _, indices = shared.shipped.index.search(rows, GROUPED_K, params=params)
    finally:
        faiss.omp_set_num_threads(previous)
    allowed = indices >= 0
    allowed[allowed] = shared.base_groups[indices[allowed]] != np.repeat(
        row_groups, GROUPED_K).reshape(indices.shape)[allowed]
    first = np.argmax(allowed, axis=1)
    return np.where(allowed.any(axis=1), indices[np.arange(len(rows)), first], -1)


def _search_with_selectors(index, query: np.ndarray, nprobe: int, query_groups: np.ndarray,
                           base_groups_ids: dict) -> np.ndarray:
    """Nearest allowed row with the group's rows excluded by an ID selector."""
    faiss = _faiss()
    found = np.full(len(query), -1, dtype=np.int64)
    for label, ids in base_groups_ids.items():
        rows = np.flatnonzero(query_groups == label)
        if not len(rows):
            continue
        excluded = faiss.IDSelectorBatch(ids)
        params = faiss.SearchParametersIVF(nprobe=nprobe, sel=faiss.IDSelectorNot(excluded))
        found[rows] = index.search(query[rows], 1, params=params)[1][:, 0]
    others = ~np.isin(query_groups, list(base_groups_ids))
    if others.any():
        params = faiss.SearchParametersIVF(nprobe=nprobe)
        found[others] = index.search(query[others], 1, params=params)[1][:, 0]
    return found


def _exact_reference(query, base, rows, groups) -> np.ndarray:
    sub_groups = None if groups is None else (groups[0][rows], groups[1])
    return nearest(query[rows], base, 1, groups=sub_groups).distances[:, 0]


def _recall(approx_distance: np.ndarray, exact_distance: np.ndarray) -> float:
    return float(np.mean(approx_distance <= exact_distance * (1 + 1e-6) + 1e-6))


def approximate_nearest(query: np.ndarray, base: np.ndarray, *,
                        groups: tuple[np.ndarray, np.ndarray] | None = None,
                        target_recall: float = TARGET_RECALL, seed: int = 0,
                        on_block: Callable[[int], None] | None = None,
                        scheduler: Any = None) -> Neighbours:
    """Each query row's (approximately) nearest base row, k = 1; ``groups`` as in
    ``neighbours.nearest``. ``nprobe`` is raised until a sample reaches ``target_recall``.
    Distances of the rows found are exact (float64)."""
    index = build_index(base, seed)
    base_groups_ids = None
    if groups is not None:
        groups = tuple(np.asarray(g, dtype=np.int64) for g in groups)
        base_groups_ids = {int(g): np.flatnonzero(groups[1] == g).astype(np.int64)
                           for g in np.unique(groups[1])}
    rng = rng_for(seed, "approx-recall-tuning")
    tune = rng.choice(len(query), min(len(query), RECALL_SAMPLE // 2), replace=False)
    exact = _exact_reference(query, base, tune, groups)
    tune_groups = None if groups is None else (groups[0][tune], groups[1])
    nprobe = START_NPROBE
    while nprobe < min(MAX_NPROBE, index.nlist):
        found = _search(index, query[tune], nprobe, tune_groups, base_groups_ids)
        if _recall(_exact_distances(query[tune], base, found[:, None])[:, 0], exact) >= target_recall:
            break
        nprobe *= 2
    nprobe = min(nprobe, index.nlist)
    found = _search(index, query, nprobe, groups, base_groups_ids, on_block, scheduler)
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
