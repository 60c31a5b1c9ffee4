"""Reading the inputs: CSV or Parquet files, or DataFrames from the Python API.

Files are read once. A CSV is parsed as text (every cell as written), which serves the
fingerprint (over the file's exact canonical form, ``synthcheck.inputs.fingerprint``, which a
buyer recomputes from the file alone), the count of cells read as missing, and the table the
audit reads: ``typed_from_text`` gives the frame ``pd.read_csv(path, low_memory=False)`` would
(pandas' missing-value strings, then numbers, then booleans, else text) without parsing the
file a second time. A Parquet file is read once by pyarrow, and the same Arrow table gives the
fingerprint and the frame.
"""
from __future__ import annotations

import io
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from synthcheck.errors import InputError
from synthcheck.inputs import background
from synthcheck.inputs.fingerprint import (
    arrow_columns,
    csv_texts,
    fingerprint_columns,
    fingerprint_frame,
    text_columns,
)

SUPPORTED_SUFFIXES = (".csv", ".parquet", ".pq", ".txt", ".tsv")
COMPRESSIONS = (".gz", ".bz2", ".zip", ".xz", ".zst")  # pandas infers them from the name
_OTHER_DELIMITERS = (";", "\t", "|")
_TRUE_TEXTS = frozenset(("True", "TRUE", "true"))  # pandas' default boolean spellings
_FALSE_TEXTS = frozenset(("False", "FALSE", "false"))


@dataclass
class Table:
    """One input table as read, before any type coercion."""

    role: str  # "train", "holdout", "synthetic" or "population"
    source: str  # the file path, or "<DataFrame>" for the Python API
    frame: pd.DataFrame
    #: the table's fingerprint (``sha256``), or its future while a child process computes it
    #: (a large file: ``synthcheck.inputs.background``)
    fingerprint: str | Future
    #: cells with text in the file that were read as missing values (pandas' spellings:
    #: NA, N/A, null, NaN, None, #N/A, ...), so the output can say what was coerced
    read_as_missing: int = 0

    @property
    def sha256(self) -> str:
        """The fingerprint; waits for the child process computing it, the first time."""
        if isinstance(self.fingerprint, Future):
            self.fingerprint = self.fingerprint.result()
        return self.fingerprint

    def __getstate__(self) -> dict:  # a future does not pickle: its value does
        return self.__dict__ | {"fingerprint": self.sha256}

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
        exact, spelled = None, 0
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
        frame, exact, spelled = _read(path, role, source)
    if frame.shape[1] == 0:
        raise InputError(f"{role} table has no columns", source=source)
    if len(frame) == 0:
        raise InputError(f"{role} table is empty (header only, no rows)", source=source)
    if frame.isna().all().all():
        raise InputError(f"every value of the {role} table is missing", source=source)
    if exact is None:
        exact = fingerprint_frame(frame)
    return Table(role=role, source=source, frame=frame, fingerprint=exact,
                 read_as_missing=spelled)


