"""The pruned search against a float64 brute force on several real tables.

The pruned search computes its squared distances in float32, in whatever grouping of products
its kernel uses; every change to that kernel may move which of two nearly equally near rows is
found. These tests pin what must never move: on real encodings (ties, duplicates, missing
values, one-hot blocks), for one neighbour and for 32, with cross-fitting groups, without the
row itself, and on restricted and masked bases with seeds, every distance found is the float64
brute force's to within 1e-6, and every index is allowed and at that distance. With
``lowest_of_ties`` (one neighbour) the index is also the lowest base row among the rows at the
smallest exact distance (the rule that keeps EDPB's linkability and inference independent of
the search's internals).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synthcheck.distance.encode import MixedEncoder
from synthcheck.distance.neighbours import masked, nearest, prepare, restricted
from synthcheck.inputs.columns import coerce_table, decide_types
from synthcheck.inputs.load import load_table

ROOT = Path(__file__).resolve().parents[2]
TABLES = {name: ROOT / "fixtures" / "corpus" / f"{name}_{{part}}.csv.gz"
          for name in ("doctorcontacts", "loans", "randhie")}
TABLES["flchain"] = ROOT / "benchmarks" / "data" / "flchain" / "{part}.csv.gz"
TOLERANCE = 1e-6


@pytest.fixture(scope="module", params=sorted(TABLES))
def encoded(request) -> tuple[np.ndarray, np.ndarray, list]:
    """(queries, base, column blocks): train rows as queries, holdout and population rows as
    the base, encoded as an audit encodes them."""
    frames = {part: pd.read_csv(str(TABLES[request.param]).format(part=part), low_memory=False)
              for part in ("train", "holdout", "population")}
    types = decide_types(load_table(frames["train"], "train"), None, None)
    typed = {part: coerce_table(load_table(frame, part), types) for part, frame in frames.items()}
    encoder = MixedEncoder(types).fit(typed["population"], set(types.columns))
    query = encoder.transform(typed["train"])
    base = np.vstack([encoder.transform(typed["holdout"]), encoder.transform(typed["population"])])
    base = np.vstack([base, base[:200]])  # exact duplicates as well
    return query, base, encoder.column_blocks()


def squared(query: np.ndarray, base: np.ndarray) -> np.ndarray:
    q, b = query.astype(np.float64), base.astype(np.float64)
    return np.maximum((q * q).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * q @ b.T, 0.0)


def check(found, query, base, k, query_groups=None, base_groups=None, lowest=False) -> None:
    """Distances are the brute force's k smallest; indices are allowed and at those distances."""
    d2 = squared(query, base)
    if query_groups is not None:
        d2[query_groups[:, None] == base_groups[None, :]] = np.inf
    expected = np.sqrt(np.sort(d2, axis=1)[:, :k])
    np.testing.assert_allclose(found.distances, expected, rtol=0, atol=TOLERANCE)
    rows = np.arange(len(query))[:, None]
    at_index = np.sqrt(d2[rows, found.indices])
    np.testing.assert_allclose(found.distances, at_index, rtol=0, atol=TOLERANCE)
    assert (np.diff(found.distances, axis=1) >= 0).all()
    assert all(len(set(row)) == k for row in found.indices.tolist())
    if lowest:
        _check_lowest_of_ties(found.indices[:, 0], query, base, d2)


def _check_lowest_of_ties(found: np.ndarray, query, base, d2) -> None:
    """Each index is the lowest base row among those at the smallest exact distance (the
    squared differences summed in float64, equal within 1e-12 of each other)."""
    tied_rows = 0
    for i in range(len(query)):
        near = np.flatnonzero(d2[i] <= d2[i].min() + 1e-6)
        exact = ((base[near].astype(np.float64) - query[i].astype(np.float64)) ** 2).sum(1)
        lowest = near[exact <= exact.min() * (1 + 1e-12)].min()
        assert found[i] == lowest, (i, found[i], lowest)
        tied_rows += (exact <= exact.min() * (1 + 1e-12)).sum() > 1
    assert tied_rows > 0  # the tables hold ties: the rule was exercised


@pytest.mark.parametrize("k", [1, 32])
def test_plain_search(encoded, k):
    query, base, _ = encoded
    check(nearest(query, base, k, method="pruned"), query, base, k)


@pytest.mark.parametrize("k", [1, 32])
def test_cross_fitting_groups(encoded, k):
    query, base, _ = encoded
    rng = np.random.default_rng(3)
    query_groups = rng.integers(0, 5, len(query))
    base_groups = rng.integers(-1, 5, len(base))
    found = nearest(query, base, k, groups=(query_groups, base_groups), method="pruned")
    assert not (base_groups[found.indices] == query_groups[:, None]).any()
    check(found, query, base, k, query_groups, base_groups)


def test_without_the_row_itself(encoded):
    _, base, _ = encoded
    found = nearest(base, base, 1, skip_same_row=True, method="pruned")
    assert not (found.indices[:, 0] == np.arange(len(base))).any()
    rows = np.arange(len(base))
    check(found, base, base, 1, rows, rows)


def test_restricted_and_masked_bases_with_seeds(encoded):
    """Column attribution's and EDPB's searches: the base's cells restricted to, or masked
    outside, all columns but one; the masked search seeded with the full search's answer."""
    query, base, blocks = encoded
    prepared = prepare(base)
    for _, block in blocks[:4]:
        keep = np.setdiff1d(np.arange(base.shape[1]), np.arange(block.start, block.stop))
        narrow_query, narrow_base = np.ascontiguousarray(query[:, keep]), base[:, keep]
        found = nearest(narrow_query, narrow_base, 1, prepared=restricted(prepared, keep))
        check(found, narrow_query, narrow_base, 1)
        seeds = found.indices[:, 0]
        found = nearest(query, base, 1, prepared=masked(prepared, keep), seeds=seeds)
        check(found, narrow_query, narrow_base, 1)


def test_lowest_of_ties(encoded):
    """EDPB's searches: the lowest base row among the exactly nearest, plain, with groups, and
    on restricted and masked bases with seeds (a seed that is not the lowest must give way)."""
    query, base, blocks = encoded
    check(nearest(query, base, 1, lowest_of_ties=True), query, base, 1, lowest=True)
    rng = np.random.default_rng(3)
    query_groups, base_groups = rng.integers(0, 5, len(query)), rng.integers(-1, 5, len(base))
    check(nearest(query, base, 1, groups=(query_groups, base_groups), lowest_of_ties=True),
          query, base, 1, query_groups, base_groups, lowest=True)
    prepared = prepare(base)
    for _, block in blocks[:3]:
        keep = np.setdiff1d(np.arange(base.shape[1]), np.arange(block.start, block.stop))
        narrow_query, narrow_base = np.ascontiguousarray(query[:, keep]), base[:, keep]
        found = nearest(narrow_query, narrow_base, 1, prepared=restricted(prepared, keep),
                        lowest_of_ties=True)
        check(found, narrow_query, narrow_base, 1, lowest=True)
        highest = _highest_of_ties(narrow_query, narrow_base)
        found = nearest(query, base, 1, prepared=masked(prepared, keep), seeds=highest,
                        lowest_of_ties=True)
        check(found, narrow_query, narrow_base, 1, lowest=True)


def _highest_of_ties(query, base) -> np.ndarray:
    """Each query's highest base row among the exactly nearest: seeds the rule must overrule."""
    d2 = squared(query, base)
    return np.array([np.flatnonzero(row <= row.min() + 1e-9).max() for row in d2])
