"""The holdout-twins test (synthcheck.measure.twins): train records put into the holdout under
fresh ids are found, an honest split of a heavy-ties table is not flagged more than alpha."""
from __future__ import annotations

import numpy as np
import pandas as pd

from synthcheck.measure.twins import twin_test
from tests.conftest import FIXTURES

TIES = FIXTURES.parent / "synthcheck" / "demo_data" / "cps_ties.csv.gz"


def keys(frame: pd.DataFrame) -> np.ndarray:
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def test_no_shared_row_means_nothing_to_test(adult):
    train, holdout = (adult[p].drop(columns="person_id") for p in ("train", "holdout"))
    found = twin_test(keys(train), keys(holdout), np.random.default_rng(0))
    assert (found.holdout_with_twin, found.p_value, found.permutations) == (0, 1.0, 0)


def test_train_rows_planted_in_the_holdout_are_found(adult):
    train, holdout = (adult[p].drop(columns="person_id") for p in ("train", "holdout"))
    planted = holdout.copy()
    planted.iloc[:10] = train.iloc[100:110].to_numpy()
    found = twin_test(keys(train), keys(planted), np.random.default_rng(0))
    assert found.holdout_with_twin == 10 and found.train_with_twin == 0
    assert found.p_value <= 0.01 and found.excess > 0


def test_honest_splits_of_a_heavy_ties_table_are_rarely_flagged():
    rows = keys(pd.read_csv(TIES))
    p_values = []
    for seed in range(60):
        order = np.random.default_rng(seed).permutation(len(rows))[:3000]
        found = twin_test(rows[order[:1500]], rows[order[1500:]], np.random.default_rng(seed),
                          permutations=199)
        assert found.holdout_with_twin > 0  # the table has natural duplicates to test
        p_values.append(found.p_value)
    assert np.mean(np.array(p_values) <= 0.05) <= 0.1, sorted(p_values)[:8]
    # and the same planted rows on that table are found once there are enough of them
    order = np.random.default_rng(99).permutation(len(rows))[:3000]
    train, holdout = rows[order[:1500]], rows[order[1500:]].copy()
    holdout[:40] = train[:40]
    assert twin_test(train, holdout, np.random.default_rng(1)).p_value <= 0.01


def test_the_same_seed_gives_the_same_p_value(adult):
    train, holdout = (adult[p].drop(columns="person_id") for p in ("train", "holdout"))
    holdout = holdout.copy()
    holdout.iloc[:4] = train.iloc[:4].to_numpy()
    first, second = (twin_test(keys(train), keys(holdout), np.random.default_rng(7))
                     for _ in range(2))
    assert first == second
