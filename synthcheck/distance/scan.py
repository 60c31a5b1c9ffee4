"""The pruned search's inner loop, compiled: one query block against the cells it must visit.

Why compiled: in numpy the scan of a (query, cell) pair was a handful of whole-array calls (a
gather of the queries, a matrix product over every encoded coordinate, an argmin, a merge),
and their fixed cost per pair set the pace (SCALE.md, session 9). Here each pair costs only
what it reads:

* the query is sparse in the encoding as it is (not centred): a category is one non-zero in
  its block, so a product reads as many coordinates as the query has non-zeros (about one per
  column), not the encoding's width;
* a cell's rows are stored by coordinate (``columns``: (width, rows)), so each non-zero adds a
  contiguous run of the cell's rows at once, in vector instructions;
* a cell's rows are sorted by their distance to its centre, so only the run of rows whose
  annulus can hold a closer row is read: |q - r| >= | |q - c| - |r - c| | (triangle
  inequality), the bound the cells' balls use, per row.

The value of a row is ``offset[r] + sum_k q_k columns[k, r] + |q - c|^2``, clamped at 0, in
float32, the sum in a fixed order (no fast-math reassociation), so a row has the same value
whichever run it is read in and on every machine.

Which of several equally near rows is kept: by default the first found (cells in the order
given, rows in a cell's order); a row replaces a kept one only when its float32 value is
strictly smaller. With ``canonical`` (k = 1; for attacks that read the row itself, EDPB's
linkability and inference, whose counts must not move with how the search is built) it is
the lowest base row among the rows at the smallest exact distance: a row whose float32 value
comes within ``TIE_ABSOLUTE + TIE_RELATIVE x value`` of the kept one's (far more than float32
rounding) is compared with it on float64 squared distances from the rows themselves, equal
when within ``EXACT_RELATIVE`` (the same squares summed in another order), and then by base
row. Every row at the exact distance is visited: the pruning bounds' slack is wider still.
"""
from __future__ import annotations

import numpy as np
from numba import njit


def _compiled(function):
    """``njit(nogil=True, cache=True)``, or without the cache where numba finds nowhere to
    write it (a read-only install with no writable user cache directory raises at import):
    then each process compiles the scan once, at its first exact search (~10 s)."""
    try:
        return njit(nogil=True, cache=True)(function)
    except RuntimeError:
        return njit(nogil=True)(function)


# how far a float32 value may be from its exact one: TIE_RELATIVE x (|q| + |g| + |c| + |c + g|
# + radius)^2, the scale of every term summed (query, global centre, the cell's centre in both
# frames, its radius), about 128 float32 roundings of it, plus TIE_ABSOLUTE
TIE_RELATIVE = 2.0 ** -17
TIE_ABSOLUTE = 1e-12
EXACT_RELATIVE = 1e-12


@njit(nogil=True, inline="always")
def _copy(values, source):
    for t in range(len(values)):
        values[t] = source[t]


@njit(nogil=True, inline="always")
def _add_scaled(values, row, weight):
    for t in range(len(values)):
        values[t] += weight * row[t]


@njit(nogil=True, inline="always", fastmath=True)
def _smallest(values):
    """The smallest value (a minimum is exact in any order: fast math only lets it vectorise)."""
    least = np.float32(np.inf)
    for t in range(len(values)):
        least = min(least, values[t])
    return least


@njit(nogil=True, inline="always")
def _insert(values, labels, i, value, label):
    """Row i of ``values`` (ascending) and ``labels`` with ``value`` / ``label`` put in its
    place and the last dropped; after the values it equals (the first found stays first).
    The caller has checked that it beats the last."""
    at = values.shape[1] - 1
    while at > 0 and values[i, at - 1] > value:
        values[i, at] = values[i, at - 1]
        labels[i, at] = labels[i, at - 1]
        at -= 1
    values[i, at] = value
    labels[i, at] = label


@njit(nogil=True, inline="always")
def _first_not_below(sorted_values, lo, hi, limit):
    """The first position in [lo, hi) whose value is >= ``limit`` (hi when none is)."""
    while lo < hi:
        middle = (lo + hi) >> 1
        if sorted_values[middle] < limit:
            lo = middle + 1
        else:
            hi = middle
    return lo


@njit(nogil=True, inline="always")
def _bound(kth, slack_relative, slack_absolute):
    return np.sqrt(max(kth, np.float32(0.0))) * (np.float32(1.0) + slack_relative) \
        + slack_absolute


@njit(nogil=True, inline="always")
def _error(query_scale, cell_scale):
    scale = query_scale + cell_scale
    return np.float32(TIE_RELATIVE) * scale * scale + np.float32(TIE_ABSOLUTE)


