"""The mixed-type encoding: column contributions, missing values, unseen and rare levels."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthcheck.columns import CATEGORICAL, NUMERIC, ColumnTypes
from synthcheck.encode import MixedEncoder


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


def test_numeric_distance_is_the_distance_in_synthetic_quantiles(encoder):
    assert squared(encoder, {"x": 0.0, "c": "a"}, {"x": 99.0, "c": "a"}) == pytest.approx(0.99**2, rel=1e-3)
    # far outside the synthetic range costs no more than the range itself: robust to outliers
    assert squared(encoder, {"x": 0.0, "c": "a"}, {"x": 1e12, "c": "a"}) <= 1.0


def test_missing_values_are_explicit(encoder):
    both_missing = squared(encoder, {"x": np.nan, "c": None}, {"x": np.nan, "c": None})
    one_missing = squared(encoder, {"x": np.nan, "c": "a"}, {"x": 50.0, "c": "a"})
    assert both_missing == 0.0
    assert 0.8 <= one_missing <= 1.2


def test_high_cardinality_stays_bounded_and_distinct_values_stay_apart():
    levels = [f"v{i}" for i in range(5000)]
    types = ColumnTypes({"c": CATEGORICAL})
    encoder = MixedEncoder(types).fit(pd.DataFrame({"c": levels}))
    assert encoder.width <= 31 + 16
    rows = encoder.transform(pd.DataFrame({"c": levels[-200:]}))
    distances = ((rows[:, None, :] - rows[None, :, :]) ** 2).sum(-1)
    off_diagonal = distances[~np.eye(len(rows), dtype=bool)]
    # hashed vectors: distinct values are about 1 apart on average, rarely much closer
    assert np.quantile(off_diagonal, 0.01) > 0.3 and abs(off_diagonal.mean() - 1.0) < 0.1
    assert off_diagonal.min() > 0.0
