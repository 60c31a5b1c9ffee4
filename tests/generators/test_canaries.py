"""Issue 16, part 5: canary records and the one-run bound on them (no whole audit here)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthcheck.generators.canaries import make_canaries, run_canaries
from synthcheck.inputs.columns import decide_types
from synthcheck.inputs.load import load_table
from synthcheck.measure.canary import CanaryResult
from tests.conftest import FIXTURES


@pytest.fixture(scope="module")
def train() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "adult_train.csv").drop(columns="person_id")


@pytest.fixture(scope="module")
def types(train):
    return decide_types(load_table(train, "train"), None)


def test_canaries_are_valid_rare_and_new(train, types):
    canaries = make_canaries(train, types, 300, np.random.default_rng(0))
    assert len(canaries) == 300 and list(canaries.columns) == list(train.columns)
    assert (canaries.dtypes == train.dtypes).all()
    for column in train.columns:  # every value is one train's column holds
        assert set(canaries[column].dropna()) <= set(train[column].dropna()), column
    rows = set(map(tuple, train.astype(str).to_numpy()))
    assert not any(tuple(r) in rows for r in canaries.astype(str).to_numpy())
    assert not canaries.astype(str).duplicated().any()
    numbers = [c for c in train.columns if pd.api.types.is_numeric_dtype(train[c])]
    extreme = np.mean([canaries[c].isin([train[c].min(), train[c].max()]).mean() for c in numbers])
    assert 0.4 < extreme < 0.7  # about half the cells, by a fair coin each


def _memoriser(frame: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    return frame.sample(rows, replace=True, random_state=seed).reset_index(drop=True)


def _marginals(frame: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({c: frame[c].to_numpy()[rng.integers(0, len(frame), rows)]
                         for c in frame.columns})


def test_a_memoriser_is_refuted_and_a_marginal_sampler_is_not(train, types):
    said = []
    found = run_canaries(_memoriser, train, types, 300, 1, np.random.default_rng(1), said.append)
    assert "canary audit" in said[0] and "300 canaries" in said[0]
    assert found.fitted_rows == len(train) + int(found.included.sum())
    memorised = CanaryResult(found.scores, found.included, None, 1)
    bound, attack = memorised.epsilon(0.99)
    assert bound > 1.0 and attack in ("distance", "exact-copy")
    assert memorised.ceiling(0.99) >= bound
    found = run_canaries(_marginals, train, types, 300, 1, np.random.default_rng(1), said.append)
    assert CanaryResult(found.scores, found.included, None, 1).epsilon(0.99)[0] < 1.0
