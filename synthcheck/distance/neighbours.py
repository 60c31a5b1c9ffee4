"""Exact nearest neighbours and kernel sums in the encoded space, in bounded memory.

Every distance-based attack needs, for many query rows, the closest rows of some base table
(and sometimes a Gaussian kernel sum over all of it). Two exact searches give the same answer:

* ``blocked`` (the reference): one pass over query x base blocks of squared distances from one
  matrix product (|q|^2 + |b|^2 - 2 q.b, float32, after centring to limit cancellation). Memory
  is bounded by the block size, never by the product of the table sizes. Kernel sums need every
  pair, so they always take this path.
* ``pruned``: the base table is cut into small cells (a cheap k-means); a query first scans its
  closest few cells, which bound its k-th neighbour distance by some ``r``, then only the cells whose
  ball (centre, radius) comes within ``r`` of it, and in them only the rows whose annulus
  (distance to the centre) does. By the triangle inequality no skipped row can be closer, so
  the result is exact; on tabular encodings (clustered by their categories) it reads a few
  percent of the base table. The scan is compiled (``scan``).

Either way the distances of the neighbours finally chosen are recomputed exactly in float64, so
near-copies are not blurred by float32 rounding (``tests/distance/test_exact_on_corpus.py``
holds every distance to a float64 brute force's within 1e-6 on several real tables). Which
rows are chosen is decided in float32: of rows whose squared distances differ by less than its
rounding (about 1e-7 of the squared norms) either may be chosen, and among rows exactly as
near the first in the scan's order is; ``lowest_of_ties`` asks instead, for one neighbour, for
the lowest base row among those at the smallest exact distance, whatever the search's
internals (``scan``: near-ties settled in float64). ``copies_first`` gives a query with a copy
in the base (same bytes) that copy, at distance 0, which float32 alone cannot promise, and
``settle_near`` searches a query with a neighbour nearer than ``NEAR`` again that way.

``groups=(query_groups, base_groups)`` forbids neighbours of the same group: with cross-fitting
folds as groups, one search gives every candidate its nearest reference row outside its fold.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from synthcheck.support.parallel import cores
from synthcheck.support.randomness import fixed_rng

QUERY_BLOCK = 2048
BASE_BLOCK = 8192
PRUNED_QUERY_BLOCK = 16384
PRUNED_MIN_BASE = 20_000  # below this the blocked search is as fast
CELL_ROWS = 64  # mean rows per cell (32 -> 64 in session 4: fewer, larger products)
MAX_CELLS = 2048
FIRST_STEP_ROWS = 64  # rows per cell the k-means' steps read, at most
# k-means steps before the final assignment: 1 -> 3 in session 9 (Adult 50k: the pairs a
# search scans 21.6 % -> 17.4 % of all, for about 0.2 CPU s more per base table)
K_MEANS_STEPS = 3
# Cells scanned before the bound is taken: with 4 instead of 1 the bound is tighter and 23 %
# fewer pairs are scanned in all (Adult, 200k queries x 100k rows: 8.1 % instead of 10.6 %).
FIRST_CELLS = 4
# A cell is skipped when its lower bound exceeds the current k-th distance by more than this
# (relative and absolute, in encoded-distance units): covers float32 rounding of the bounds.
_SLACK_RELATIVE = 1e-3
_SLACK_ABSOLUTE = 5e-3  # > sqrt of the float32 error of centred squared norms (~1e-5)


@dataclass
class Neighbours:
    distances: np.ndarray  # (queries, k), ascending, Euclidean
    indices: np.ndarray  # (queries, k) rows of the base table
    log_kernel_sum: np.ndarray | None  # (queries,) log sum_j exp(-d_ij^2 / (2 h^2)), or None


def _exact_distances(query: np.ndarray, base: np.ndarray, indices: np.ndarray,
                     coordinates: np.ndarray | None = None) -> np.ndarray:
    out = np.full(indices.shape, np.inf, dtype=np.float64)
    step = max(1, 2_000_000 // max(1, indices.shape[1] * query.shape[1]))
    for start in range(0, len(query), step):
        stop = start + step
        found = indices[start:stop]
        chosen = base[np.maximum(found, 0)].astype(np.float64)
        diff = chosen - query[start:stop, None, :].astype(np.float64)
        if coordinates is not None:
            diff = diff[:, :, coordinates]
        exact = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
        out[start:stop] = np.where(found >= 0, exact, np.inf)
    return out


def _finish(query: np.ndarray, base: np.ndarray, best_i: np.ndarray,
            log_sums: np.ndarray | None, coordinates: np.ndarray | None = None) -> Neighbours:
    distances = _exact_distances(query, base, best_i, coordinates)
    order = np.argsort(distances, axis=1, kind="stable")
    return Neighbours(np.take_along_axis(distances, order, axis=1),
                      np.take_along_axis(best_i, order, axis=1), log_sums)


def _merge(best_d2: np.ndarray, best_i: np.ndarray, rows: np.ndarray, d2: np.ndarray,
           ids: np.ndarray) -> None:
    """Fold a (len(rows), m) block of squared distances to base rows ``ids`` into the running
    k best of query ``rows`` (in place)."""
    k = best_d2.shape[1]
    local = np.arange(len(rows))
    if k == 1:
        j = np.argmin(d2, axis=1)
        candidate = d2[local, j]
        better = candidate < best_d2[rows, 0]
        best_d2[rows[better], 0] = candidate[better]
        best_i[rows[better], 0] = ids[j[better]]
        return
    # only rows with some distance below their k-th can change (ties keep the rows found
    # first, as the stable sort below does): the sort then runs on few rows once bounds settle
    closer = (d2 < best_d2[rows, -1][:, None]).any(axis=1)
    if not closer.all():
        rows, d2 = rows[closer], d2[closer]
        if not len(rows):
            return
        local = np.arange(len(rows))
    kk = min(k, d2.shape[1])
    j = np.argpartition(d2, kk - 1, axis=1)[:, :kk] if kk < d2.shape[1] else \
        np.broadcast_to(np.arange(d2.shape[1]), d2.shape)
    merged_d = np.concatenate([best_d2[rows], d2[local[:, None], j]], axis=1)
    merged_i = np.concatenate([best_i[rows], ids[j]], axis=1)
    order = np.argsort(merged_d, axis=1, kind="stable")[:, :k]
    best_d2[rows] = np.take_along_axis(merged_d, order, axis=1)
    best_i[rows] = np.take_along_axis(merged_i, order, axis=1)


def _group_arrays(groups, skip_same_row: bool, n_query: int, n_base: int):
    if groups is not None:
        query_groups, base_groups = (np.asarray(g, dtype=np.int64) for g in groups)
        if query_groups.shape != (n_query,) or base_groups.shape != (n_base,):
            raise ValueError("groups must give one label per query row and per base row")
        if skip_same_row:
            raise ValueError("use either skip_same_row or groups")
        return query_groups, base_groups
    if skip_same_row:
        if n_query != n_base:
            raise ValueError("skip_same_row needs query and base to be the same table")
        rows = np.arange(n_query, dtype=np.int64)
        return rows, rows
    return None, None


def nearest(query: np.ndarray, base: np.ndarray, k: int = 1, *, bandwidth: float | None = None,
            skip_same_row: bool = False, on_block: Callable[[int], None] | None = None,
            groups: tuple[np.ndarray, np.ndarray] | None = None, method: str = "auto",
            scheduler: Any = None, prepared: PreparedBase | None = None,
            seeds: np.ndarray | None = None, lowest_of_ties: bool = False) -> Neighbours:
    """The ``k`` nearest base rows of every query row (and the kernel sum if ``bandwidth``).

    ``skip_same_row``: query and base are the same table and a row is not its own neighbour.
    ``groups``: (query labels, base labels); a base row never neighbours a query row with the
    same label (and is left out of its kernel sum). Missing neighbours (fewer than ``k``
    allowed rows) have index -1 and distance inf.
    ``on_block(rows_done)`` is called after each query block, for progress bars.
    ``method``: "blocked" (the reference), "pruned" (no kernel sums), or "auto".
    ``scheduler``: a Dask scheduler address or ``distributed.Client``; each query block is then
    one Dask task (``parallel.map_blocks``), with the same result.
    ``prepared``: ``prepare(base)`` (or a ``restricted`` one), made once for several searches
    of the same base: the pruned search then skips building its cells, so "auto" takes it for
    few queries too.
    ``seeds``: (queries,) a base row already known to be near each query (k = 1, pruned
    search, no groups): its distance is the first bound, so only cells within it are scanned
    (the answer is the same exact nearest distance; among equally near rows the seed stays,
    unless ``lowest_of_ties``).
    ``lowest_of_ties`` (k = 1; the pruned search, whatever ``method`` says): among the rows at
    the smallest exact distance, the lowest base row, whatever the cells, the order of the scan
    or float32 rounding (near-ties settled in float64: ``scan``). For attacks that read the row
    found (EDPB linkability and inference), so that their counts do not move with the search's
    internals; it costs a float64 check per near-tie (a third more on a table full of copies).
    """
    if len(base) == 0:
        raise ValueError("empty base table")
    k = max(1, min(k, len(base) - int(skip_same_row)))
    query_groups, base_groups = _group_arrays(groups, skip_same_row, len(query), len(base))
    if lowest_of_ties:
        if k != 1 or bandwidth:
            raise ValueError("lowest_of_ties serves a search for one neighbour")
        method = "pruned"
    if method == "auto":
        # building the cells costs about as much as scanning 2 x MAX_CELLS queries
        few_queries = prepared is None and len(query) < 2 * min(MAX_CELLS, len(base) // CELL_ROWS)
        small = prepared is None and len(base) < PRUNED_MIN_BASE
        method = "blocked" if bandwidth or small or few_queries else "pruned"
    if method == "pruned":
        if bandwidth:
            raise ValueError("kernel sums need the blocked search")
        if prepared is not None and (len(prepared.cells.order) != len(base)
                                     or len(prepared.centre) != base.shape[1]):
            raise ValueError("prepared for another base table")
        if seeds is not None and (k != 1 or query_groups is not None):
            raise ValueError("seeds serve a search for one neighbour without groups")
        return _pruned(query, base, k, query_groups, base_groups, on_block, scheduler, prepared,
                       seeds, lowest_of_ties)
    if seeds is not None:
        raise ValueError("seeds serve the pruned search")
    if method != "blocked":
        raise ValueError(f"unknown method {method!r}")
    return _blocked(query, base, k, bandwidth, query_groups, base_groups, on_block, scheduler)


@dataclass(frozen=True)
class _QueryBlock:
    """Query rows [start, stop) and their group labels: what one task receives."""

    start: int
    rows: np.ndarray  # float32, not yet centred
    groups: np.ndarray | None
    seeds: np.ndarray | None = None  # a base row known to be near each (pruned, k = 1)


def _query_blocks(query: np.ndarray, query_groups: np.ndarray | None, size: int,
                  seeds: np.ndarray | None = None) -> list[_QueryBlock]:
    return [_QueryBlock(start, query[start:start + size],
                        None if query_groups is None else query_groups[start:start + size],
                        None if seeds is None else seeds[start:start + size])
            for start in range(0, len(query), size)]


def _run_blocks(search, blocks: list[_QueryBlock], shared, n: int, k: int, on_block,
                scheduler) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Every block's k best (and kernel sums) put together in query order."""
    from synthcheck.support.parallel import map_blocks

    best_d2 = np.full((n, k), np.inf, dtype=np.float32)
    best_i = np.full((n, k), -1, dtype=np.int64)
    log_sums = None

    def finished(index: int) -> None:
        if on_block is not None:
            on_block(len(blocks[index].rows))

    found = map_blocks(search, blocks, shared, scheduler=scheduler, name="neighbours",
                       threads=cores(), on_done=finished)
    for block, (d2, ids, sums) in zip(blocks, found):
        stop = block.start + len(block.rows)
        best_d2[block.start:stop], best_i[block.start:stop] = d2, ids
        if sums is not None:
            if log_sums is None:
                log_sums = np.full(n, -np.inf)
            log_sums[block.start:stop] = sums
    return best_d2, best_i, log_sums


