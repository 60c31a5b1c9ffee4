"""Singling out: predicates from the release, evaluated on whole tables at once."""
from __future__ import annotations

import numpy as np
import pandas as pd

from synthcheck.edpb.singling_out import (
    AT_LEAST,
    AT_MOST,
    EQUAL,
    UNUSED,
    Predicates,
    satisfied,
    singling_out,
    univariate_pool,
)
from tests.edpb.tables import tables_of

KINDS = {"income": "numeric", "city": "categorical"}


def frame(incomes, cities) -> pd.DataFrame:
    return pd.DataFrame({"income": np.asarray(incomes, dtype=float),
                         "city": pd.Series(cities, dtype=object)})


def test_missing_values_are_one_level_in_every_table():
    found = tables_of(frame([1, np.nan], ["a", None]), frame([np.nan, 2], [None, "b"]),
                      frame([3, 4], ["c", "a"]), KINDS)
    assert found.levels["synthetic"][1, 0] == found.levels["members"][0, 0]  # NaN == NaN
    assert found.levels["synthetic"][1, 1] == found.levels["members"][0, 1]  # None == None
    assert found.levels["synthetic"][0, 1] == found.levels["holdout"][1, 1]  # "a" == "a"
    assert found.levels["members"][1, 0] != found.levels["holdout"][0, 0]


def test_vectorised_evaluation_equals_a_loop_over_records():
    rng = np.random.default_rng(3)
    size = 60
    synthetic = frame(rng.integers(0, 8, size), rng.choice(list("abcd"), size))
    members = frame(rng.integers(0, 8, size), rng.choice(list("abcd"), size))
    tables = tables_of(synthetic, members, members, KINDS)
    predicates = Predicates(
        columns=rng.integers(0, 2, (40, 2)) * np.array([1, 0]) + np.array([0, 1]) * 0,
        operators=rng.integers(0, 3, (40, 2)).astype(np.int8),
        levels=tables.levels["members"][rng.integers(0, size, 40)][:, [0, 0]],
        values=rng.integers(0, 8, (40, 2)).astype(float), kind=np.zeros(40, np.int8))
    predicates.columns[::3, 1] = UNUSED
    counts, first = satisfied(tables, "members", predicates)
    levels, values = tables.levels["members"], tables.values["members"]
    for p in range(40):
        hold = np.ones(size, bool)
        for j in range(2):
            c = predicates.columns[p, j]
            if c == UNUSED:
                continue
            op, v = predicates.operators[p, j], predicates.values[p, j]
            hold &= {EQUAL: levels[:, c] == predicates.levels[p, j],
                     AT_LEAST: values[:, c] >= v, AT_MOST: values[:, c] <= v}[op]
        assert counts[p] == hold.sum()
        if hold.sum() == 1:
            assert first[p] == np.flatnonzero(hold)[0]


def test_univariate_predicates_are_values_held_once_and_unique_extremes():
    synthetic = frame([10, 20, 20, 30, 99], ["a", "a", "b", "b", "c"])
    tables = tables_of(synthetic, synthetic, synthetic, KINDS)
    pool = univariate_pool(tables)
    assert len(pool) == 3 + 1 + 2  # 10, 30, 99 once; "c" once; min 10, max 99
    ranges = pool.operators[:, 0] != EQUAL
    assert sorted(pool.values[ranges, 0]) == [10.0, 99.0]
    counts, _ = satisfied(tables, "synthetic", pool)
    assert (counts == 1).all()  # each isolates one release row


def test_a_copied_unique_value_singles_out_its_member_and_not_the_holdout():
    rng = np.random.default_rng(0)
    members = frame(rng.normal(50, 10, 300).round(1), rng.choice(list("abc"), 300))
    holdout = frame(rng.normal(50, 10, 300).round(1), rng.choice(list("abc"), 300))
    synthetic = members.copy()  # verbatim
    tables = tables_of(synthetic, members, holdout, KINDS)
    found, on_members, on_holdout = singling_out(
        tables, np.arange(300), np.arange(300), univariate=100, multivariate=100, width=2,
        generator=np.random.default_rng(1), confidence=0.95)
    assert found.attack_rate > 0.9 and found.control_rate < 0.5 and found.low > 0.5
    assert on_members.sum() == found.attack_successes and on_holdout.sum() == found.control_successes
    assert found.made["univariate"] == 100 and found.univariate is not None


