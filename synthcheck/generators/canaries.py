"""The canary audit (issue 16): records a generator is most likely to memorise, each put into a
copy of the training data by an independent fair coin, one more fit of the generator on that
copy, and the canaries scored against its sample.

The one-run theorem of Steinke, Nasr & Jagielski (2023) needs exactly this: candidates whose
membership is decided by independent fair coins *by the auditor*. The release being certified
cannot give it (its training set was chosen by the vendor), so the canary fit is a fit of its
own, never the release, and its bound is on the generator (the training procedure), not on the
release.

Design of a canary (``make_canaries``): a random train row in which each audited column is, by
a fair coin, replaced by a value the generator is least likely to produce on its own: a number
at the column's observed minimum or maximum (valid: seen in train, extreme), a category among
the column's rarest observed values (valid: seen, rare). Each canary is therefore a rare but
valid combination, within the column types (values are taken from train's own column, so
dtypes, precision and categories stay valid). Columns left out of the audit (and the id
column) keep the base row's value. Canaries equal to a train row or to each other are redrawn.

Scoring (``score_canaries``): two attacks, fixed in advance, combined by Bonferroni in the
bound: "distance" (minus the distance from the canary to its nearest sampled row: numbers
scaled by train's standard deviation, categories 0/1 per column, summed over the audited
columns) and "exact-copy" (1 when a sampled row equals the canary on every audited column).
Canary values never leave this module: only scores and counts do.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from synthcheck.inputs.columns import ColumnTypes

#: allowed number of canaries (``--canaries``): below 20 the one-run bound cannot show anything
#: at any level the verdict reads; above 10,000 the training copy would be mostly canaries for
#: typical tables
CANARY_RANGE = (20, 10_000)
#: the canary attacks, in the order their bounds are computed
CANARY_ATTACKS = ("distance", "exact-copy")
#: rarest values a categorical canary cell is drawn from: the least frequent share of a column's
#: distinct values (at least one)
RARE_SHARE = 0.1


@dataclass(frozen=True)
class CanaryScores:
    """Each canary attack's scores (higher: more likely included), and which canaries were
    included in the canary fit's training data (independent fair coins)."""

    scores: dict[str, np.ndarray]
    included: np.ndarray
    fitted_rows: int  # rows of the canary fit's training data (train plus included canaries)
    sampled_rows: int


def _audited(types: ColumnTypes, frame: pd.DataFrame) -> list[str]:
    return [c for c in types.columns if c in frame.columns]