@dataclass(frozen=True)
class _BlockedBase:
    """What every block of the blocked search reads: the centred base table and its norms."""

    centre: np.ndarray
    base_c: np.ndarray
    base_norms: np.ndarray
    base_groups: np.ndarray | None
    k: int
    bandwidth: float | None


def _blocked(query, base, k, bandwidth, query_groups, base_groups, on_block,
             scheduler=None) -> Neighbours:
    centre = base.mean(axis=0, dtype=np.float64).astype(np.float32)
    base_c = np.ascontiguousarray(base - centre, dtype=np.float32)
    shared = _BlockedBase(centre, base_c, np.einsum("ij,ij->i", base_c, base_c), base_groups, k,
                          bandwidth)
    blocks = _query_blocks(query, query_groups, QUERY_BLOCK)
    _, best_i, log_sums = _run_blocks(_blocked_block, blocks, shared, len(query), k, on_block,
                                      scheduler)
    return _finish(query, base, best_i, log_sums if bandwidth else None)


def _blocked_block(query: _QueryBlock, shared: _BlockedBase):
    """One query block against every base block: its k best and its kernel sums."""
    n, k, bandwidth = len(query.rows), shared.k, shared.bandwidth
    best_d2 = np.full((n, k), np.inf, dtype=np.float32)
    best_i = np.full((n, k), -1, dtype=np.int64)
    log_sums = np.full(n, -np.inf) if bandwidth else None
    scale = np.float32(-0.5 / bandwidth**2) if bandwidth else np.float32(0.0)
    block = np.ascontiguousarray(query.rows - shared.centre, dtype=np.float32)
    block_norms = np.einsum("ij,ij->i", block, block)
    rows = np.arange(n)
    base_c, base_norms, base_groups = shared.base_c, shared.base_norms, shared.base_groups
    for b0 in range(0, len(base_c), BASE_BLOCK):
        b1 = min(len(base_c), b0 + BASE_BLOCK)
        d2 = block @ base_c[b0:b1].T
        d2 *= -2.0
        d2 += block_norms[:, None]
        d2 += base_norms[None, b0:b1]
        np.maximum(d2, 0.0, out=d2)
        if query.groups is not None:
            d2[query.groups[:, None] == base_groups[None, b0:b1]] = np.inf
        if log_sums is not None:
            # log-sum-exp with the row maximum taken out (the closest row), in float32
            closest = d2.min(axis=1)
            finite = np.isfinite(closest)
            terms = np.subtract(d2, np.where(finite, closest, 0.0)[:, None])
            terms *= scale
            np.exp(terms, out=terms)
            block_log = np.where(finite, scale * closest.astype(np.float64)
                                 + np.log(terms.sum(axis=1, dtype=np.float64)), -np.inf)
            log_sums = np.logaddexp(log_sums, block_log)
        _merge(best_d2, best_i, rows, d2, np.arange(b0, b1))
    return best_d2, best_i, log_sums


