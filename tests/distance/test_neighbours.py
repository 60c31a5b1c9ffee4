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


def _merge_one_as_before(best_d2, best_i, rows, d2, ids, row_groups, id_groups):
    """The k = 1 merge as the scan did it until session 6: clamp, mask, then ``_merge``."""
    from synthcheck.distance.neighbours import _merge

    d2 = np.maximum(d2, np.float32(0.0))
    if row_groups is not None:
        d2[row_groups[:, None] == id_groups[None, :]] = np.inf
    _merge(best_d2, best_i, rows, d2, ids)


@pytest.mark.parametrize("grouped", [False, True])
def test_merge_one_equals_clamping_and_masking_first(grouped):
    """``_merge_one`` clamps and masks only the rows where that can matter; on blocks full of
    ties, negative values (near-copies under float32 rounding), excluded winners and rows
    with every column excluded it must choose exactly as clamping and masking everything."""
    from synthcheck.distance.neighbours import _merge_one

    rng = np.random.default_rng(5)
    for _ in range(200):
        n, m = rng.integers(1, 12), rng.integers(1, 9)
        d2 = rng.choice(np.array([-2e-6, -1e-7, -0.0, 0.0, 1e-7, 0.5, 0.5, 2.0], np.float32),
                        (n, m))
        rows = np.sort(rng.choice(20, n, replace=False))
        ids = rng.choice(100, m, replace=False)
        row_groups = rng.integers(0, 3, n).astype(np.int8) if grouped else None
        id_groups = rng.integers(-1, 3, m).astype(np.int8) if grouped else None
        start = rng.choice(np.array([np.inf, 0.5, 0.0], np.float32), (20, 1))
        expected = (start.copy(), np.full((20, 1), -1, np.int64))
        found = (start.copy(), np.full((20, 1), -1, np.int64))
        _merge_one_as_before(*expected, rows, d2.copy(), ids, row_groups, id_groups)
        _merge_one(*found, rows, d2.copy(), ids, row_groups, id_groups)
        np.testing.assert_array_equal(found[1], expected[1])
        np.testing.assert_array_equal(found[0], expected[0])


def test_scaled_residuals_give_the_same_bits_as_scaling_the_product(encoded):
    """The cells keep -2 r instead of r: each product, its norms (restricted, masked) and the
    seeds' distances must be bit for bit what they were."""
    from synthcheck.distance.neighbours import _scaled_norms, prepare

    base = np.vstack([encoded["holdout"], encoded["population"]])
    cells = prepare(base).cells
    residuals = cells.scaled_residuals * np.float32(-0.5)
    query = encoded["train"][:300] - cells.centres[0]
    np.testing.assert_array_equal(query @ cells.scaled_residuals[:64].T,
                                  -2.0 * (query @ residuals[:64].T))
    np.testing.assert_array_equal(_scaled_norms(cells.scaled_residuals), cells.residual_norms)
    np.testing.assert_array_equal(_scaled_norms(cells.scaled_residuals[:, 5:40]),
                                  np.einsum("ij,ij->i", residuals[:, 5:40], residuals[:, 5:40]))


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


def test_closest_cells_are_the_smallest_distinct_finite_columns_and_the_input_is_restored():
    """The first cells a query scans: its few nearest, each once; an empty cell (inf) is never
    scanned, even for a row with fewer non-empty cells than asked for."""
    from synthcheck.distance.neighbours import _closest_cells

    rng = np.random.default_rng(4)
    to_centre2 = rng.random((300, 9)).astype(np.float32)
    to_centre2[:, 2] = np.inf  # an empty cell
    to_centre2[:50, 3:] = np.inf  # rows with only two non-empty cells
    to_centre2[60:70, 1] = to_centre2[60:70, 0]  # ties
    before = to_centre2.copy()
    closest, finite = _closest_cells(to_centre2, 4)
    np.testing.assert_array_equal(to_centre2, before)
    expected = np.sort(np.argpartition(before, 4, axis=1)[:, :4], axis=1)
    for row in range(len(before)):
        chosen = closest[row][finite[row]]
        assert len(set(chosen.tolist())) == len(chosen)
        assert np.isfinite(before[row, chosen]).all()
        wanted = expected[row][np.isfinite(before[row, expected[row]])]
        np.testing.assert_array_equal(np.sort(before[row, chosen]), np.sort(before[row, wanted]))
    assert finite[:50].sum(axis=1).max() == 2
