"""Exact neighbour searches against a float64 brute force on encoded Adult rows."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.special import logsumexp

from synthcheck.distance.encode import MixedEncoder
from synthcheck.distance.neighbours import nearest
from synthcheck.inputs.columns import coerce_table, decide_types
from synthcheck.inputs.load import load_table


@pytest.fixture(scope="module")
def encoded(adult):
    tables = {r: load_table(adult[r], r) for r in ("train", "holdout", "population")}
    types = decide_types(tables["train"], None, "person_id")
    typed = {r: coerce_table(t, types) for r, t in tables.items()}
    encoder = MixedEncoder(types).fit(typed["population"], set(types.columns))
    return {r: encoder.transform(t) for r, t in typed.items()}


def brute_force(query, base, k, query_groups=None, base_groups=None):
    d2 = ((query[:, None, :].astype(np.float64) - base[None, :, :].astype(np.float64)) ** 2).sum(-1)
    if query_groups is not None:
        d2[query_groups[:, None] == base_groups[None, :]] = np.inf
    order = np.argsort(d2, axis=1, kind="stable")[:, :k]
    return np.sqrt(np.take_along_axis(d2, order, axis=1)), order, d2


@pytest.mark.slow
@pytest.mark.parametrize("method", ["blocked", "pruned"])
@pytest.mark.parametrize("k", [1, 4])
def test_exact_searches_match_brute_force(encoded, method, k):
    query, base = encoded["train"][:400], np.vstack([encoded["holdout"], encoded["population"]])
    expected, _, _ = brute_force(query, base, k)
    found = nearest(query, base, k, method=method)
    assert found.distances.shape == (len(query), k)
    np.testing.assert_allclose(found.distances, expected, rtol=0, atol=1e-6)
    recomputed = np.sqrt(((query[:, None, :].astype(np.float64) - base[found.indices]) ** 2).sum(-1))
    np.testing.assert_allclose(found.distances, recomputed, rtol=0, atol=1e-12)


def test_pruned_search_is_exact_on_duplicates_and_far_outliers():
    rng = np.random.default_rng(1)
    clusters = rng.normal(0, 5, (40, 12))
    base = (clusters[rng.integers(0, 40, 6000)] + rng.normal(0, 0.3, (6000, 12))).astype(np.float32)
    base[:500] = base[500:1000]  # exact duplicates
    query = np.vstack([base[:300] + 1e-4, rng.normal(0, 30, (100, 12))]).astype(np.float32)
    expected, _, _ = brute_force(query, base, 2)
    for method in ("blocked", "pruned"):
        found = nearest(query, base, 2, method=method)
        np.testing.assert_allclose(found.distances, expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize("method", ["blocked", "pruned"])
def test_groups_exclude_same_group_rows(encoded, method):
    query, base = encoded["train"][:500], encoded["population"]
    rng = np.random.default_rng(0)
    query_groups, base_groups = rng.integers(0, 5, len(query)), rng.integers(0, 5, len(base))
    expected, _, _ = brute_force(query, base, 1, query_groups, base_groups)
    found = nearest(query, base, 1, groups=(query_groups, base_groups), method=method)
    assert not (base_groups[found.indices[:, 0]] == query_groups).any()
    np.testing.assert_allclose(found.distances, expected, rtol=0, atol=1e-6)


@pytest.mark.slow
def test_skip_same_row_never_returns_the_row_itself(encoded):
    table = encoded["population"]
    for method in ("blocked", "pruned"):
        found = nearest(table, table, 1, skip_same_row=True, method=method)
        assert not (found.indices[:, 0] == np.arange(len(table))).any()
        expected, _, _ = brute_force(table, table, 1, np.arange(len(table)), np.arange(len(table)))
        np.testing.assert_allclose(found.distances, expected, rtol=0, atol=1e-6)


def test_kernel_sums_match_float64_logsumexp(encoded):
    query, base = encoded["train"][:300], encoded["population"]
    bandwidth = 0.4
    _, _, d2 = brute_force(query, base, 1)
    expected = logsumexp(-d2 / (2 * bandwidth**2), axis=1)
    found = nearest(query, base, 1, bandwidth=bandwidth)
    np.testing.assert_allclose(found.log_kernel_sum, expected, rtol=1e-4, atol=1e-4)
    groups = (np.arange(len(query)) % 3, np.arange(len(base)) % 3)
    _, _, d2g = brute_force(query, base, 1, *groups)
    found = nearest(query, base, 1, bandwidth=bandwidth, groups=groups)
    np.testing.assert_allclose(found.log_kernel_sum, logsumexp(-d2g / (2 * bandwidth**2), axis=1),
                               rtol=1e-4, atol=1e-4)


def test_pruned_search_refuses_kernel_sums(encoded):
    with pytest.raises(ValueError):
        nearest(encoded["train"][:10], encoded["population"], bandwidth=0.5, method="pruned")


@pytest.mark.parametrize("k", [1, 3])
def test_scan_never_returns_a_row_of_the_same_group_even_a_copy(k):
    """Exact copies give squared distances a hair below 0 in float32 (clamped at 0 by the
    scan): a copy of a query in the query's own group must still be skipped, and the rows
    returned must be distinct, allowed, and as near as any allowed row."""
    rng = np.random.default_rng(4)
    base = rng.normal(size=(30_000, 6)).astype(np.float32)
    base[:200] = base[0]  # one row 200 times, in every group
    groups = rng.integers(0, 5, len(base))
    query = np.repeat(base[:1], 50, axis=0) + np.float32(1e-4) * rng.normal(size=(50, 6)).astype(np.float32)
    query[:25] = base[0]
    query_groups = rng.integers(0, 5, len(query))
    found = nearest(query, base, k, groups=(query_groups, groups), method="pruned")
    assert (groups[found.indices] != query_groups[:, None]).all()
    assert (found.indices[:, :, None] != found.indices[:, None, :]).sum() == len(query) * k * (k - 1)
    for i in range(len(query)):
        allowed = groups != query_groups[i]
        exact = np.sort(np.sqrt(((base[allowed].astype(np.float64) - query[i]) ** 2).sum(1)))[:k]
        np.testing.assert_allclose(found.distances[i], exact, atol=1e-6)


def test_cells_store_rows_by_coordinate_sorted_by_their_distance_to_the_centre(encoded):
    """The cells keep -2 r by coordinate, each cell's rows in ascending distance to its
    centre (what the scan's annulus needs); their norms (restricted, masked) must be the
    residuals' own (to float32 rounding: summed in another order), and a restricted base sorts
    its cells again in the projection."""
    from synthcheck.distance.neighbours import _scaled_norms, prepare, restricted

    base = np.vstack([encoded["holdout"], encoded["population"]])
    prepared = prepare(base)
    cells = prepared.cells
    residuals = cells.columns.T * np.float32(-0.5)
    np.testing.assert_allclose(_scaled_norms(cells.columns), cells.residual_norms, rtol=1e-6)
    np.testing.assert_allclose(_scaled_norms(cells.columns[5:40]),
                               np.einsum("ij,ij->i", residuals[:, 5:40], residuals[:, 5:40]),
                               rtol=1e-6)
    cell_of_row = np.repeat(np.arange(len(cells.centres)), np.diff(cells.starts))
    np.testing.assert_allclose(residuals, base[cells.order] - prepared.centre
                               - cells.centres[cell_of_row], atol=1e-5)
    for made in (cells, restricted(prepared, np.arange(5, 40)).cells):
        assert made.by_norm
        for lo, hi in zip(made.starts[:-1], made.starts[1:]):
            assert (np.diff(made.norms[lo:hi]) >= 0).all()


def test_cell_sums_add_exactly_as_add_at():
    """The k-means' sums per cell, sorted and reduced, must be np.add.at's bit for bit
    (signs of zero included): the cells, hence which rows a search scans first, follow them."""
    from synthcheck.distance.neighbours import _cell_sums

    rng = np.random.default_rng(2)
    rows = rng.normal(size=(5000, 7)).astype(np.float32) * np.float32(1e3)
    rows[:40] = -0.0  # a cell of negative zeros only (cell 0 below)
    rows[40:60, 2] = 1e-30
    assigned = rng.integers(1, 300, len(rows))
    assigned[:40] = 0
    assigned[100:200] = 299  # and cells left empty in between
    expected = np.zeros((310, 7))
    np.add.at(expected, assigned, rows)
    found = _cell_sums(rows, assigned, 310)
    np.testing.assert_array_equal(found, expected)
    assert np.array_equal(np.signbit(found), np.signbit(expected))


def test_closest_cells_are_the_nearest_distinct_finite_cells_in_order():
    """The first cells a query scans: its few nearest, each once, nearest first and the lower
    cell first among equals; an empty cell (inf) is never scanned, even for a query with fewer
    non-empty cells than asked for (-1 then)."""
    from synthcheck.distance.scan import closest_cells

    rng = np.random.default_rng(4)
    to_centre2 = rng.random((300, 9)).astype(np.float32)
    to_centre2[:, 2] = np.inf  # an empty cell
    to_centre2[:50, 3:] = np.inf  # queries with only two non-empty cells
    to_centre2[60:70, 1] = to_centre2[60:70, 0]  # ties
    closest = closest_cells(np.ascontiguousarray(to_centre2.T), 4)
    for row in range(len(to_centre2)):
        finite = np.flatnonzero(np.isfinite(to_centre2[row]))
        expected = finite[np.argsort(to_centre2[row, finite], kind="stable")][:4]
        np.testing.assert_array_equal(closest[row][closest[row] >= 0], expected)
    assert (closest[:50, 2:] == -1).all() and (closest[50:] >= 0).all()


@pytest.mark.parametrize("method", ["blocked", "pruned"])
def test_a_copy_is_the_neighbour_found_at_zero_whatever_float32_made_of_it(method):
    """A row 3e-5 from the query ties with the query's copy in float32 (rounding ~1e-7 of a
    squared norm of ~50); placed first, a search may keep it. ``copies_first`` gives every
    query with a copy the lowest copy at distance 0, and never a copy of the query's own
    group."""
    from synthcheck.distance.neighbours import copies_first

    rng = np.random.default_rng(8)
    base = rng.normal(size=(25_000, 8)).astype(np.float32) * np.float32(3.0)
    query = base[5000:5100].copy()
    base[:100] = query  # near twins first: 3e-5 away on one coordinate
    base[:100, 3] += np.float32(3e-5)
    found = nearest(query, base, 1, method=method)
    assert (found.indices[:, 0] < 100).sum() > 10  # float32 took the twin for many
    fixed = copies_first(query, base, found)
    np.testing.assert_array_equal(fixed.indices[:, 0], np.arange(5000, 5100))
    assert (fixed.distances[:, 0] == 0.0).all()
    base_groups = np.zeros(len(base), dtype=np.int64)
    base_groups[5000:5100] = 1  # the copies in the queries' own group: not allowed
    grouped = copies_first(query, base, found, (np.ones(100, np.int64), base_groups))
    np.testing.assert_array_equal(grouped.indices, found.indices)


@pytest.mark.parametrize("method", ["blocked", "pruned"])
def test_a_near_copy_gets_its_float64_nearest_row(method):
    """Two near twins of each query, 3e-5 and 2e-5 away: float32 cannot order them and often
    keeps the first (the farther); ``settle_near`` must give the nearer, with groups too (a
    twin of the query's own group is never the answer)."""
    from synthcheck.distance.neighbours import settle_near

    rng = np.random.default_rng(9)
    base = rng.normal(size=(25_000, 8)).astype(np.float32) * np.float32(3.0)
    query = rng.normal(size=(100, 8)).astype(np.float32) * np.float32(3.0)
    base[:100], base[5000:5100] = query, query
    base[:100, 5] += np.float32(3e-5)  # farther twins first
    base[5000:5100, 3] += np.float32(2e-5)
    found = nearest(query, base, 1, method=method)
    assert (found.indices[:, 0] < 100).sum() > 10  # float32 kept the farther twin for many
    settled = settle_near(query, base, found)
    np.testing.assert_array_equal(settled.indices[:, 0], np.arange(5000, 5100))
    exact = np.sqrt(((base[5000:5100].astype(np.float64) - query) ** 2).sum(axis=1))
    np.testing.assert_array_equal(settled.distances[:, 0], exact)
    base_groups = np.zeros(len(base), dtype=np.int64)
    base_groups[5000:5100] = 1  # the nearer twins in the queries' own group
    groups = (np.ones(100, dtype=np.int64), base_groups)
    found = nearest(query, base, 1, method=method, groups=groups)
    settled = settle_near(query, base, found, groups)
    np.testing.assert_array_equal(settled.indices[:, 0], np.arange(100))
