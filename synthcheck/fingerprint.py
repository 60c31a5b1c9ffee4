"""SHA-256 fingerprints of tables over a canonical form a buyer can recompute with pandas.

Hashing file bytes would make the same table in CSV and Parquet (or re-saved with another
line ending) look different, so the fingerprint is over the table's content instead:

1. Read the file with pandas defaults: ``pd.read_csv(path)`` or ``pd.read_parquet(path)``.
2. Order the columns by name.
3. Write each cell as text: missing -> "" ; booleans -> "true"/"false"; integral numbers ->
   the integer (``3.0`` -> ``"3"``); other numbers -> Python's ``repr`` of the float64;
   datetimes -> ISO 8601 (``Timestamp.isoformat()``); anything else -> ``str(value)``.
4. Each row becomes ``json.dumps(cells, ensure_ascii=False)``; the rows are sorted (so row
   order does not matter) and joined with "\\n", after a first line ``json.dumps(columns)``.
5. SHA-256 of that text in UTF-8.

The README carries a ~15-line stand-alone version of this recipe.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd


def _cell_texts(column: pd.Series) -> list[str]:
    missing = column.isna().to_numpy()
    if pd.api.types.is_bool_dtype(column):
        texts = np.where(column.fillna(False).to_numpy(dtype=bool), "true", "false").astype(object)
    elif pd.api.types.is_numeric_dtype(column):
        values = column.to_numpy(dtype="float64", na_value=np.nan)
        finite = np.isfinite(values)
        integral = finite & (np.floor(values) == values) & (np.abs(values) < 2**63)
        texts = np.empty(len(values), dtype=object)
        texts[integral] = [str(int(v)) for v in values[integral]]
        other = ~integral & ~missing
        texts[other] = [repr(float(v)) for v in values[other]]
    elif pd.api.types.is_datetime64_any_dtype(column):
        texts = np.array([v.isoformat() if not pd.isna(v) else "" for v in column], dtype=object)
    else:
        texts = np.array([str(v) for v in column.to_numpy(dtype=object)], dtype=object)
    texts[missing] = ""
    return texts.tolist()


def fingerprint_frame(frame: pd.DataFrame) -> str:
    """Fingerprint a table as pandas holds it (see the module docstring for the recipe)."""
    columns = sorted(str(c) for c in frame.columns)
    by_name = {str(c): c for c in frame.columns}
    cells = [_cell_texts(frame[by_name[c]]) for c in columns]
    rows = sorted(json.dumps(list(row), ensure_ascii=False) for row in zip(*cells))
    digest = hashlib.sha256()
    digest.update(json.dumps(columns, ensure_ascii=False).encode("utf-8"))
    for row in rows:
        digest.update(b"\n")
        digest.update(row.encode("utf-8"))
    return digest.hexdigest()


def read_plain(path: str | Path) -> pd.DataFrame:
    """Read a table exactly as the recipe says: pandas defaults, by extension."""
    path = Path(path)
    if path.suffix.lower() in (".parquet", ".pq"):
        return pd.read_parquet(path)
    return pd.read_csv(path, low_memory=False)


def fingerprint_file(path: str | Path) -> str:
    """Fingerprint a CSV or Parquet file; equal to ``fingerprint_frame(read_plain(path))``."""
    return fingerprint_frame(read_plain(path))