@dataclass
class _Cells:
    """The base table cut into cells: rows sorted by cell, stored relative to their centre by
    coordinate (what the compiled scan reads, ``scan.scan_block``)."""

    centres: np.ndarray  # (cells, d) float32, in the centred frame (base - global centre)
    centre_norms: np.ndarray  # (cells,)
    order: np.ndarray  # base row of each sorted position
    starts: np.ndarray  # (cells + 1,) sorted positions of each cell
    # (d, n) float32, -2 (base[order] - centre) by coordinate: a query's product with a row is
    # then -2 q.r directly (bit for bit, scaling by a power of 2 is exact), and each non-zero
    # of a query adds one contiguous run of a cell's rows
    columns: np.ndarray
    residual_norms: np.ndarray  # (n,) |base[order] - centre|^2
    radius: np.ndarray  # (cells,) float64, largest residual norm
    # (n,) float32, |r|^2 + 2 (c + g).r (c: the row's cell centre, g: the global centre),
    # rounded from float64: with it |q - c - g|^2 - 2 (q - c - g).r + |r|^2 = |q - c - g|^2 +
    # q.(-2 r) + offset, so a scan multiplies the query as it is (sparse: no centring) and
    # adds |q - c - g|^2, the value the cell bounds already hold, to each row
    offsets: np.ndarray
    # (n,) float32, each row's distance to its cell's centre; with ``by_norm`` the rows of a
    # cell are sorted by it, so a scan reads only the run of rows whose annulus can hold a
    # nearer row (``masked`` cells keep the full table's order: no annulus)
    norms: np.ndarray
    by_norm: bool

    @classmethod
    def made(cls, centres: np.ndarray, order: np.ndarray, starts: np.ndarray,
             columns: np.ndarray, residual_norms: np.ndarray, centre: np.ndarray,
             offsets: np.ndarray | None = None, by_norm: bool = True) -> _Cells:
        """Cells with their derived arrays computed: the centres' norms, the radius, the rows'
        norms, and the offsets unless given (``masked`` derives its own from the full ones)."""
        return cls(centres, np.einsum("ij,ij->i", centres, centres), order, starts, columns,
                   residual_norms, _cell_radius(starts, residual_norms),
                   _offsets(centres, starts, columns, residual_norms, centre) if offsets is None
                   else offsets,
                   np.sqrt(residual_norms.astype(np.float64)).astype(np.float32), by_norm)

    @property
    def radius_f32(self) -> np.ndarray:
        """The radius rounded up to float32, so bounds stay conservative."""
        return np.nextafter(self.radius.astype(np.float32), np.float32(np.inf))