@njit(nogil=True, inline="always")
def _exact2(exact, query_rows, i, base, row):
    """float64 squared distance from query i to base ``row`` on the ``exact`` coordinates."""
    total = 0.0
    for j in exact:
        gap = np.float64(query_rows[i, j]) - np.float64(base[row, j])
        total += gap * gap
    return total


@njit(nogil=True, inline="always")
def _settles(value, error, position, i, ties, best_d2, best_pos, best_error, best_exact):
    """For k = 1 (``canonical``): whether the row at sorted ``position`` (float32 ``value``,
    rounding at most ``error``) replaces query i's kept row: nearer beyond both values'
    rounding, or, within it, nearer in float64 or as near and a lower base row (``ties``:
    exact coordinates, query rows, base, order)."""
    exact, query_rows, base, order, _ = ties
    kept = best_d2[i, 0]
    if best_pos[i, 0] < 0 or value < kept - error - best_error[i]:
        best_exact[i] = np.nan
        return True
    if np.isnan(best_exact[i]):
        best_exact[i] = _exact2(exact, query_rows, i, base, order[best_pos[i, 0]])
    candidate = _exact2(exact, query_rows, i, base, order[position])
    limit = EXACT_RELATIVE * max(candidate, best_exact[i])
    if candidate < best_exact[i] - limit or (
            candidate <= best_exact[i] + limit and order[position] < order[best_pos[i, 0]]):
        best_exact[i] = candidate
        return True
    return False


@njit(nogil=True, inline="always")
def _scan_run(i, lo, hi, to_centre2, error, indptr, coordinates, weights, columns, offsets,
              query_groups, row_groups, grouped, best_d2, best_pos, scratch, canonical, ties,
              best_error, best_exact):
    """Rows [lo, hi) of one cell into query i's running k best (kept sorted; ties as the
    module says). ``error``: how far a value of this cell may be from its exact one."""
    k = best_d2.shape[1]
    values = scratch[:hi - lo]
    _copy(values, offsets[lo:hi])
    for n in range(indptr[i], indptr[i + 1]):
        _add_scaled(values, columns[coordinates[n], lo:hi], weights[n])
    changed = False
    if canonical:  # a row as near as the kept one, within rounding, is settled in float64
        reach = best_d2[i, 0] + error + best_error[i]
        if _smallest(values) + to_centre2 > reach:
            return False
        for t in range(hi - lo):
            value = max(values[t] + to_centre2, np.float32(0.0))
            if value > reach or not ties[4][lo + t] or (
                    grouped and row_groups[lo + t] == query_groups[i]):
                continue
            if _settles(value, error, lo + t, i, ties, best_d2, best_pos, best_error,
                        best_exact):
                best_d2[i, 0] = value
                best_pos[i, 0] = lo + t
                best_error[i] = error
                reach = value + error + error
                changed = True
        return changed
    if _smallest(values) + to_centre2 >= best_d2[i, k - 1]:
        return False
    for t in range(hi - lo):
        value = max(values[t] + to_centre2, np.float32(0.0))
        if value < best_d2[i, k - 1]:
            if grouped and row_groups[lo + t] == query_groups[i]:
                continue
            _insert(best_d2, best_pos, i, value, lo + t)
            changed = True
    return changed


