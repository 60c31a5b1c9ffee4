"""The mixed-type encoding: column contributions, missing values, unseen and rare levels."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthcheck.distance.encode import MixedEncoder
from synthcheck.inputs.columns import CATEGORICAL, NUMERIC, ColumnTypes


def squared(encoder, a: dict, b: dict) -> float:
    rows = encoder.transform(pd.DataFrame([a, b]))
    return float(((rows[0] - rows[1]) ** 2).sum())


@pytest.fixture
def encoder():
    types = ColumnTypes({"x": NUMERIC, "c": CATEGORICAL})
    synthetic = pd.DataFrame({"x": np.arange(100, dtype=float),
                              "c": ["a", "b", "c", "d"] * 25})
    return MixedEncoder(types).fit(synthetic, {"x", "c"})


def test_categorical_mismatch_costs_one_and_match_zero(encoder):
    assert squared(encoder, {"x": 5.0, "c": "a"}, {"x": 5.0, "c": "b"}) == pytest.approx(1.0)
    assert squared(encoder, {"x": 5.0, "c": "a"}, {"x": 5.0, "c": "a"}) == 0.0
    # a level the synthetic table never produced is still 1 away from every known level
    assert squared(encoder, {"x": 5.0, "c": "zzz"}, {"x": 5.0, "c": "a"}) == pytest.approx(1.0)


def test_numeric_distance_is_linear_in_synthetic_standard_deviations(encoder):
    sd = np.std(np.arange(100.0))
    # a random pair of values costs about what a categorical mismatch costs
    assert squared(encoder, {"x": 0.0, "c": "a"}, {"x": sd, "c": "a"}) == pytest.approx(0.5, rel=1e-4)
    # the same move costs the same anywhere, inside or outside the synthetic range
    inside = squared(encoder, {"x": 10.0, "c": "a"}, {"x": 12.0, "c": "a"})
    outside = squared(encoder, {"x": 1e4, "c": "a"}, {"x": 1e4 + 2.0, "c": "a"})
    assert inside == pytest.approx(outside, rel=1e-2)


def test_a_small_move_off_a_heavy_atom_stays_small():
    """A money column that is 0 for 90 % of rows: 0 -> 1 % of an sd is a near-copy. The 0.1
    encoding (mid-rank CDF) put it ~0.45 away, as far as a random pair of values."""
    rng = np.random.default_rng(0)
    money = np.where(rng.random(5000) < 0.9, 0.0, rng.lognormal(8, 1, 5000))
    encoder = MixedEncoder(ColumnTypes({"m": NUMERIC})).fit(pd.DataFrame({"m": money}))
    step = 0.01 * money.std()
    near = squared(encoder, {"m": 0.0}, {"m": step})
    assert near == pytest.approx(0.01**2 / 2, rel=1e-3)
    random_pairs = encoder.transform(pd.DataFrame({"m": money}))
    typical = float(((random_pairs[::2] - random_pairs[1::2]) ** 2).mean())
    assert 0.8 < typical < 1.2 and near < 1e-3 * typical


def test_a_constant_synthetic_column_is_equal_or_not():
    types = ColumnTypes({"d": NUMERIC})
    encoder = MixedEncoder(types).fit(pd.DataFrame({"d": [1.6e9] * 10}))
    assert squared(encoder, {"d": 1.6e9}, {"d": 1.6e9}) == 0.0
    assert squared(encoder, {"d": 1.6e9}, {"d": 1.6e9 + 86400}) == 1.0


def test_missing_values_are_explicit(encoder):
    both_missing = squared(encoder, {"x": np.nan, "c": None}, {"x": np.nan, "c": None})
    one_missing = squared(encoder, {"x": np.nan, "c": "a"}, {"x": 50.0, "c": "a"})
    assert both_missing == 0.0
    assert 0.8 <= one_missing <= 1.2


def test_small_tables_one_hot_every_level_so_mismatches_cost_exactly_one():
    levels = [f"v{i}" for i in range(2000)]
    encoder = MixedEncoder(ColumnTypes({"c": CATEGORICAL})).fit(pd.DataFrame({"c": levels}))
    rows = encoder.transform(pd.DataFrame({"c": levels[-50:]}))
    distances = ((rows[:, None, :] - rows[None, :, :]) ** 2).sum(-1)
    assert np.allclose(distances[~np.eye(len(rows), dtype=bool)], 1.0)


def test_high_cardinality_stays_bounded_and_distinct_values_stay_apart():
    from synthcheck.distance.encode import WIDTH_BUDGET

    levels = [f"v{i}" for i in range(5000)]
    rows_in_table = 200_000  # a large table: the width budget allows few one-hot slots
    types = ColumnTypes({"c": CATEGORICAL})
    encoder = MixedEncoder(types).fit(pd.DataFrame({"c": levels * (rows_in_table // 5000)}))
    assert encoder.width <= max(31 + 16, WIDTH_BUDGET // rows_in_table)
    rows = encoder.transform(pd.DataFrame({"c": levels[-200:]}))
    distances = ((rows[:, None, :] - rows[None, :, :]) ** 2).sum(-1)
    off_diagonal = distances[~np.eye(len(rows), dtype=bool)]
    # hashed vectors: distinct values are about 1 apart on average, rarely much closer
    assert np.quantile(off_diagonal, 0.01) > 0.3 and abs(off_diagonal.mean() - 1.0) < 0.1
    assert off_diagonal.min() > 0.0
