"""Benchmark inputs: the Adult census table upsampled with noise to any size.

Adult has 48,842 rows; larger tables are made by drawing rows with replacement and jittering
them (numbers by a few percent, 2 % of categorical cells redrawn from the column's marginal),
so rows are distinct and the tables behave like one population. Train, holdout and an "ideal"
synthetic table are independent draws from that population: no membership signal, except the
one a release puts there on purpose (``leaky_release``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from synthcheck.support.randomness import rng as rng_for

ADULT = Path(__file__).resolve().parent / "data" / "adult.csv.gz"  # see make_data.py
NUMERIC_JITTER = {"age": 0.03, "fnlwgt": 0.05, "education-num": 0.0, "capital_gain": 0.05,
                  "capital_loss": 0.05, "hours_per_week": 0.05}
CATEGORY_REDRAW = 0.02


def adult(path: Path = ADULT) -> pd.DataFrame:
    frame = pd.read_csv(path, skipinitialspace=True)
    return frame.dropna().reset_index(drop=True)


def jitter(rows: pd.DataFrame, rng: np.random.Generator, scale: float = 1.0,
           marginals: pd.DataFrame | None = None) -> pd.DataFrame:
    """Small noise on every row: numbers multiplied by exp(N(0, s)), a few categories redrawn."""
    out = rows.copy()
    marginals = rows if marginals is None else marginals
    for column in out.columns:
        if column in NUMERIC_JITTER:
            sigma = NUMERIC_JITTER[column] * scale
            if sigma:
                values = out[column].to_numpy(dtype=np.float64)
                out[column] = np.round(values * np.exp(rng.normal(0, sigma, len(out)))).astype(np.int64)
        elif out[column].dtype == object:
            redraw = rng.random(len(out)) < CATEGORY_REDRAW * scale
            pool = marginals[column].to_numpy()
            values = out[column].to_numpy(copy=True)
            values[redraw] = pool[rng.integers(0, len(pool), int(redraw.sum()))]
            out[column] = values
    return out


def population_sample(rows: int, seed: int, base: pd.DataFrame | None = None) -> pd.DataFrame:
    """``rows`` draws from the upsampled Adult population."""
    base = adult() if base is None else base
    rng = np.random.default_rng(seed)
    drawn = base.iloc[rng.integers(0, len(base), rows)].reset_index(drop=True)
    return jitter(drawn, rng, marginals=base)


def split(rows: int, seed: int = 0, base: pd.DataFrame | None = None
          ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(train, holdout, ideal synthetic), ``rows`` each, independent population draws.
    Holdout rows identical to a train row are redrawn (the audit refuses overlaps)."""
    base = adult() if base is None else base
    train = population_sample(rows, seed * 3 + 1, base)
    holdout = population_sample(rows, seed * 3 + 2, base)
    seen = set(pd.util.hash_pandas_object(train, index=False))
    clash = pd.util.hash_pandas_object(holdout, index=False).isin(seen).to_numpy()
    if clash.any():
        holdout = holdout[~clash]
        extra = population_sample(int(clash.sum()) * 2 + 10, seed * 3 + 4, base)
        extra = extra[~pd.util.hash_pandas_object(extra, index=False).isin(seen).to_numpy()]
        holdout = pd.concat([holdout, extra.head(rows - len(holdout))], ignore_index=True)
    synthetic = population_sample(rows, seed * 3 + 3, base)
    return train, holdout, synthetic


def leaky_release(train: pd.DataFrame, synthetic: pd.DataFrame, fraction: float = 0.1,
                  seed: int = 0) -> pd.DataFrame:
    """A control release that leaks: ``fraction`` of its rows are near-copies of train rows
    (numbers moved by ~0.5 %, categories kept), the rest is the given synthetic table."""
    rng = rng_for(seed, "benchmark-leak")
    copies = int(round(fraction * len(synthetic)))
    picked = train.iloc[rng.choice(len(train), copies, replace=False)].reset_index(drop=True)
    near = picked.copy()
    for column, sigma in NUMERIC_JITTER.items():
        if sigma and column in near:
            values = near[column].to_numpy(dtype=np.float64)
            near[column] = np.round(values * np.exp(rng.normal(0, 0.005, len(near)))).astype(np.int64)
    keep = synthetic.iloc[rng.permutation(len(synthetic))[: len(synthetic) - copies]]
    out = pd.concat([keep, near], ignore_index=True)
    return out.iloc[rng.permutation(len(out))].reset_index(drop=True)