@njit(nogil=True, inline="always")
def _drive(indptr, coordinates, weights, to_centre2, first, seed_positions, seed_cells,
           columns, offsets, norms, starts, radius, query_groups, row_groups, grouped,
           annulus, best_d2, best_pos, slack_relative, slack_absolute, canonical, ties,
           cell_scale, centre_norm):
    """``scan_block``'s work, inlined into two compiled kernels where ``canonical`` is a
    constant (a run-time flag kept the canonical code in the plain scan's loops: 30 % slower).

    Every query of a block against every cell it must visit; returns the pairs scanned.

    ``indptr, coordinates, weights``: the queries (as they are, masked coordinates zeroed) in
    compressed sparse rows. ``to_centre2``: (cells, queries) |q - c|^2, inf for an empty cell.
    ``first``: (queries, f) cells scanned first to get a bound (-1: none), or ``seed_positions``
    / ``seed_cells`` (queries,): a row known to be near each query, its value the first bound.
    ``columns, offsets, norms, starts, radius``: the cells (``neighbours._Cells``); ``norms``
    (each row's distance to its centre, ascending within a cell) serve only with ``annulus``.
    ``best_d2, best_pos``: (queries, k), filled with inf / -1 (or the seeds): the k best
    squared distances and the rows' sorted positions, updated in place. ``canonical`` (k = 1):
    the nearest row settled in float64, ties to the lowest base row; ``ties`` = (exact
    coordinates, the queries as dense rows, the base table, the base row of each sorted
    position, whether each sorted position is the lowest of the base rows equal to it on the
    exact coordinates: the others, as near and higher, are skipped); ``cell_scale`` (cells,)
    |c| + |c + g| + radius and ``centre_norm`` |g| bound the values' rounding
    (``TIE_RELATIVE``)."""
    queries = len(indptr) - 1
    cells = len(starts) - 1
    scratch = np.empty(max(1, np.max(starts[1:] - starts[:-1])), dtype=np.float32)
    k = best_d2.shape[1]
    best_exact = np.full(queries, np.nan)
    best_error = np.zeros(queries, dtype=np.float32)
    query_scale = np.empty(queries, dtype=np.float32)
    for i in range(queries):
        total = np.float32(0.0)
        for n in range(indptr[i], indptr[i + 1]):
            total += weights[n] * weights[n]
        query_scale[i] = np.sqrt(total) + centre_norm
    for i in range(len(seed_positions)):
        cell = seed_cells[i]
        _scan_run(i, seed_positions[i], seed_positions[i] + 1, to_centre2[cell, i],
                  _error(query_scale[i], cell_scale[cell]), indptr, coordinates, weights,
                  columns, offsets, query_groups, row_groups, grouped, best_d2, best_pos,
                  scratch, canonical, ties, best_error, best_exact)
    for i in range(first.shape[0]):
        for f in range(first.shape[1]):
            cell = first[i, f]
            if cell >= 0:
                _scan_run(i, starts[cell], starts[cell + 1], to_centre2[cell, i],
                          _error(query_scale[i], cell_scale[cell]), indptr, coordinates,
                          weights, columns, offsets, query_groups, row_groups, grouped,
                          best_d2, best_pos, scratch, canonical, ties, best_error, best_exact)
    bounds = np.empty(queries, dtype=np.float32)
    for i in range(queries):
        bounds[i] = _bound(best_d2[i, k - 1], slack_relative, slack_absolute)
    pairs = 0
    for cell in range(cells):
        lo, hi = starts[cell], starts[cell + 1]
        if lo == hi:
            continue
        for i in range(queries):
            reach = bounds[i] + radius[cell]
            centre2 = to_centre2[cell, i]
            if centre2 > reach * reach:  # the cell's ball is beyond the bound
                continue
            done = False
            for f in range(first.shape[1]):
                done |= first[i, f] == cell
            if done:
                continue
            pairs += 1
            run_lo, run_hi = lo, hi
            if annulus:
                to_centre = np.sqrt(centre2)
                run_lo = _first_not_below(norms, lo, hi, to_centre - bounds[i])
                run_hi = _first_not_below(norms, run_lo, hi, to_centre + bounds[i])
                # a row exactly at the upper limit is kept too
                while run_hi < hi and norms[run_hi] <= to_centre + bounds[i]:
                    run_hi += 1
                if run_lo == run_hi:
                    continue
            if _scan_run(i, run_lo, run_hi, centre2, _error(query_scale[i], cell_scale[cell]),
                         indptr, coordinates, weights, columns, offsets, query_groups,
                         row_groups, grouped, best_d2, best_pos, scratch, canonical, ties,
                         best_error, best_exact):
                bounds[i] = _bound(best_d2[i, k - 1], slack_relative, slack_absolute)
    return pairs


@_compiled
def _plain(indptr, coordinates, weights, to_centre2, first, seed_positions, seed_cells, columns,
           offsets, norms, starts, radius, query_groups, row_groups, grouped, annulus, best_d2,
           best_pos, slack_relative, slack_absolute, ties, cell_scale, centre_norm):
    return _drive(indptr, coordinates, weights, to_centre2, first, seed_positions, seed_cells,
                  columns, offsets, norms, starts, radius, query_groups, row_groups, grouped,
                  annulus, best_d2, best_pos, slack_relative, slack_absolute, False, ties,
                  cell_scale, centre_norm)


@_compiled
def _canonical(indptr, coordinates, weights, to_centre2, first, seed_positions, seed_cells,
               columns, offsets, norms, starts, radius, query_groups, row_groups, grouped,
               annulus, best_d2, best_pos, slack_relative, slack_absolute, ties, cell_scale,
               centre_norm):
    return _drive(indptr, coordinates, weights, to_centre2, first, seed_positions, seed_cells,
                  columns, offsets, norms, starts, radius, query_groups, row_groups, grouped,
                  annulus, best_d2, best_pos, slack_relative, slack_absolute, True, ties,
                  cell_scale, centre_norm)


