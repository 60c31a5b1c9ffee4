"""Reading the inputs: CSV or Parquet files, or DataFrames from the Python API.

Files are read with pandas defaults; their fingerprint is over the file's exact canonical form
(``synthcheck.inputs.fingerprint``), which a buyer recomputes from the file alone.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from synthcheck.errors import InputError
from synthcheck.inputs.fingerprint import fingerprint_file, fingerprint_frame, read_plain

SUPPORTED_SUFFIXES = (".csv", ".parquet", ".pq", ".txt", ".tsv")
COMPRESSIONS = (".gz", ".bz2", ".zip", ".xz", ".zst")  # pandas infers them from the name
_OTHER_DELIMITERS = (";", "\t", "|")


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


def table_suffix(path: Path) -> str:
    """The table format's suffix, under a compression suffix: ``.csv`` for ``x.csv.gz``."""
    suffixes = [p.lower() for p in path.suffixes]
    if suffixes and suffixes[-1] in COMPRESSIONS:
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def load_table(data: str | Path | pd.DataFrame, role: str) -> Table:
    """Read ``data`` for ``role``; every failure is an ``InputError`` naming the file."""
    if isinstance(data, pd.DataFrame):
        frame = data.copy()
        frame.columns = [str(c) for c in frame.columns]
        source = f"<{role} DataFrame>"
        _check_unique_names(list(frame.columns), source)
    else:
        path = Path(data)
        source = str(path)
        if not path.exists():
            raise InputError(f"{role} file does not exist", source=source)
        if path.is_dir():
            raise InputError(f"{role} path is a directory, expected a CSV or Parquet file",
                             source=source)
        if table_suffix(path) not in SUPPORTED_SUFFIXES:
            raise InputError(f"unsupported file type '{''.join(path.suffixes[-2:])}'; use .csv "
                             f"or .parquet (optionally compressed: {', '.join(COMPRESSIONS)})",
                             source=source)
        frame = _read(path, role, source)
    if frame.shape[1] == 0:
        raise InputError(f"{role} table has no columns", source=source)
    if len(frame) == 0:
        raise InputError(f"{role} table is empty (header only, no rows)", source=source)
    if frame.isna().all().all():
        raise InputError(f"every value of the {role} table is missing", source=source)
    exact = fingerprint_frame(frame) if isinstance(data, pd.DataFrame) else fingerprint_file(data)
    return Table(role=role, source=source, frame=frame, sha256=exact)


def _read(path: Path, role: str, source: str) -> pd.DataFrame:
    is_csv = table_suffix(path) not in (".parquet", ".pq")
    try:
        header = _csv_header(path) if is_csv else None  # as written: pandas renames 'age.1'
        frame = read_plain(path)
    except pd.errors.EmptyDataError:
        raise InputError(f"{role} table is empty (no header, no rows)", source=source) from None
    except (OSError, ValueError, UnicodeDecodeError, pd.errors.ParserError, EOFError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InputError(f"cannot read {role} table: {first_line}", source=source) from None
    except Exception as error:  # pyarrow raises its own types for corrupt Parquet
        if type(error).__module__.startswith("pyarrow"):
            raise InputError(f"cannot read {role} table: {error}", source=source) from None
        raise
    if is_csv:
        _check_unique_names(header, source)
        _check_shape(frame, source)
    return frame


def _csv_header(path: Path) -> list[str]:
    header = pd.read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False)
    return [str(name) for name in header.iloc[0].tolist()] if len(header) else []


def _check_unique_names(names: list[str], source: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InputError(f"column name '{name}' appears more than once in the header",
                             source=source, column=name)
        seen.add(name)


def _check_shape(frame: pd.DataFrame, source: str) -> None:
    """A CSV read as one column was most likely written with another delimiter; rows with
    more fields than the header make pandas take the first column as an index."""
    if frame.shape[1] == 1:
        header = str(frame.columns[0])
        found = [d for d in _OTHER_DELIMITERS if d in header]
        if found:
            shown = "tab" if found[0] == "\t" else f"'{found[0]}'"
            raise InputError(f"1 column read: is the file {shown}-separated? synthcheck reads "
                             "comma-separated CSV (or Parquet); convert it first", source=source)
    if not isinstance(frame.index, pd.RangeIndex):
        raise InputError(f"the data rows have more fields than the header's {frame.shape[1]} "
                         "(ragged rows, or a delimiter at the end of each row)", source=source)
