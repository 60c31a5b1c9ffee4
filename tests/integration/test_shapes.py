"""The engine on table shapes other than adult's: dates, booleans, heavy-tailed money,
high-cardinality and id-like text, a wide all-numeric table, and SDV metadata."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import synthcheck

pytestmark = [pytest.mark.slow,  # whole audits (the quick loop is -m 'not slow')
              pytest.mark.usefixtures("verdict_only")]  # verdicts only: no owner's extras


def with_messy_columns(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """adult plus the column kinds real tables have, derived from the row (so near-copies of a
    row stay near) with per-row noise."""
    rng = np.random.default_rng(seed)
    out = frame.copy()
    days = (frame["fnlwgt"].to_numpy() % 3650).astype(int)
    out["signup_date"] = (pd.Timestamp("2015-01-01") + pd.to_timedelta(days, unit="D")).strftime("%Y-%m-%d")
    out["is_active"] = np.where(frame["hours_per_week"] >= 40, "true", "false")
    out["balance"] = np.round(np.exp(8 + 0.02 * frame["age"].to_numpy() + rng.standard_normal(len(frame)) * 1.5), 2)
    out["zip_code"] = [f"Z{(v * 7919) % 1200:04d}" for v in frame["fnlwgt"]]
    out["transaction_ref"] = [f"T{seed}-{i}-{rng.integers(1e9)}" for i in range(len(frame))]
    return out


@pytest.fixture(scope="module")
def messy(adult):
    return {part: with_messy_columns(adult[part], seed) for seed, part in
            enumerate(["train", "holdout", "population"])}


def test_column_kinds_are_inferred_and_id_like_text_is_left_out(messy):
    result = synthcheck.audit(messy["train"], messy["holdout"], synthetic=messy["population"],
                              id_column="person_id", attacks=["dcr"])
    kinds = result.document["inputs"]["column_types"]
    assert kinds["signup_date"] == "datetime"
    assert kinds["is_active"] == "boolean"
    assert kinds["balance"] == "numeric"
    assert kinds["zip_code"] == "categorical"
    assert "transaction_ref" in result.document["inputs"]["excluded_columns"]


def test_messy_table_negative_control_passes_and_copies_fail(messy):
    clean = synthcheck.audit(messy["train"], messy["holdout"], synthetic=messy["population"],
                             id_column="person_id", seed=1)
    assert clean.verdict == "PASS"
    copies = messy["train"].sample(frac=1, random_state=0).reset_index(drop=True)
    copies["balance"] = copies["balance"] * 1.001
    copies["transaction_ref"] = [f"X{i}" for i in range(len(copies))]
    copies["person_id"] = [f"S{i}" for i in range(len(copies))]
    leaky = synthcheck.audit(messy["train"], messy["holdout"], synthetic=copies,
                             id_column="person_id", seed=1)
    assert leaky.document["attacks"]["dcr"]["auc"]["value"] > 0.95
    assert leaky.verdict == "FAIL"


def test_sdv_metadata_sets_types_and_primary_key(messy, tmp_path):
    metadata = {"METADATA_SPEC_VERSION": "V1", "tables": {"people": {
        "primary_key": "person_id",
        "columns": {"person_id": {"sdtype": "id"}, "education-num": {"sdtype": "categorical"},
                    "signup_date": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"},
                    "transaction_ref": {"sdtype": "id"}}}}}
    path = tmp_path / "metadata.json"
    path.write_text(json.dumps(metadata))
    result = synthcheck.audit(messy["train"], messy["holdout"], synthetic=messy["population"],
                              metadata=path, attacks=["dcr"])
    assert result.document["inputs"]["id_column"] == "person_id"
    assert result.document["inputs"]["column_types"]["education-num"] == "categorical"
    assert result.document["inputs"]["column_types"]["signup_date"] == "datetime"
    assert result.records["id"].iloc[0].startswith("P")


def test_wide_numeric_table():
    """sklearn's bundled breast-cancer table: 30 numeric columns, 569 rows."""
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame
    shuffled = frame.sample(frac=1, random_state=0).reset_index(drop=True)
    train, holdout, population = shuffled.iloc[:190], shuffled.iloc[190:380], shuffled.iloc[380:]
    clean = synthcheck.audit(train, holdout, synthetic=population, seed=0)
    for attack in clean.document["attacks"].values():
        bounds = attack["verdict_bounds"]["auc"]
        assert bounds["low"] <= 0.5 <= bounds["high"]
    assert clean.verdict == "INCONCLUSIVE"  # 190 non-members cannot measure TPR at FPR 0.1 %
    noisy = train * (1 + 0.001 * np.random.default_rng(0).standard_normal(train.shape))
    leaky = synthcheck.audit(train, holdout, synthetic=noisy, seed=0)
    assert leaky.document["attacks"]["dcr"]["auc"]["value"] > 0.95
    assert leaky.verdict == "FAIL"
