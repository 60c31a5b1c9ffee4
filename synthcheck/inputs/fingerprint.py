"""SHA-256 fingerprints of tables over an exact canonical form (recipe ``synthcheck-table-2``).

Hashing file bytes would make the same table re-saved with other line endings, row order or
column order look different, so the fingerprint is over the table's content. The canonical
form is exact: integers stay integers of any size (never through a float), every column has an
explicit type, text is Unicode NFC. The recipe (the README carries a stand-alone version that a
test runs against this module):

1. Read the file. CSV: every cell as the text in the file
   (``pd.read_csv(path, dtype=str, keep_default_na=False)``); an empty cell is missing.
   Parquet: the values with their Parquet (Arrow) types. A DataFrame from the Python API is
   fingerprinted as its Parquet file would be (``pyarrow.Table.from_pandas``).
2. Give each column a type from its non-missing values. CSV: ``empty`` (no value), else
   ``integer`` (all match ``[+-]?[0-9]+``), else ``boolean`` (all ``true``/``false`` in any
   case), else ``number`` (all decimal or scientific numbers, ``inf``, ``nan``), else
   ``datetime`` (all ISO 8601 dates or date-times), else ``text``. Parquet: integer types ->
   ``integer``, floating and decimal -> ``number``, boolean -> ``boolean``, timestamp and
   date -> ``datetime``, everything else -> ``text``; a column without values is ``empty``.
3. Write each value as text: integer -> its decimal digits (``str(int(x))``: ``+07`` is
   ``7``); number -> the exact decimal without exponent or trailing zeros (``1e20`` ->
   ``100000000000000000000``, ``3.50`` -> ``3.5``, ``-0.0`` -> ``0``; a Parquet float is
   taken as Python's shortest ``repr``, which is what pandas writes to CSV), ``inf``/``-inf``,
   NaN is missing; boolean -> ``true``/``false``; datetime -> ``pd.Timestamp(x).isoformat()``;
   text -> Unicode NFC, and an empty text is missing. Missing is JSON ``null``.
4. Column names in NFC, ordered by code point. Line 1 is ``json.dumps([[name, type], ...],
   ensure_ascii=False)``; then one line per row, ``json.dumps([value, ...],
   ensure_ascii=False)`` in that column order, the row lines sorted by code point (row order
   does not matter, duplicates count). Lines are joined with ``"\\n"``.
5. SHA-256 of that text in UTF-8, as lowercase hex.

A pandas-written CSV and its Parquet file (``df.to_csv``/``df.to_parquet`` of one frame) get
the same fingerprint; a CSV that spells the same numbers as integers where the Parquet file
stores floats does not (the types differ: that is a different table).
"""
from __future__ import annotations

import decimal
import hashlib
import json
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd

RECIPE = "synthcheck-table-2"
TYPES = ("empty", "integer", "boolean", "number", "datetime", "text")

INTEGER = r"[+-]?[0-9]+"
NUMBER = r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?|[+-]?(inf|infinity|nan)"
DATETIME = (r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
            r"([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?")
_CANONICAL_INTEGER = r"0|-?[1-9][0-9]*"
_CANONICAL_NUMBER = r"(0|-?[1-9][0-9]*)(\.[0-9]*[1-9])?|-0\.[0-9]*[1-9]"
_EXACT_FLOAT = 2.0 ** 53  # integral floats below this print as their integer


# -- one value ---------------------------------------------------------------------------------


def number_text(text: str) -> str | None:
    """The canonical text of a number written as ``text``: exact, no exponent, no trailing
    zeros; ``inf``/``-inf``; None for NaN."""
    value = decimal.Decimal(text.strip())
    if value.is_nan():
        return None
    if value.is_infinite():
        return "-inf" if value < 0 else "inf"
    digits = format(value, "f")
    if "." in digits:
        digits = digits.rstrip("0").rstrip(".")
    return "0" if digits in ("-0", "") else digits


def _datetime_text(value) -> str:
    return pd.Timestamp(value).isoformat()


def _text(value) -> str | None:
    text = unicodedata.normalize("NFC", str(value))
    return text or None


# -- columns -----------------------------------------------------------------------------------


