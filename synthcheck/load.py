"""Reading the inputs: CSV or Parquet files, or DataFrames from the Python API.

Files are read with pandas defaults; their fingerprint is over the file's exact canonical form
(``synthcheck.fingerprint``), which a buyer recomputes from the file alone.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from synthcheck.errors import InputError
from synthcheck.fingerprint import fingerprint_file, fingerprint_frame, read_plain

SUPPORTED_SUFFIXES = (".csv", ".parquet", ".pq", ".txt", ".tsv")


@dataclass
class Table:
    """One input table as read, before any type coercion."""

    role: str  # "train", "holdout", "synthetic" or "population"
    source: str  # the file path, or "<DataFrame>" for the Python API
    frame: pd.DataFrame
    sha256: str

    @property
    def rows(self) -> int:
        return len(self.frame)

    @property
    def columns(self) -> int:
        return self.frame.shape[1]

    def describe(self) -> dict:
        return {"sha256": self.sha256, "rows": self.rows, "columns": self.columns,
                "source": self.source}


def load_table(data: str | Path | pd.DataFrame, role: str) -> Table:
    """Read ``data`` for ``role``; every failure is an ``InputError`` naming the file."""
    if isinstance(data, pd.DataFrame):
        frame = data.copy()
        frame.columns = [str(c) for c in frame.columns]
        source = f"<{role} DataFrame>"
    else:
        path = Path(data)
        source = str(path)
        if not path.exists():
            raise InputError(f"{role} file does not exist", source=source)
        if path.is_dir():
            raise InputError(f"{role} path is a directory, expected a CSV or Parquet file",
                             source=source)
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            raise InputError(f"unsupported file type '{path.suffix}'; use .csv or .parquet",
                             source=source)
        try:
            frame = read_plain(path)
        except pd.errors.EmptyDataError:
            raise InputError(f"{role} table is empty (no header, no rows)", source=source) from None
        except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError) as error:
            first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise InputError(f"cannot read {role} table: {first_line}", source=source) from None
        except Exception as error:  # pyarrow raises its own types for corrupt Parquet
            if type(error).__module__.startswith("pyarrow"):
                raise InputError(f"cannot read {role} table: {error}", source=source) from None
            raise
    if frame.shape[1] == 0:
        raise InputError(f"{role} table has no columns", source=source)
    if len(frame) == 0:
        raise InputError(f"{role} table is empty (header only, no rows)", source=source)
    duplicated = pd.Index(frame.columns)[pd.Index(frame.columns).duplicated()]
    if len(duplicated):
        raise InputError(f"duplicate column name '{duplicated[0]}'", source=source)
    exact = fingerprint_frame(frame) if isinstance(data, pd.DataFrame) else fingerprint_file(data)
    return Table(role=role, source=source, frame=frame, sha256=exact)
