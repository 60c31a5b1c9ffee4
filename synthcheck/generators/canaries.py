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

Sampling: the canary fit is sampled ``SAMPLE_FACTOR`` times as many rows as it was fitted on
(at most ``SAMPLE_CAP``, never fewer than the fitted rows). More rows give a generator that
keeps parts of its records more chances to show them (measured on synthpop's sequential CART,
benchmarks/canary_audit.py: at 1,000 canaries its median bound rose from 0.7 to above 1 with
20 times the rows). Sound when the DP claim covers the fitted generator, so that sampling is
post-processing (every model-based DP synthesiser: DP-SGD, MST, AIM, PrivBayes, noisy
marginals); a generator whose claim covers only one sample of n rows (fresh noise on the
records per call) is outside what this audit checks.

Scoring (``score_canaries``): three attacks, fixed in advance, combined by Bonferroni in the
bound: "distance" (minus the distance from the canary to its nearest sampled row: numbers
scaled by train's standard deviation, categories 0/1 per column, summed over the audited
columns), "exact-copy" (1 when a sampled row equals the canary on every audited column) and
"matched-cells" (the query-match idea, ``synthcheck.attacks.query_match``, on canaries: the
largest number of the canary's audited cells that one sampled row holds verbatim, a missing
cell never a match; ties broken by the distance, as ``1 / (2 (1 + distance))`` added, which
stays below one cell). A generator that stitches rows from parts of its records (sequential
CART draws each column's value from a leaf holding the record) puts a canary's rare and
extreme values together into a sampled row without putting the row near the canary on the
other columns: distance misses it, the count of matched cells does not.
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
CANARY_ATTACKS = ("distance", "exact-copy", "matched-cells")
#: the canary fit is sampled this many times as many rows as it was fitted on ...
SAMPLE_FACTOR = 20
#: ... but at most this many (and never fewer than the fitted rows)
SAMPLE_CAP = 100_000
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


def sampled_rows(fitted_rows: int) -> int:
    """How many rows the canary fit is sampled (see the module's docstring)."""
    return max(fitted_rows, min(SAMPLE_FACTOR * fitted_rows, SAMPLE_CAP))


def _codes(canaries: pd.Series, sample: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Shared codes of the canaries' and the sample's values (missing: -1)."""
    both = pd.concat([canaries.astype(object), sample.astype(object)], ignore_index=True)
    codes = pd.factorize(both, use_na_sentinel=True)[0]
    return codes[:len(canaries)], codes[len(canaries):]


def _nearest(canaries: pd.DataFrame, sample: pd.DataFrame, train: pd.DataFrame,
             columns: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """For each canary: the distance to its nearest sampled row (numbers over train's sd,
    missing against a value 1, categories 0/1) and the most cells one sampled row holds
    verbatim (missing never a match), in blocks so memory stays bounded."""
    nearest = np.full(len(canaries), np.inf)
    matched = np.zeros(len(canaries))
    numeric = [c for c in columns if _is_number(train[c])]
    other = [c for c in columns if c not in numeric]
    scale = {c: float(train[c].std()) or 1.0 for c in numeric}
    codes = {}
    for name in other:  # shared codes for the canaries' and the sample's values
        both = pd.concat([canaries[name], sample[name]], ignore_index=True).astype(str)
        codes[name] = pd.factorize(both)[0]
    exact = {name: _codes(canaries[name], sample[name]) for name in columns}
    block = max(1, 2_000_000 // max(len(sample), 1))
    for start in range(0, len(canaries), block):
        stop = min(start + block, len(canaries))
        total = np.zeros((stop - start, len(sample)))
        same = np.zeros((stop - start, len(sample)), dtype=np.int32)
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
        for name in columns:
            a, b = exact[name]
            a = a[start:stop]
            same += (a[:, None] == b[None, :]) & (a >= 0)[:, None]
        nearest[start:stop] = total.min(axis=1)
        matched[start:stop] = same.max(axis=1)
    return nearest, matched


def score_canaries(canaries: pd.DataFrame, sample: pd.DataFrame, train: pd.DataFrame,
                   types: ColumnTypes) -> dict[str, np.ndarray]:
    """Each canary attack's scores (see the module's docstring)."""
    columns = _audited(types, train)
    nearest, matched = _nearest(canaries, sample, train, columns)
    return {"distance": -nearest, "exact-copy": (nearest == 0.0).astype(float),
            "matched-cells": matched + 0.5 / (1.0 + nearest)}


def run_canaries(fit_and_sample: Callable[[pd.DataFrame, int, int], pd.DataFrame],
                 train: pd.DataFrame, types: ColumnTypes, count: int, seed: int,
                 rng: np.random.Generator, log: Callable[[str], None]) -> CanaryScores:
    """Make ``count`` canaries, include each in a copy of ``train`` by a fair coin, fit the
    generator once on it (``fit_and_sample(training, rows, seed)``), and score the canaries
    against its sample (``sampled_rows`` of the copy's rows)."""
    canaries = make_canaries(train, types, count, rng)
    included = rng.random(count) < 0.5
    training = pd.concat([train, canaries[included]], ignore_index=True)
    training = training.iloc[rng.permutation(len(training))].reset_index(drop=True)
    log(f"canary audit: fitting the generator once more on train plus {int(included.sum())} "
        f"of {count} canaries ({len(training)} rows) ...")
    sample = fit_and_sample(training, sampled_rows(len(training)), seed)
    scores = score_canaries(canaries, sample, train, types)
    return CanaryScores(scores=scores, included=included, fitted_rows=len(training),
                        sampled_rows=len(sample))