def _mapped(values: pd.Series, canonical) -> np.ndarray:
    """``canonical`` applied to each distinct value once."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapped = np.array([canonical(u) for u in uniques] + [None], dtype=object)
    return mapped[codes]  # code -1 (missing) picks the trailing None


def csv_column(texts: pd.Series) -> tuple[str, np.ndarray]:
    """Type and canonical values of one CSV column read as text ("" = missing).

    The type and each canonical value depend only on the distinct texts, so both are computed
    once per distinct text (a column of a million rows has a few thousand at most, usually)."""
    codes, uniques = pd.factorize(texts.astype(object).to_numpy(), use_na_sentinel=False)
    distinct = pd.Series(uniques, dtype=object)
    present = (distinct != "").to_numpy()
    values = distinct[present]
    canonical_of = np.full(len(distinct), None, dtype=object)
    if not len(values):
        return "empty", canonical_of[codes]
    strings = values.astype(str).str
    if strings.fullmatch(INTEGER).all():
        kind = "integer"
        fast = strings.fullmatch(_CANONICAL_INTEGER).to_numpy()
        canonical = np.where(fast, values.to_numpy(), None)
        canonical[~fast] = [str(int(t)) for t in values[~fast]]
    elif strings.lower().isin(("true", "false")).all():
        kind, canonical = "boolean", strings.lower().to_numpy()
    elif strings.fullmatch(NUMBER, case=False).all():
        kind = "number"
        fast = strings.fullmatch(_CANONICAL_NUMBER).to_numpy()
        canonical = np.where(fast, values.to_numpy(), None)
        canonical[~fast] = [number_text(t) for t in values[~fast]]
    elif strings.fullmatch(DATETIME).all():
        kind, canonical = "datetime", _mapped(values, _datetime_text)
    else:
        kind, canonical = "text", _mapped(values, _text)
    canonical_of[present] = canonical
    return kind, canonical_of[codes]


def arrow_column(column) -> tuple[str, np.ndarray]:
    """Type and canonical values of one Arrow (Parquet) column."""
    import pyarrow as pa
    import pyarrow.compute as pc

    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    kind_of = array.type
    if pa.types.is_integer(kind_of):
        kind, out = "integer", pc.cast(array, pa.string()).to_numpy(zero_copy_only=False)
    elif pa.types.is_boolean(kind_of):
        kind = "boolean"
        out = np.array([None if v is None else ("true" if v else "false")
                        for v in array.to_pylist()], dtype=object)
    elif pa.types.is_floating(kind_of):
        kind, out = "number", _float_texts(array.to_numpy(zero_copy_only=False))
    elif pa.types.is_decimal(kind_of):
        kind = "number"
        out = np.array([None if v is None else number_text(str(v)) for v in array.to_pylist()],
                       dtype=object)
    elif pa.types.is_timestamp(kind_of) or pa.types.is_date(kind_of):
        kind = "datetime"
        values = pd.Series(array.to_pylist(), dtype=object)
        out = _mapped(values, _datetime_text)
    elif pa.types.is_null(kind_of):
        kind, out = "empty", np.full(len(array), None, dtype=object)
    else:
        kind = "text"
        out = _mapped(pd.Series(array.to_pylist(), dtype=object), _text)
    out = np.asarray(out, dtype=object)
    out[pd.isna(out)] = None
    if kind != "empty" and all(v is None for v in out):
        kind = "empty"
    return kind, out


def _float_texts(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    out = np.full(len(values), None, dtype=object)
    finite = np.isfinite(values)
    integral = finite & (np.abs(values) < _EXACT_FLOAT) & (np.floor(values) == values)
    out[integral] = values[integral].astype(np.int64).astype(str)
    other = finite & ~integral
    out[other] = _mapped(pd.Series(values[other]), lambda v: number_text(repr(float(v))))
    out[np.isposinf(values)] = "inf"
    out[np.isneginf(values)] = "-inf"
    return out


# -- tables ------------------------------------------------------------------------------------


def _json_cells(values: np.ndarray) -> np.ndarray:
    """``json.dumps(v, ensure_ascii=False)`` of every canonical value ("null" for missing),
    computed once per distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    texts = np.array([json.dumps(u, ensure_ascii=False) for u in uniques] + ["null"], dtype=object)
    return texts[codes]  # code -1 (missing) picks the trailing "null"


