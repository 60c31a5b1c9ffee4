"""A mixed-type encoding, fitted on the synthetic table only.

Fitting on the synthetic table keeps the one rule: no real record shapes the encoding, so no
candidate's own values leak into the distances that score it.

In the encoded space squared Euclidean distance is a sum over columns, each contributing at
most about 1:

* numeric (and datetime, boolean): the value minus the synthetic table's mean, divided by
  sqrt(2) x its standard deviation, so two random values differ by about 1, like a categorical
  mismatch. Linear, so a small move costs little wherever the value sits: next to a heavy atom
  (a money column that is 0 for most rows, a carat of exactly 0.30), between whole numbers, in
  the tails. (0.1 used mid-rank CDF positions: a move off a heavy atom cost up to half the
  atom's mass, and on sparse-money and heavy-atom tables a 10 % near-copy leak went unseen;
  benchmarks/STRENGTH.md has the measurements that chose this.) Missing values sit at the mean
  with an indicator coordinate, so "present vs missing" costs at least 1 and "missing vs
  missing" 0.
* categorical: mismatch distance. The most frequent levels (in the synthetic table) are one-hot
  scaled by 1/sqrt(2), so a mismatch costs exactly 1. How many levels get a slot is set by a
  memory budget (``WIDTH_BUDGET`` encoded cells per table row count, at least
  ``MAX_ONE_HOT_LEVELS`` per column): small tables one-hot every level, so a release that
  reproduces rare values (a crash case id, an employer title) is measured exactly; large ones
  keep the 31 most frequent. Rarer or unseen levels get a deterministic pseudo-random vector
  (from a hash of the text) in a small block, so memory stays bounded while distinct values
  stay about 1 apart (but only about: the hashed distance of two rare levels varies by ~0.25,
  which on nassCDS hid a CART release's reproduced case ids, benchmarks/STRENGTH.md).
  Missing is a level of its own.

``ordinal`` gives a compact per-column view (CDF positions and integer codes) for tree models,
which only need the order of values.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from synthcheck.inputs.columns import CATEGORICAL, ColumnTypes

MISSING_LEVEL = "\x00missing"
MAX_ONE_HOT_LEVELS = 31  # per column, whatever the budget
WIDTH_BUDGET = 2**24  # encoded cells (float32) per table: width <= this / synthetic rows
ORDINAL_LEVELS = 254  # category codes for the trees (HistGradientBoosting: < 255 bins)
RARE_BLOCK_DIMENSIONS = 16
SPREAD_FACTOR = np.sqrt(2.0)  # x the sd: a random pair of values differs by ~1 in expectation


def _rare_vector(level: str) -> np.ndarray:
    seed = int.from_bytes(hashlib.blake2b(level.encode("utf-8"), digest_size=8).digest(), "little")
    vector = np.random.default_rng(seed).standard_normal(RARE_BLOCK_DIMENSIONS)
    return vector / np.linalg.norm(vector) * np.sqrt(0.5)


@dataclass
class _NumericCode:
    name: str
    grid: np.ndarray  # sorted distinct synthetic values (for ``ordinal``)
    cdf: np.ndarray  # their mid-rank CDF positions in [0, 1]
    centre: float  # the synthetic mean
    scale: float | None  # SPREAD_FACTOR x the synthetic sd; None: constant, equal or not
    with_missing: bool

    @property
    def width(self) -> int:
        return 1 + int(self.with_missing)

    def positions(self, values: np.ndarray) -> np.ndarray:
        if len(self.grid) == 1:  # a constant column: equal or not
            return np.where(values == self.grid[0], 0.0, 1.0)
        return np.interp(values, self.grid, self.cdf)

    def encode(self, values: np.ndarray, out: np.ndarray) -> None:
        missing = np.isnan(values)
        if self.scale is None:  # a constant column has no spread to scale by: equal or not
            position = (values != self.centre).astype(np.float64)
        else:
            position = (values - self.centre) / self.scale
        out[:, 0] = np.where(missing, 0.0, position)
        if self.with_missing:
            out[:, 1] = missing


@dataclass
class _CategoricalCode:
    name: str
    frequent: dict[str, int]  # level -> one-hot slot
    rare_block: bool  # many levels: hashed vectors; otherwise one shared "unseen level" slot

    @property
    def width(self) -> int:
        return len(self.frequent) + (RARE_BLOCK_DIMENSIONS if self.rare_block else 1)

    def codes(self, texts: pd.Series) -> np.ndarray:
        """Integer code per value: its one-hot slot, ``ORDINAL_LEVELS`` for any level beyond
        (rare, unseen, or a slot past that many)."""
        filled = texts.fillna(MISSING_LEVEL)
        slots = filled.map(self.frequent).fillna(ORDINAL_LEVELS).to_numpy(dtype=np.int64)
        return np.minimum(slots, ORDINAL_LEVELS)

    def encode(self, texts: pd.Series, out: np.ndarray) -> None:
        filled = texts.fillna(MISSING_LEVEL).to_numpy(dtype=object)
        # each distinct value once (a hash pass: sorting the texts took most of the time);
        # a row's vector depends on its own text only, so the order of the levels is free
        inverse, distinct = pd.factorize(filled, use_na_sentinel=False)
        uniques = np.asarray(distinct, dtype=object).astype(str)
        table = np.zeros((len(uniques), self.width), dtype=np.float32)
        for row, level in enumerate(uniques):
            slot = self.frequent.get(level)
            if slot is not None:
                table[row, slot] = np.sqrt(0.5)
            elif self.rare_block:
                table[row, len(self.frequent):] = _rare_vector(level)
            else:
                table[row, len(self.frequent)] = np.sqrt(0.5)
        out[:, :] = table[inverse]


@dataclass
class MixedEncoder:
    """Fit on the synthetic table; transform any table with the same audited columns."""

    types: ColumnTypes
    max_one_hot_levels: int = MAX_ONE_HOT_LEVELS
    _codes: list = field(default_factory=list, init=False, repr=False)

    def fit(self, synthetic: pd.DataFrame, missing_columns: set[str] | None = None) -> MixedEncoder:
        """``missing_columns``: columns with missing values in *any* input, so each gets an
        indicator coordinate even if the synthetic table has no gaps (a layout choice only)."""
        missing_columns = set(missing_columns or ())
        self._codes = []
        levels = {name: self._ordered_levels(synthetic[name])
                  for name, kind in self.types.kinds.items() if kind == CATEGORICAL}
        slots = self._one_hot_slots(levels, len(synthetic))
        for name, kind in self.types.kinds.items():
            column = synthetic[name]
            if kind == CATEGORICAL:
                frequent = levels[name][: slots[name]]
                rare = len(levels[name]) > len(frequent)
                self._codes.append(_CategoricalCode(name, {lv: i for i, lv in enumerate(frequent)},
                                                    rare))
            else:
                values = column.to_numpy(dtype=np.float64)
                finite = values[np.isfinite(values)]
                if finite.size == 0:
                    finite = np.array([0.0])
                grid, counts = np.unique(finite, return_counts=True)
                cumulative = np.cumsum(counts)
                cdf = (cumulative - counts / 2.0) / cumulative[-1]
                spread = float(np.std(finite))
                scale = SPREAD_FACTOR * spread if spread > 0 else None
                has_missing = name in missing_columns or bool(np.isnan(values).any())
                self._codes.append(_NumericCode(name, grid, cdf, float(np.mean(finite)), scale,
                                                has_missing))
        return self

    @staticmethod
    def _ordered_levels(column: pd.Series) -> list[str]:
        counts = column.fillna(MISSING_LEVEL).value_counts()
        return [level for level, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]

    def _one_hot_slots(self, levels: dict[str, list[str]], rows: int) -> dict[str, int]:
        """One-hot slots per categorical column: the width budget left after the other columns
        (two cells each at most), shared out from the column with fewest levels up, each column
        at least ``max_one_hot_levels``."""
        budget = WIDTH_BUDGET // max(rows, 1) - 2 * (len(self.types.kinds) - len(levels))
        slots = {}
        for k, name in enumerate(sorted(levels, key=lambda n: (len(levels[n]), n))):
            share = budget // (len(levels) - k)
            if len(levels[name]) <= max(self.max_one_hot_levels, share - 1):
                take = len(levels[name])  # every level one-hot (+1 slot for unseen ones)
            else:
                take = max(self.max_one_hot_levels, share - RARE_BLOCK_DIMENSIONS)
            slots[name] = take
            budget -= take + (RARE_BLOCK_DIMENSIONS if take < len(levels[name]) else 1)
        return slots

    @property
    def width(self) -> int:
        return sum(code.width for code in self._codes)

    def column_blocks(self) -> list[tuple[str, slice]]:
        """Each audited column and the slice of the encoding it fills, in encoding order: the
        squared distance is the sum of its columns' blocks, so leaving a column out of a
        distance is subtracting its block (column attribution, record reasons)."""
        blocks, start = [], 0
        for code in self._codes:
            blocks.append((code.name, slice(start, start + code.width)))
            start += code.width
        return blocks

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """Dense float32 encoding for distances (rows x width)."""
        out = np.empty((len(frame), self.width), dtype=np.float32)
        start = 0
        for code in self._codes:
            block = np.empty((len(frame), code.width), dtype=np.float32)
            if isinstance(code, _NumericCode):
                code.encode(frame[code.name].to_numpy(dtype=np.float64), block)
            else:
                code.encode(frame[code.name], block)
            out[:, start:start + code.width] = block
            start += code.width
        return out

    def ordinal(self, frame: pd.DataFrame) -> tuple[np.ndarray, list[bool]]:
        """One column per audited column (CDF position or category code), and which are
        categorical: a compact view for gradient-boosted trees. Missing numerics stay NaN."""
        columns, categorical = [], []
        for code in self._codes:
            if isinstance(code, _NumericCode):
                values = frame[code.name].to_numpy(dtype=np.float64)
                position = code.positions(np.nan_to_num(values, nan=code.grid[0]))
                columns.append(np.where(np.isnan(values), np.nan, position))
                categorical.append(False)
            else:
                columns.append(code.codes(frame[code.name]).astype(np.float64))
                categorical.append(True)
        return np.column_stack(columns).astype(np.float32), categorical
