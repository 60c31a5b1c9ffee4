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

from collections.abc import Callable

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


def _search(index, query: np.ndarray, nprobe: int, groups, base_groups_ids,
            on_block: Callable[[int], None] | None = None) -> np.ndarray:
    """Nearest base row of each query (index, -1 if none), honouring the exclusion groups."""
    faiss = _faiss()
    query = np.ascontiguousarray(query, dtype=np.float32)
    found = np.full(len(query), -1, dtype=np.int64)
    if groups is None:
        parts = [(np.arange(len(query)), None)]
    else:
        parts = []
        for label, ids in base_groups_ids.items():
            rows = np.flatnonzero(groups[0] == label)
            excluded = faiss.IDSelectorBatch(ids)
            parts.append((rows, (excluded, faiss.IDSelectorNot(excluded))))
        covered = np.isin(groups[0], list(base_groups_ids))
        parts.append((np.flatnonzero(~covered), None))
    for rows, selector in parts:
        params = faiss.SearchParametersIVF(nprobe=nprobe)
        if selector is not None:
            params.sel = selector[1]
        for start in range(0, len(rows), QUERY_BLOCK):
            chunk = rows[start:start + QUERY_BLOCK]
            _, indices = index.search(query[chunk], 1, params=params)
            found[chunk] = indices[:, 0]
            if on_block is not None:
                on_block(len(chunk))
    return found


def _exact_reference(query, base, rows, groups) -> np.ndarray:
    sub_groups = None if groups is None else (groups[0][rows], groups[1])
    return nearest(query[rows], base, 1, groups=sub_groups).distances[:, 0]


def _recall(approx_distance: np.ndarray, exact_distance: np.ndarray) -> float:
    return float(np.mean(approx_distance <= exact_distance * (1 + 1e-6) + 1e-6))


def approximate_nearest(query: np.ndarray, base: np.ndarray, *,
                        groups: tuple[np.ndarray, np.ndarray] | None = None,
                        target_recall: float = TARGET_RECALL, seed: int = 0,
                        on_block: Callable[[int], None] | None = None) -> Neighbours:
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
    found = _search(index, query, nprobe, groups, base_groups_ids, on_block)
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