def _read(path: Path, role: str, source: str) -> tuple[pd.DataFrame, str | Future, int]:
    """From one read of the file's bytes: the frame the audit reads, the file's fingerprint (a
    future for a file of ``background.BACKGROUND_BYTES`` or more, computed by a child process
    from its own read, which must have read the same bytes), and how many cells with text in
    the file were read as missing. Every check below reads the same bytes, never the file."""
    is_csv = table_suffix(path) not in (".parquet", ".pq")
    spelled = 0
    elsewhere = None
    if path.is_file() and path.stat().st_size >= background.BACKGROUND_BYTES:
        elsewhere = background.start(path, is_csv)
    compression = background.compression_of(path)
    try:
        raw, digest = background.read_bytes(path)
        if elsewhere is not None:
            elsewhere = background.confirmed(elsewhere, digest, source, role)
        if is_csv:
            header = _csv_header(raw, compression)  # as written: pandas renames 'age.1'
            texts = csv_texts(io.BytesIO(raw), compression)
            frame = typed_from_text(texts)
            exact = elsewhere or fingerprint_columns(text_columns(texts))
            spelled = int((frame.isna().to_numpy() & (texts.to_numpy() != "")).sum())
        else:
            import pyarrow.parquet as pq

            table = pq.read_table(io.BytesIO(raw))
            frame = table.to_pandas()
            exact = elsewhere or fingerprint_columns(arrow_columns(table))
    except pd.errors.EmptyDataError:
        raise InputError(f"{role} table is empty (no header, no rows)", source=source) from None
    except UnicodeDecodeError as error:
        raise InputError(f"cannot read {role} table: {_not_utf8(raw, compression, error)}",
                         source=source) from None
    except (OSError, ValueError, pd.errors.ParserError, EOFError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise InputError(f"cannot read {role} table: {first_line}", source=source) from None
    except Exception as error:  # pyarrow raises its own types for corrupt Parquet
        if type(error).__module__.startswith("pyarrow"):
            raise InputError(f"cannot read {role} table: {error}", source=source) from None
        raise
    if is_csv:
        _check_unique_names(header, source)
        _check_shape(frame, source)
        _check_last_line(raw, compression, len(header), source)
    return frame, exact, spelled


def typed_from_text(text: pd.DataFrame) -> pd.DataFrame:
    """The frame ``pd.read_csv(path, low_memory=False)`` gives, from the file read as text
    (``fingerprint.csv_texts``): per column, pandas' default missing-value strings are
    missing; then the column is numeric if pandas' number parser reads every other value
    (int64, uint64 or float64 as pandas would choose), else boolean if every other value is a
    pandas boolean spelling (bool without missing values, else objects), else text.
    One difference: pandas keeps a blank as "" in a column of integers beyond int64 with blanks;
    here it is missing, as everywhere else."""
    from pandas._libs.parsers import STR_NA_VALUES  # the strings read_csv itself treats as NA

    columns = {}
    for position in range(text.shape[1]):
        values = text.iloc[:, position].to_numpy(dtype=object)
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
        missing = np.isin(uniques.astype(object), list(STR_NA_VALUES))[codes]
        columns[position] = _typed_column(values, missing)
    frame = pd.DataFrame(columns, index=text.index)
    frame.columns = text.columns
    return frame


def _typed_column(values: np.ndarray, missing: np.ndarray) -> np.ndarray:
    if missing.all():
        return np.full(len(values), np.nan)
    with_gaps = values.copy()
    with_gaps[missing] = np.nan
    try:
        return pd.to_numeric(with_gaps)
    except (ValueError, TypeError):
        pass
    present = with_gaps[~missing]
    if all(v in _TRUE_TEXTS or v in _FALSE_TEXTS for v in set(present)):
        truth = np.array([v in _TRUE_TEXTS for v in present], dtype=bool)
        if not missing.any():
            return truth
        with_gaps[~missing] = truth
    return with_gaps


def _open_bytes(raw: bytes, compression: str | None):
    """The file's bytes (as read), decompressed as pandas would (by the name's suffix)."""
    return pd.io.common.get_handle(io.BytesIO(raw), "rb", compression=compression,
                                   is_text=False)


def _not_utf8(raw: bytes, compression: str | None, error: UnicodeDecodeError) -> str:
    """Which line is not UTF-8 (pandas' byte offsets count from a buffer, not the file)."""
    with _open_bytes(raw, compression) as handles:
        for number, line in enumerate(handles.handle, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as bad:
                return (f"line {number} is not UTF-8 (byte 0x{line[bad.start]:02x}; a Latin-1 "
                        "or Windows export, or a damaged file?): save it as UTF-8")
    return f"it is not UTF-8 ({error.reason})"


def _check_last_line(raw: bytes, compression: str | None, fields: int, source: str
                     ) -> None:
    """pandas fills a short row with missing values; a last line cut short (an interrupted
    export) would be audited as a record with gaps. Refused; only the end of the bytes read
    is decoded. Short rows inside the file are not looked for here (a full pass over them)."""
    import csv

    with _open_bytes(raw, compression) as handles:
        handle = handles.handle
        try:
            handle.seek(0, io.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - 65536))
        except (OSError, ValueError):  # a stream that cannot seek: read it through
            pass
        tail = handle.read()
    lines = [line for line in tail.decode("utf-8", "replace").splitlines() if line.strip()]
    if len(lines) < 2 or lines[-1].count('"') % 2:
        return  # the header alone, or the last record holds a quoted line break: cannot tell
    found = len(next(csv.reader([lines[-1]])))
    if found < fields:
        raise InputError(f"the last line has {found} of the header's {fields} fields: the "
                         "file looks cut short (an interrupted export?)", source=source)


def _csv_header(raw: bytes, compression: str | None) -> list[str]:
    header = pd.read_csv(io.BytesIO(raw), compression=compression, header=None, nrows=1,
                         dtype=str, keep_default_na=False)
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