def scan_block(indptr, coordinates, weights, to_centre2, first, seed_positions, seed_cells,
               columns, offsets, norms, starts, radius, query_groups, row_groups, grouped,
               annulus, best_d2, best_pos, slack_relative, slack_absolute, canonical, ties,
               cell_scale, centre_norm):
    """Every query of a block against every cell it must visit (``_drive``); returns the
    pairs scanned."""
    kernel = _canonical if canonical else _plain
    return kernel(indptr, coordinates, weights, to_centre2, first, seed_positions, seed_cells,
                  columns, offsets, norms, starts, radius, query_groups, row_groups, grouped,
                  annulus, best_d2, best_pos, slack_relative, slack_absolute, ties, cell_scale,
                  centre_norm)


@_compiled
def closest_cells(to_centre2, count):
    """(queries, ``count``): each query's ``count`` closest cells (rows of the (cells,
    queries) ``to_centre2``), nearest first, the lower cell first among equals; -1 where no
    finite one is left (an empty cell is infinitely far). Cells in the outer loop: each
    cell's queries are contiguous."""
    queries = to_centre2.shape[1]
    closest = np.full((queries, count), -1, dtype=np.int64)
    near = np.full((queries, count), np.inf, dtype=np.float32)
    for cell in range(to_centre2.shape[0]):
        for i in range(queries):
            value = to_centre2[cell, i]
            if value < near[i, count - 1]:
                _insert(near, closest, i, value, cell)
    return closest


def warm() -> None:
    """Compile the scan now (a few seconds, once per machine: numba caches it beside this
    file, or in its user cache where this file is read-only), so the first audit does not
    pay for it. ``make install`` calls it."""
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(8, 3)).astype(np.float32)
    to_centre2 = np.ones((2, len(rows)), dtype=np.float32)
    first = closest_cells(to_centre2, 1)
    nonzero_rows, coordinates = np.nonzero(rows)
    indptr = np.searchsorted(nonzero_rows, np.arange(len(rows) + 1))
    starts = np.array([0, 4, 8])
    empty = np.empty(0, dtype=np.int64)
    for canonical in (False, True):
        scan_block(indptr, coordinates.astype(np.int64), rows[nonzero_rows, coordinates],
                   to_centre2, first, empty, empty, np.ascontiguousarray(rows.T),
                   np.zeros(8, np.float32), np.zeros(8, np.float32), starts,
                   np.ones(2, np.float32), empty, empty, False, True,
                   np.full((8, 1), np.inf, np.float32), np.full((8, 1), -1, np.int64),
                   np.float32(1e-3), np.float32(5e-3), canonical,
                   (np.arange(3), rows, rows, np.arange(8), np.ones(8, np.bool_)),
                   np.ones(2, np.float32),
                   np.float32(1))
    words = rows.view(np.uint32)
    hashes = row_hashes(words)
    order = np.argsort(hashes, kind="stable")
    copies_in(words, hashes, words, order, hashes[order], empty, empty, False)


@_compiled
def row_hashes(words):
    """(rows,) uint64: a hash of each row's bytes (``words``: the rows viewed as uint32), equal
    for equal rows; unequal rows may collide (``copies_in``: every match is verified)."""
    out = np.empty(words.shape[0], dtype=np.uint64)
    for i in range(words.shape[0]):
        value = np.uint64(14695981039346656037)
        for j in range(words.shape[1]):
            value = (value ^ np.uint64(words[i, j])) * np.uint64(1099511628211)
        out[i] = value
    return out


@_compiled
def copies_in(query_words, query_hashes, base_words, base_order, sorted_hashes, query_groups,
              base_groups, grouped):
    """(queries,) the lowest base row whose bytes equal each query row's (and, ``grouped``,
    whose group differs from the query's), or -1. ``base_order``: the base rows sorted by
    hash, then row; ``sorted_hashes``: their hashes in that order."""
    out = np.full(query_words.shape[0], -1, dtype=np.int64)
    for i in range(query_words.shape[0]):
        at = np.searchsorted(sorted_hashes, query_hashes[i])
        while at < len(sorted_hashes) and sorted_hashes[at] == query_hashes[i]:
            row = base_order[at]
            at += 1
            if grouped and base_groups[row] == query_groups[i]:
                continue
            same = True
            for j in range(query_words.shape[1]):
                if query_words[i, j] != base_words[row, j]:
                    same = False
                    break
            if same:
                out[i] = row
                break
    return out