def _digest(columns: dict[str, tuple[str, np.ndarray]]) -> str:
    names = sorted(columns)
    header = json.dumps([[name, columns[name][0]] for name in names], ensure_ascii=False)
    if not names:
        return hashlib.sha256(header.encode("utf-8")).hexdigest()
    joined = "[" + _json_cells(columns[names[0]][1])
    for name in names[1:]:
        joined = joined + ", " + _json_cells(columns[name][1])
    rows = sorted(joined + "]")
    digest = hashlib.sha256(header.encode("utf-8"))
    if rows:
        digest.update(("\n" + "\n".join(rows)).encode("utf-8"))
    return digest.hexdigest()


def fingerprint_columns(columns: dict[str, tuple[str, np.ndarray]]) -> str:
    """Step 4-5 of the recipe: the SHA-256 of canonical columns (``canonical_columns``,
    ``text_columns``, ``arrow_columns`` or ``frame_columns``)."""
    return _digest(columns)


def _named(pairs) -> dict[str, tuple[str, np.ndarray]]:
    columns = {}
    for name, column in pairs:
        key = unicodedata.normalize("NFC", str(name))
        if key in columns:
            raise ValueError(f"two columns are named '{key}' (after Unicode NFC)")
        columns[key] = column
    return columns


def csv_texts(path, compression: str | None = "infer") -> pd.DataFrame:
    """A CSV file's cells as the text written in it ("" = empty), the recipe's step 1. The
    audit reads a CSV only this way, once: its pandas-typed frame is derived from these texts
    (``synthcheck.inputs.load.typed_from_text``). ``path`` may be a buffer of the file's bytes;
    its ``compression`` then comes from the file's name (pandas cannot infer it from a buffer)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False,
                       compression=compression)


def text_columns(frame: pd.DataFrame) -> dict[str, tuple[str, np.ndarray]]:
    """Column name -> (type, canonical values) of a CSV read as text (``csv_texts``)."""
    return _named((name, csv_column(frame.iloc[:, i])) for i, name in enumerate(frame.columns))


def arrow_columns(table) -> dict[str, tuple[str, np.ndarray]]:
    """Column name -> (type, canonical values) of a pyarrow Table read from a Parquet file."""
    return _named((name, arrow_column(table.column(i)))
                  for i, name in enumerate(table.column_names))


def canonical_columns(path: str | Path, texts: pd.DataFrame | None = None
                      ) -> dict[str, tuple[str, np.ndarray]]:
    """Column name -> (type, canonical values) of a CSV or Parquet file (steps 1-3);
    ``texts`` is the CSV's :func:`csv_texts` when the caller has read them already."""
    path = Path(path)
    if path.suffix.lower() in (".parquet", ".pq"):
        import pyarrow.parquet as pq

        return arrow_columns(pq.read_table(path))
    return text_columns(csv_texts(path) if texts is None else texts)


def frame_columns(frame: pd.DataFrame) -> dict[str, tuple[str, np.ndarray]]:
    """Column name -> (type, canonical values) of a DataFrame, typed as its Parquet file."""
    import pyarrow as pa

    pairs = []
    for name in frame.columns:
        column = frame[name]
        try:
            array = pa.Array.from_pandas(column)
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            pairs.append((name, _python_column(column)))  # e.g. integers beyond 64 bits
            continue
        pairs.append((name, arrow_column(array)))
    return _named(pairs)


def _python_column(column: pd.Series) -> tuple[str, np.ndarray]:
    """A column pyarrow cannot type: integers of any size stay exact, the rest is text."""
    values = [v for v in column if not pd.isna(v)]
    out = np.full(len(column), None, dtype=object)
    present = ~column.isna().to_numpy()
    if values and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                      for v in values):
        out[present] = [str(int(v)) for v in values]
        return "integer", out
    out[present] = [_text(v) for v in values]
    return ("text" if values else "empty"), out


def fingerprint_file(path: str | Path, texts: pd.DataFrame | None = None) -> str:
    """SHA-256 fingerprint of a CSV or Parquet file over its canonical form (module docstring);
    ``texts`` as for :func:`canonical_columns`."""
    return _digest(canonical_columns(path, texts))


def fingerprint_frame(frame: pd.DataFrame) -> str:
    """SHA-256 fingerprint of a DataFrame: the fingerprint of ``frame.to_parquet()``."""
    return _digest(frame_columns(frame))


def column_types(path: str | Path) -> dict[str, str]:
    """The canonical type of each column of a file, in the recipe's column order."""
    columns = canonical_columns(path)
    return {name: columns[name][0] for name in sorted(columns)}