def _first_copies(base: np.ndarray, prepared: PreparedBase) -> np.ndarray:
    """Per sorted position of the cells: whether its row is the lowest of the base rows equal
    to it (every coordinate's bytes). A canonical scan skips the others: as near as that one
    and higher, they could never be chosen (on a table full of copies, most of its float64
    checks). A masked base searches fewer coordinates than its rows hold: all True there."""
    if prepared.coordinates is not None or not len(base):
        return np.ones(len(base), dtype=bool)
    first = _lowest_copies(base, base) == np.arange(len(base))  # its own lowest copy
    return first[prepared.cells.order]


def _cell_scale(cells: _Cells, centre: np.ndarray) -> np.ndarray:
    """(cells,) float32 |c| + |c + g| + radius: with the query's |q| + |g|, the scale of the
    terms a scan sums (``scan.TIE_RELATIVE``)."""
    raw = cells.centres.astype(np.float64) + centre
    return (np.sqrt(cells.centre_norms.astype(np.float64)) + np.sqrt((raw * raw).sum(axis=1))
            + cells.radius).astype(np.float32)


def _closest_centre(rows: np.ndarray, centres: np.ndarray, centre_norms: np.ndarray) -> np.ndarray:
    assigned = np.empty(len(rows), dtype=np.int64)
    scaled = centres * np.float32(-2.0)  # the product is then -2 r.c, bit for bit, in one pass
    for start in range(0, len(rows), BASE_BLOCK):
        part = rows[start:start + BASE_BLOCK]
        d2 = part @ scaled.T
        d2 += centre_norms[None, :]
        assigned[start:start + len(part)] = np.argmin(d2, axis=1)
    return assigned


