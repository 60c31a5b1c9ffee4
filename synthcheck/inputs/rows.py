"""The one rule that says two rows (or two values) are the same: used by the train/holdout
overlap check, the exact-copy attack and the copy test alike, so they can never disagree.

Rows are compared on a coerced table (``columns.coerce_table``): -0.0 equals 0.0 and every
missing value equals every other missing value; values as ``columns.category_text`` writes
them, where missing is never found.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """One 64-bit hash per row of a coerced table (``columns.coerce_table``): equal rows, equal
    hashes; -0.0 and 0.0, and every NaN, hash alike. Columns in the frame's order."""
    canonical = {}
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_float_dtype(column):
            values = column.to_numpy(dtype=np.float64) + 0.0  # -0.0 -> 0.0
            column = pd.Series(np.where(np.isnan(values), np.nan, values))
        else:
            column = column.reset_index(drop=True)
        canonical[name] = column
    return pd.util.hash_pandas_object(pd.DataFrame(canonical), index=False).to_numpy()


def found_rows(candidates: pd.DataFrame, release: pd.DataFrame) -> np.ndarray:
    """For each candidate, whether the release holds an identical row (same columns, coerced)."""
    return np.isin(row_hashes(candidates), row_hashes(release[list(candidates.columns)]))


def found_values(candidate_values: pd.Series, release_values: pd.Series) -> np.ndarray:
    """For each candidate value, whether it appears verbatim in the release's column (text as
    ``columns.category_text`` writes it; missing is never found)."""
    from synthcheck.inputs.columns import category_text

    mine = category_text(candidate_values.reset_index(drop=True))
    theirs = category_text(release_values.reset_index(drop=True)).dropna()
    return (mine.notna() & mine.isin(set(theirs))).to_numpy()