def _is_number(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def _rare_values(column: pd.Series) -> np.ndarray:
    counts = column.dropna().value_counts(sort=True, ascending=True)
    if counts.empty:
        return column.to_numpy()[:1]
    keep = max(1, int(np.ceil(RARE_SHARE * len(counts))))
    return counts.index.to_numpy()[:keep]


def make_canaries(train: pd.DataFrame, types: ColumnTypes, count: int,
                  rng: np.random.Generator) -> pd.DataFrame:
    """``count`` canary rows with train's columns and dtypes (see the module's docstring)."""
    columns = _audited(types, train)
    extremes, rare = {}, {}
    for name in columns:
        column = train[name]
        if _is_number(column) and column.notna().any():
            extremes[name] = (column.min(), column.max())
        else:
            rare[name] = _rare_values(column)
    seen = set(pd.util.hash_pandas_object(train[columns], index=False).to_numpy().tolist())
    rows, hashes = [], set()
    for _ in range(50):  # redraw duplicates; rarely more than one round
        wanted = count - len(rows)
        if wanted <= 0:
            break
        batch = train.iloc[rng.integers(0, len(train), wanted)].reset_index(drop=True).copy()
        for name in columns:
            change = rng.random(wanted) < 0.5
            if not change.any():
                continue
            if name in extremes:
                low, high = extremes[name]
                values = np.where(rng.random(int(change.sum())) < 0.5, low, high)
            else:
                values = rng.choice(rare[name], int(change.sum()))
            column = batch[name].astype(object)
            column[change] = values
            batch[name] = column.astype(train[name].dtype) if _castable(column, train[name]) \
                else column
        keys = pd.util.hash_pandas_object(batch[columns], index=False).to_numpy().tolist()
        for position, key in enumerate(keys):
            if key not in seen and key not in hashes:
                hashes.add(key)
                rows.append(batch.iloc[position])
    if len(rows) < count:
        from synthcheck.errors import InputError

        raise InputError(f"only {len(rows)} distinct canaries could be made from this table "
                         f"({count} asked); use fewer", parameter="canaries")
    return pd.DataFrame(rows[:count]).reset_index(drop=True)


def _castable(column: pd.Series, like: pd.Series) -> bool:
    try:
        column.astype(like.dtype)
    except (TypeError, ValueError):
        return False
    return True


def _distances(canaries: pd.DataFrame, sample: pd.DataFrame, train: pd.DataFrame,
               columns: list[str]) -> np.ndarray:
    """Distance from each canary to its nearest sampled row (numbers over train's sd, missing
    against a value 1, categories 0/1), in blocks so memory stays bounded."""
    nearest = np.full(len(canaries), np.inf)
    numeric = [c for c in columns if _is_number(train[c])]
    other = [c for c in columns if c not in numeric]
    scale = {c: float(train[c].std()) or 1.0 for c in numeric}
    codes = {}
    for name in other:  # shared codes for the canaries' and the sample's values
        both = pd.concat([canaries[name], sample[name]], ignore_index=True).astype(str)
        codes[name] = pd.factorize(both)[0]
    block = max(1, 2_000_000 // max(len(sample), 1))
    for start in range(0, len(canaries), block):
        stop = min(start + block, len(canaries))
        total = np.zeros((stop - start, len(sample)))
        for name in numeric:
            a = pd.to_numeric(canaries[name].iloc[start:stop], errors="coerce").to_numpy(float)
            b = pd.to_numeric(sample[name], errors="coerce").to_numpy(float)
            diff = np.abs(a[:, None] - b[None, :]) / scale[name]
            both_missing = np.isnan(a)[:, None] & np.isnan(b)[None, :]
            total += np.where(both_missing, 0.0, np.nan_to_num(diff, nan=1.0))
        for name in other:
            a = codes[name][start:stop]
            b = codes[name][len(canaries):]
            total += a[:, None] != b[None, :]
        nearest[start:stop] = total.min(axis=1)
    return nearest


def score_canaries(canaries: pd.DataFrame, sample: pd.DataFrame, train: pd.DataFrame,
                   types: ColumnTypes) -> dict[str, np.ndarray]:
    """Each canary attack's scores (see the module's docstring)."""
    columns = _audited(types, train)
    nearest = _distances(canaries, sample, train, columns)
    return {"distance": -nearest, "exact-copy": (nearest == 0.0).astype(float)}


def run_canaries(fit_and_sample: Callable[[pd.DataFrame, int, int], pd.DataFrame],
                 train: pd.DataFrame, types: ColumnTypes, count: int, seed: int,
                 rng: np.random.Generator, log: Callable[[str], None]) -> CanaryScores:
    """Make ``count`` canaries, include each in a copy of ``train`` by a fair coin, fit the
    generator once on it (``fit_and_sample(training, rows, seed)``), and score the canaries
    against its sample (as many rows as the copy has)."""
    canaries = make_canaries(train, types, count, rng)
    included = rng.random(count) < 0.5
    training = pd.concat([train, canaries[included]], ignore_index=True)
    training = training.iloc[rng.permutation(len(training))].reset_index(drop=True)
    log(f"canary audit: fitting the generator once more on train plus {int(included.sum())} "
        f"of {count} canaries ({len(training)} rows) ...")
    sample = fit_and_sample(training, len(training), seed)
    scores = score_canaries(canaries, sample, train, types)
    return CanaryScores(scores=scores, included=included, fitted_rows=len(training),
                        sampled_rows=len(sample))
