"""The one rule that says two rows (or two values) are the same: used by the train/holdout
overlap check, the exact-copy attack and the copy test alike, so they can never disagree.

Rows are compared on a coerced table (``columns.coerce_table``): -0.0 equals 0.0 and every
missing value equals every other missing value; values as ``columns.category_text`` writes
them, where missing is never found.
"""
from __future__ import annotations

from typing import Any

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


HASH_BLOCK = 262_144  # rows per block when hashing on a Dask cluster


def found_rows(candidates: pd.DataFrame, release: pd.DataFrame, scheduler: Any = None
               ) -> np.ndarray:
    """For each candidate, whether the release holds an identical row (same columns, coerced).
    ``scheduler`` (a Dask address or Client): the rows are hashed there, in blocks (a row's
    hash depends on that row alone, so the answer is the same)."""
    release = release[list(candidates.columns)]
    if scheduler is None:
        return np.isin(row_hashes(candidates), row_hashes(release))
    from synthcheck.support.parallel import map_blocks

    def hashed(frame: pd.DataFrame) -> np.ndarray:
        blocks = [frame.iloc[start:start + HASH_BLOCK] for start in range(0, len(frame), HASH_BLOCK)]
        parts = map_blocks(_hash_block, blocks, None, scheduler=scheduler, name="row-hashes")
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.uint64)

    return np.isin(hashed(candidates), hashed(release))


def _hash_block(frame: pd.DataFrame, shared: None) -> np.ndarray:
    return row_hashes(frame)


def found_values(candidate_values: pd.Series, release_values: pd.Series) -> np.ndarray:
    """For each candidate value, whether it appears verbatim in the release's column (text as
    ``columns.category_text`` writes it; missing is never found)."""
    from synthcheck.inputs.columns import category_text

    mine = category_text(candidate_values.reset_index(drop=True))
    theirs = category_text(release_values.reset_index(drop=True)).dropna()
    return (mine.notna() & mine.isin(set(theirs))).to_numpy()
