"""Control generators: releases whose leakage is known, to check an audit setup end to end.

* ``NoisyCopies`` memorises its training rows and returns them with small noise on the numbers:
  a positive control, every attack should catch it.
* ``SampleFrom`` never looks at its training data and returns rows of another table (for
  example more holdout or population records): a negative control, no attack should beat
  chance.
* ``LaplaceMarginals`` is ε-differentially private (the textbook Laplace mechanism on one-way
  marginals over a public domain): no sound attack may report an ε lower bound above its ε.
* ``EmpiricalMarginals`` resamples each column from its training column, independently: no row
  is copied, yet every value it emits is a member's (what a bootstrap of the marginals does).

Releases that copy attribute values into strangers' rows, with no row near a member (positive
controls for the query-match attack): ``shuffled_columns`` (each column permuted on its own),
``stitched_rows`` (some columns from a member, the rest from another real record) and
``blanked_cells`` (training rows with a share of their cells made missing).

Use them as ``--generator synthcheck.generators.controls:NoisyCopies`` and so on, with their
parameters in ``--generator-params``.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd


def _read(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    return pd.read_parquet(path) if path.suffix.lower() in (".parquet", ".pq") else pd.read_csv(path)


def _is_number_column(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


class NoisyCopies:
    """Returns training rows (drawn at random) with numbers multiplied by 1 + noise * N(0, 1),
    rounded back for integer columns. Categorical values are copied unchanged."""

    def __init__(self, noise: float = 0.01, random_state: int | None = None):
        self.noise = noise
        self.random_state = random_state

    def fit(self, frame: pd.DataFrame) -> NoisyCopies:
        self.rows_ = frame.reset_index(drop=True)
        return self

    def sample(self, n: int) -> pd.DataFrame:
        rng = np.random.default_rng(self.random_state)
        picks = rng.choice(len(self.rows_), n, replace=n > len(self.rows_))
        out = self.rows_.iloc[picks].reset_index(drop=True)
        for name in out.columns:
            if _is_number_column(out[name]):
                values = out[name].to_numpy(dtype=float)
                noisy = values * (1.0 + self.noise * rng.standard_normal(n))
                integral = pd.api.types.is_integer_dtype(out[name]) or bool(
                    np.all(np.isnan(values) | (np.round(values) == values)))
                out[name] = np.round(noisy) if integral else noisy
        return out


class SampleFrom:
    """Ignores its training data; samples rows of the table at ``path`` (CSV or Parquet),
    without replacement while it can, keeping the columns it was fitted with."""

    def __init__(self, path: str, random_state: int | None = None):
        self.path = path
        self.random_state = random_state

    def fit(self, frame: pd.DataFrame) -> SampleFrom:
        self.columns_ = list(frame.columns)
        self.source_ = _read(self.path)[self.columns_]
        return self

    def sample(self, n: int) -> pd.DataFrame:
        rng = np.random.default_rng(self.random_state)
        picks = rng.choice(len(self.source_), n, replace=n > len(self.source_))
        return self.source_.iloc[picks].reset_index(drop=True)


class LaplaceMarginals:
    """ε-DP synthetic data from independent one-way marginals (the Laplace mechanism).

    The domain is public: categorical levels and numeric bin edges (quantiles) come from the
    table at ``public`` (records that are not the private ones, e.g. a population sample), plus
    a "missing" cell per column. For each of the d columns the private histogram over that
    domain gets Laplace noise of scale d / ε (one record changes each histogram by 1 in one
    cell, so each is ε/d-DP and together ε-DP by basic composition, for add/remove-one
    neighbours; 2ε for replace-one). Private values outside the public domain are not counted.
    Sampling draws each column independently from its clipped, normalised noisy histogram
    (numbers uniform within their bin): post-processing, so the release is ε-DP.
    """

    def __init__(self, epsilon: float, public: str, bins: int = 16,
                 random_state: int | None = None):
        if not epsilon > 0:
            raise ValueError("epsilon must be positive")
        self.epsilon = float(epsilon)
        self.public = public
        self.bins = int(bins)
        self.random_state = random_state

    def fit(self, frame: pd.DataFrame) -> LaplaceMarginals:
        rng = np.random.default_rng(self.random_state)
        public = _read(self.public)
        scale = len(frame.columns) / self.epsilon
        self.columns_ = list(frame.columns)
        self.marginals_ = {}
        for name in self.columns_:
            domain = public[name]
            private = frame[name]
            if _is_number_column(domain):
                present = domain.dropna().to_numpy(dtype=float)
                edges = np.unique(np.quantile(present, np.linspace(0, 1, self.bins + 1)))
                if len(edges) == 1:
                    edges = np.array([edges[0], edges[0]])
                values = pd.to_numeric(private, errors="coerce").to_numpy(dtype=float)
                cell = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, len(edges) - 2)
                cells = len(edges) - 1
                inside = (values >= edges[0]) & (values <= edges[-1])
                counts = np.bincount(cell[inside], minlength=cells).astype(float)
                missing = float(np.isnan(values).sum())
                integral = bool(np.all(np.round(present) == present))
                kind = ("number", edges, integral)
            else:
                levels = sorted(domain.dropna().astype(str).unique())
                index = {level: i for i, level in enumerate(levels)}
                codes = private.dropna().astype(str).map(index).dropna().astype(int)
                counts = np.bincount(codes.to_numpy(), minlength=len(levels)).astype(float)
                missing = float(private.isna().sum())
                kind = ("category", np.array(levels, dtype=object), False)
            noisy = np.append(counts, missing) + rng.laplace(0.0, scale, len(counts) + 1)
            noisy = np.clip(noisy, 0.0, None)
            total = noisy.sum()
            probabilities = noisy / total if total > 0 else np.full(len(noisy), 1 / len(noisy))
            self.marginals_[name] = (kind, probabilities)
        return self

    def sample(self, n: int) -> pd.DataFrame:
        rng = np.random.default_rng(None if self.random_state is None else self.random_state + 1)
        out = {}
        for name in self.columns_:
            (what, domain, integral), probabilities = self.marginals_[name]
            cell = rng.choice(len(probabilities), n, p=probabilities)
            missing = cell == len(probabilities) - 1
            if what == "number":
                cell = np.minimum(cell, len(domain) - 2)
                values = rng.uniform(domain[cell], domain[cell + 1])
                if integral:
                    values = np.round(values)
                out[name] = np.where(missing, np.nan, values)
            else:
                values = domain[np.minimum(cell, len(domain) - 1)].astype(object)
                values[missing] = None
                out[name] = values
        return pd.DataFrame(out)


class EmpiricalMarginals:
    """Each column drawn with replacement from the training column, independently of the
    others: every emitted value is some member's, no emitted row is anyone's."""

    def __init__(self, random_state: int | None = None):
        self.random_state = random_state

    def fit(self, frame: pd.DataFrame) -> EmpiricalMarginals:
        self.rows_ = frame.reset_index(drop=True)
        return self

    def sample(self, n: int) -> pd.DataFrame:
        rng = np.random.default_rng(self.random_state)
        return pd.DataFrame({name: self.rows_[name].to_numpy()[rng.integers(0, len(self.rows_), n)]
                             for name in self.rows_.columns})


def shuffled_columns(train: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The training table with every column permuted independently: each value copied once,
    rows broken apart."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({name: train[name].to_numpy()[rng.permutation(len(train))]
                         for name in train.columns})


def stitched_rows(train: pd.DataFrame, other: pd.DataFrame, columns: list[str], seed: int
                  ) -> pd.DataFrame:
    """One row per member: ``columns`` copied from the member, the rest from a row of
    ``other`` (real records that are not members), rows shuffled."""
    rng = np.random.default_rng(seed)
    donors = other.iloc[rng.choice(len(other), len(train), replace=len(other) < len(train))]
    out = donors.reset_index(drop=True).copy()
    for name in columns:
        out[name] = train[name].to_numpy()
    return out.iloc[rng.permutation(len(out))].reset_index(drop=True)


def blanked_cells(train: pd.DataFrame, share: float, seed: int,
                  keep: tuple[str, ...] = ()) -> pd.DataFrame:
    """The training rows with ``share`` of each row's cells made missing (a random choice per
    row; ``keep`` columns, such as an id, are never blanked)."""
    rng = np.random.default_rng(seed)
    out = train.reset_index(drop=True).astype(object)
    blankable = [c for c in out.columns if c not in keep]
    count = round(share * len(blankable))
    mask = np.argsort(rng.random((len(out), len(blankable))), axis=1) < count
    for position, name in enumerate(blankable):
        column = out[name].to_numpy(copy=True)
        column[mask[:, position]] = None
        out[name] = column
    return out.infer_objects()