def test_it_says_why_when_the_release_gives_fewer_predicates_than_asked():
    synthetic = frame([1, 1, 2, 2], ["a", "a", "b", "b"])
    tables = tables_of(synthetic, synthetic, synthetic, KINDS)
    found, _, _ = singling_out(tables, np.arange(4), np.arange(4), univariate=50,
                               multivariate=50, width=2, generator=np.random.default_rng(0),
                               confidence=0.95)
    assert found.made == {"univariate": 0, "multivariate": 0}
    assert "fewer than asked" in found.why_fewer
    assert found.multivariate is None and found.risk == 0.0


def test_multivariate_predicates_each_isolate_one_release_row_once():
    rng = np.random.default_rng(2)
    synthetic = frame(rng.integers(0, 50, 200), rng.choice(list("abcdefgh"), 200))
    synthetic["town"] = rng.choice(list("pqrstuvw"), 200)
    kinds = KINDS | {"town": "categorical"}
    tables = tables_of(synthetic, synthetic, synthetic, kinds)
    found, _, _ = singling_out(tables, np.arange(200), np.arange(200), univariate=0,
                               multivariate=30, width=2, generator=np.random.default_rng(0),
                               confidence=0.95)
    made = found.made["multivariate"]
    assert 0 < made <= 30 and found.multivariate.attacks == made
    assert (found.why_fewer is None) == (made == 30)
    assert found.attack_rate == 1.0  # asked of the release itself: each isolates one row


def test_levels_held_in_narrow_types_still_match_every_level():
    """``satisfied`` compares levels in the narrowest type that holds a column's levels in
    any table: a release level beyond every member's (and beyond int8) must still match
    only itself, not wrap around onto a member's level."""
    synthetic = frame(np.arange(1000, 1300), ["a"] * 300)
    members = frame(np.arange(0, 300), ["a"] * 300)
    tables = tables_of(synthetic, members, members, KINDS)
    assert tables.levels["synthetic"][:, 0].max() > 512
    wanted = tables.levels["synthetic"][[0, 299], 0]
    predicates = Predicates(columns=np.array([[0], [0], [1]]),
                            operators=np.full((3, 1), EQUAL, np.int8),
                            levels=np.array([[wanted[0]], [wanted[1]], [tables.levels[
                                "members"][0, 1]]]),
                            values=np.full((3, 1), np.nan), kind=np.zeros(3, np.int8))
    counts, _ = satisfied(tables, "members", predicates)
    assert counts.tolist() == [0, 0, 300]
    counts, first = satisfied(tables, "synthetic", predicates)
    assert counts.tolist() == [1, 1, 300] and first[:2].tolist() == [0, 299]


def test_chunks_on_threads_give_the_answers_of_one_chunk(monkeypatch):
    """Chunks of predicates run on the pool's threads; counts and first rows must be those of
    evaluating every predicate in one chunk."""
    import synthcheck.edpb.singling_out as module

    rng = np.random.default_rng(8)
    synthetic = frame(rng.integers(0, 30, 500), rng.choice(list("abcdef"), 500))
    tables = tables_of(synthetic, synthetic, synthetic, KINDS)
    predicates = module.multivariate_candidates(tables, 300, 2, rng)
    whole = satisfied(tables, "synthetic", predicates)
    monkeypatch.setattr(module, "CELLS_PER_CHUNK", 500 * 7)  # 43 chunks of 7 predicates
    chunked = satisfied(tables, "synthetic", predicates)
    np.testing.assert_array_equal(chunked[0], whole[0])
    np.testing.assert_array_equal(chunked[1], whole[1])