def _cell_sums(rows: np.ndarray, assigned: np.ndarray, count: int) -> np.ndarray:
    """(count, d) float64: the sum of the rows of each cell, added in row order from 0, as
    ``np.add.at(sums, assigned, rows)`` adds them (bit for bit: the same additions in the same
    order), in one sorted pass instead of one row at a time (1 s at 100k rows)."""
    sums = np.zeros((count, rows.shape[1]), dtype=np.float64)
    if not len(rows):
        return sums
    order = np.argsort(assigned, kind="stable")
    cells = assigned[order]
    first = np.flatnonzero(np.r_[True, cells[1:] != cells[:-1]])
    # a reduction along the rows adds them one after the other, in float64; + 0.0 as add.at
    # starts from 0 (which only turns a sum of -0.0s into 0.0)
    sums[cells[first]] = 0.0 + np.add.reduceat(rows[order], first, axis=0, dtype=np.float64)
    return sums


def _cells(base_c: np.ndarray, centre: np.ndarray) -> _Cells:
    """A few steps of k-means: random rows as centres, then ``K_MEANS_STEPS`` times assign
    and move the centres to the means, then assign every row. The search is exact whatever
    the cells; better cells only make it faster. ``centre``: the global centre taken out of
    ``base_c`` (the offsets are for queries as they are)."""
    n = len(base_c)
    count = int(np.clip(n // CELL_ROWS, 1, MAX_CELLS))
    rng = fixed_rng("neighbour-order")
    centres = base_c[np.sort(rng.choice(n, count, replace=False))].astype(np.float32)
    # the steps' means from at most FIRST_STEP_ROWS rows per cell (every row up to
    # 131,072 rows): above that a step costs as much as the final assignment and gains little
    if n > FIRST_STEP_ROWS * count:
        sample = base_c[np.sort(rng.choice(n, FIRST_STEP_ROWS * count, replace=False))]
    else:
        sample = base_c
    centre_norms = np.einsum("ij,ij->i", centres, centres)
    for _ in range(K_MEANS_STEPS):
        assigned = _closest_centre(sample, centres, centre_norms)
        sizes = np.bincount(assigned, minlength=count)
        sums = _cell_sums(sample, assigned, count)
        filled = sizes > 0
        centres[filled] = (sums[filled] / sizes[filled, None]).astype(np.float32)
        centre_norms = np.einsum("ij,ij->i", centres, centres)
    assigned = _closest_centre(base_c, centres, centre_norms)
    # the residuals by chunks of rows, twice (their norms, then stored in the sorted order):
    # never a float64 copy of the table (at 1M rows, 0.9 GB each)
    residual_norms = np.empty(n, dtype=np.float32)
    for start in range(0, n, _RESIDUAL_ROWS):
        rows = np.arange(start, min(n, start + _RESIDUAL_ROWS))
        part = _residuals(base_c, centres, assigned, rows)
        residual_norms[rows] = np.einsum("ij,ij->i", part, part)
    # by cell, then by distance to the centre within a cell (ties in row order)
    order = np.lexsort((residual_norms, assigned))
    starts = np.searchsorted(assigned[order], np.arange(count + 1))
    columns = np.empty((base_c.shape[1], n), dtype=np.float32)
    for start in range(0, n, _RESIDUAL_ROWS):
        rows = order[start:start + _RESIDUAL_ROWS]
        part = _residuals(base_c, centres, assigned, rows)
        part *= np.float32(-2.0)
        columns[:, start:start + len(rows)] = part.T
    return _Cells.made(centres, order, starts, columns, residual_norms[order], centre)


_RESIDUAL_ROWS = 65536


def _residuals(base_c: np.ndarray, centres: np.ndarray, assigned: np.ndarray,
               rows: np.ndarray) -> np.ndarray:
    """float32 rows minus their cell's centre, the difference taken in float64."""
    return (base_c[rows].astype(np.float64) - centres[assigned[rows]]).astype(np.float32)


def _offsets(centres: np.ndarray, starts: np.ndarray, columns: np.ndarray,
             residual_norms: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Each row's |r|^2 - (c + g).(-2 r) (``_Cells.offsets``), in float64 by chunks of rows."""
    cell_of_row = np.repeat(np.arange(len(centres)), np.diff(starts))
    out = np.empty(columns.shape[1], dtype=np.float32)
    for start in range(0, columns.shape[1], 65536):
        stop = start + 65536
        raw_centres = centres[cell_of_row[start:stop]].astype(np.float64) + centre
        across = np.einsum("ij,ji->i", raw_centres, columns[:, start:stop].astype(np.float64))
        out[start:stop] = residual_norms[start:stop] - across
    return out


def _scaled_norms(columns: np.ndarray) -> np.ndarray:
    """|r|^2 of rows stored as -2 r by coordinate: a quarter of theirs, bit for bit the norms
    of r."""
    norms = np.einsum("ji,ji->i", columns, columns)
    norms *= np.float32(0.25)
    return norms


@dataclass(frozen=True)
class _PrunedBase:
    """What every block of the pruned search reads: the cells and the base's group labels."""

    centre: np.ndarray
    cells: _Cells
    cell_groups: np.ndarray | None  # the base rows' group labels in the cells' order
    k: int
    base: np.ndarray  # (n, d) float32, C order: the rows, for float64 checks of near-ties
    exact_coordinates: np.ndarray  # the coordinates those checks sum over (masked: the kept)
    lowest_of_ties: bool  # k = 1: ties to the lowest base row (``nearest``)
    # per sorted position: the lowest base row of those equal to it on the exact coordinates
    # (with ``lowest_of_ties`` and no groups; all True for a masked base, where finding them
    # needs a copy)
    first_copies: np.ndarray
    cell_scale: np.ndarray  # (cells,) float32, ``_cell_scale``
    centre_norm: np.float32  # |g|: with ``cell_scale``, bounds the scan's rounding


@dataclass(frozen=True)
class PreparedBase:
    """A base table made ready for pruned searches once (``prepare``): its centre and its
    cells. Several searches of the same base (the audit's, column attribution's, the EDPB
    attacks') then share one k-means."""

    centre: np.ndarray
    cells: _Cells
    #: ``masked``: the coordinates searched (the others are 0 in the centres and the queries)
    coordinates: np.ndarray | None = None


def prepare(base: np.ndarray) -> PreparedBase:
    """``base`` centred and cut into cells, as the pruned search would on its own."""
    centre = base.mean(axis=0, dtype=np.float64).astype(np.float32)
    return PreparedBase(centre, _cells(np.ascontiguousarray(base - centre, dtype=np.float32),
                                       centre))


def restricted(prepared: PreparedBase, keep: np.ndarray) -> PreparedBase:
    """The same cells for a search on the coordinates ``keep`` only (a subset of the columns'
    blocks): each cell's rows and centre projected, its radius recomputed in the projection.
    The search stays exact (any partition of the rows does); cells made for every coordinate
    prune a little less than a k-means of the projection would, and cost nothing to make."""
    keep = np.asarray(keep)
    if keep.dtype == bool:
        keep = np.flatnonzero(keep)
    if np.array_equal(keep, np.arange(len(prepared.centre))):
        return prepared
    cells = prepared.cells
    columns = cells.columns[keep]
    residual_norms = _scaled_norms(columns)
    # the rows of each cell sorted again, by their distance to the centre in the projection
    cell_of_row = np.repeat(np.arange(len(cells.centres)), np.diff(cells.starts))
    resorted = np.lexsort((residual_norms, cell_of_row))
    centre = np.ascontiguousarray(prepared.centre[keep])
    return PreparedBase(centre, _Cells.made(np.ascontiguousarray(cells.centres[:, keep]),
                                            cells.order[resorted], cells.starts,
                                            np.ascontiguousarray(columns[:, resorted]),
                                            residual_norms[resorted], centre))


def masked(prepared: PreparedBase, keep: np.ndarray) -> PreparedBase:
    """``restricted`` without copying the rows: the same width, the coordinates outside
    ``keep`` set to 0 in the centres and left out of the rows' norms; the search then sets
    them to 0 in the queries too (``coordinates``), so they add nothing to any distance.
    For many searches of one large base, each without a different column."""
    cells = prepared.cells
    removed = np.setdiff1d(np.arange(len(prepared.centre)), keep)
    residual_norms = np.maximum(cells.residual_norms - _scaled_norms(cells.columns[removed]),
                                np.float32(0.0))
    centres = cells.centres.copy()
    centres[:, removed] = 0.0
    centre = prepared.centre.copy()
    centre[removed] = 0.0
    # the offsets |r|^2 - (c + g).(-2 r) on the kept coordinates, from the full ones and the
    # few removed coordinates (in float64, as ``_offsets``; not a pass over every coordinate)
    cell_of_row = np.repeat(np.arange(len(centres)), np.diff(cells.starts))
    raw_removed = (cells.centres[:, removed].astype(np.float64)
                   + prepared.centre[removed].astype(np.float64))
    removed_dots = np.einsum("ij,ji->i", raw_removed[cell_of_row],
                             cells.columns[removed].astype(np.float64))
    offsets = (cells.offsets.astype(np.float64) - cells.residual_norms + residual_norms
               + removed_dots).astype(np.float32)
    # the rows stay in the full table's order, not sorted by their masked norms: no annulus
    return PreparedBase(centre, _Cells.made(centres, cells.order, cells.starts, cells.columns,
                                            residual_norms, centre, offsets, by_norm=False),
                        np.asarray(keep))


def _cell_radius(starts: np.ndarray, residual_norms: np.ndarray) -> np.ndarray:
    """Each cell's largest residual norm (rows sorted by cell; 0 for an empty cell)."""
    radius = np.zeros(len(starts) - 1)
    filled = starts[:-1] < starts[1:]
    if filled.any():
        norms = np.sqrt(residual_norms.astype(np.float64))
        radius[filled] = np.maximum.reduceat(norms, starts[:-1][filled])
    return radius


def _pruned(query, base, k, query_groups, base_groups, on_block, scheduler=None,
            prepared: PreparedBase | None = None, seeds: np.ndarray | None = None,
            lowest_of_ties: bool = False) -> Neighbours:
    prepared = prepared or prepare(base)
    if prepared.coordinates is not None:  # masked: the other coordinates count for nothing
        kept = np.zeros(query.shape[1], dtype=bool)
        kept[prepared.coordinates] = True
        query = np.where(kept, query, np.float32(0.0)).astype(np.float32)
    coordinates = (np.arange(base.shape[1]) if prepared.coordinates is None
                   else np.asarray(prepared.coordinates))
    # group labels as int64 whatever their range: one compiled scan for every search
    shared = _PrunedBase(prepared.centre, prepared.cells,
                         None if base_groups is None else base_groups[prepared.cells.order], k,
                         np.ascontiguousarray(base, dtype=np.float32),
                         coordinates.astype(np.int64), lowest_of_ties and k == 1,
                         # with groups a copy may be allowed where the lowest is not
                         _first_copies(base, prepared)
                         if lowest_of_ties and k == 1 and base_groups is None
                         else np.ones(len(base), dtype=bool),
                         _cell_scale(prepared.cells, prepared.centre),
                         np.float32(np.sqrt(np.dot(prepared.centre, prepared.centre))))
    # at least one block per core: few queries (the extras' samples) would run on one thread
    size = min(PRUNED_QUERY_BLOCK, max(1024, -(-len(query) // cores())))
    blocks = _query_blocks(query, query_groups, size,
                           None if seeds is None else np.asarray(seeds, dtype=np.int64))
    _, best_i, _ = _run_blocks(_pruned_block, blocks, shared, len(query), k, on_block, scheduler)
    return _finish(query, base, best_i, None, prepared.coordinates)


def _pruned_block(query: _QueryBlock, shared: _PrunedBase):
    """One query block: its ``FIRST_CELLS`` closest cells (or its seeds) first, then every cell
    whose ball reaches inside the k-th distance found so far (``scan.scan_block``)."""
    from synthcheck.distance.scan import closest_cells, scan_block

    cells, k = shared.cells, shared.k
    n = len(query.rows)
    block = np.ascontiguousarray(query.rows - shared.centre, dtype=np.float32)
    # (cells, queries) |q - c|^2: each cell's column of queries is contiguous for the scan
    to_centre2 = cells.centres @ block.T
    to_centre2 *= -2.0
    to_centre2 += cells.centre_norms[:, None]
    to_centre2 += np.einsum("ij,ij->i", block, block)[None, :]
    np.maximum(to_centre2, 0.0, out=to_centre2)
    to_centre2[cells.starts[1:] == cells.starts[:-1]] = np.inf
    no_cells = np.empty((n, 0), dtype=np.int64)
    if query.seeds is not None:
        position = np.empty(len(cells.order), dtype=np.int64)
        position[cells.order] = np.arange(len(cells.order))
        seed_positions = position[query.seeds]
        seed_cells = np.searchsorted(cells.starts, seed_positions, side="right") - 1
        first = no_cells
    else:
        seed_positions = seed_cells = np.empty(0, dtype=np.int64)
        first = closest_cells(to_centre2, max(1, min(FIRST_CELLS, len(cells.centres) - 1)))
    # the queries as they are, in compressed sparse rows (a category is one non-zero)
    rows, coordinates = np.nonzero(query.rows)
    indptr = np.searchsorted(rows, np.arange(n + 1))
    weights = np.ascontiguousarray(query.rows[rows, coordinates], dtype=np.float32)
    grouped = query.groups is not None
    query_groups = query.groups if grouped else np.empty(0, dtype=np.int64)
    row_groups = shared.cell_groups if grouped else np.empty(0, dtype=np.int64)
    best_d2 = np.full((n, k), np.inf, dtype=np.float32)
    best_pos = np.full((n, k), -1, dtype=np.int64)
    scan_block(indptr, coordinates.astype(np.int64), weights, to_centre2, first, seed_positions,
               seed_cells, cells.columns, cells.offsets, cells.norms, cells.starts,
               cells.radius_f32, query_groups, row_groups, grouped, cells.by_norm, best_d2,
               best_pos, np.float32(_SLACK_RELATIVE), np.float32(_SLACK_ABSOLUTE),
               shared.lowest_of_ties,
               (shared.exact_coordinates, np.ascontiguousarray(query.rows, dtype=np.float32),
                shared.base, cells.order, shared.first_copies), shared.cell_scale,
               shared.centre_norm)
    best_i = np.where(best_pos >= 0, cells.order[np.maximum(best_pos, 0)], -1)
    return best_d2, best_i, None


def copies_first(query: np.ndarray, base: np.ndarray, found: Neighbours,
                 groups: tuple[np.ndarray, np.ndarray] | None = None) -> Neighbours:
    """``found`` (one neighbour) with every query that has a copy in the base (a row with the
    same bytes, of another group under ``groups``) given the lowest such row, at distance 0.

    Why: the searches decide in float32, where a copy and a row ~1e-3 away can tie (the
    squared distances' rounding is ~1e-7 of the squared norms); a copied record reported at
    1e-3 from its nearest synthetic row, its nearest row the other one, would misstate both
    in the owner's records (wa_churn, blocked search: 0.00118 for a verbatim copy). Rows are
    hashed (``scan.row_hashes``) and every match compared byte for byte."""
    if found.indices.shape[1] != 1 or not len(query) or not len(base):
        return found
    copies = _lowest_copies(query, base, groups)
    copied = copies >= 0
    if not copied.any():
        return found
    distances, indices = found.distances.copy(), found.indices.copy()
    distances[copied, 0], indices[copied, 0] = 0.0, copies[copied]
    return Neighbours(distances, indices, found.log_kernel_sum)


def _lowest_copies(query: np.ndarray, base: np.ndarray,
                   groups: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """(queries,) the lowest base row with the same bytes as each query row (of another group
    under ``groups``), or -1: rows hashed, every match compared byte for byte (``scan``)."""
    from synthcheck.distance.scan import copies_in, row_hashes

    query_words = np.ascontiguousarray(query, dtype=np.float32).view(np.uint32)
    base_words = np.ascontiguousarray(base, dtype=np.float32).view(np.uint32)
    base_hashes = row_hashes(base_words)
    order = np.lexsort((np.arange(len(base)), base_hashes))
    grouped = groups is not None
    query_groups, base_groups = (np.asarray(g, dtype=np.int64) for g in groups) if grouped \
        else (np.empty(0, dtype=np.int64),) * 2
    return copies_in(query_words, row_hashes(query_words), base_words, order,
                     base_hashes[order], query_groups, base_groups, grouped)


# a neighbour nearer than this (encoded units: a fifth of a standard deviation is 0.14, a
# category's mismatch 1) is searched again exactly (``settle_near``)
NEAR = 0.05


def settle_near(query: np.ndarray, base: np.ndarray, found: Neighbours,
                groups: tuple[np.ndarray, np.ndarray] | None = None,
                prepared: PreparedBase | None = None) -> Neighbours:
    """``found`` (one neighbour) with every query whose neighbour is nearer than ``NEAR``
    searched again with ``lowest_of_ties``: its nearest row then is the float64 nearest (the
    lowest of equals), not one within float32 rounding of it.

    Why only those: the plain search decides in float32, where rows whose squared distances
    differ by less than ~1e-7 of the squared norms tie. For a neighbour 0.05 away or farther
    that moves the reported distance by ~1e-5 at most; for a near copy it can report another
    row at several times the true distance (and a copy at 1e-3: ``copies_first``). Near copies
    are what a leak is made of, and few records have one (2.4 % at 50k Adult), so they get the
    exact answer for the price of a few percent of a pass."""
    if found.indices.shape[1] != 1:
        return found
    near = np.flatnonzero(found.distances[:, 0] < NEAR)
    if not len(near):
        return found
    again = nearest(np.ascontiguousarray(query[near]), base, 1, prepared=prepared,
                    groups=None if groups is None else (np.asarray(groups[0])[near], groups[1]),
                    lowest_of_ties=True)
    distances, indices = found.distances.copy(), found.indices.copy()
    distances[near], indices[near] = again.distances, again.indices
    return Neighbours(distances, indices, found.log_kernel_sum)


def typical_spacing(table: np.ndarray, seed: int, sample: int = 2000) -> float:
    """Median distance from a row to its nearest other row (on a sample): the natural length
    scale of a table, used as the kernel bandwidth so it adapts to any encoding width."""
    rng = np.random.default_rng(seed)
    rows = table if len(table) <= sample else table[rng.choice(len(table), sample, replace=False)]
    if len(rows) < 2:
        return 1.0
    spacing = float(np.median(nearest(rows, rows, 1, skip_same_row=True).distances[:, 0]))
    return max(0.001, spacing)
