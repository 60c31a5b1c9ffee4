"""Column types: read from SDV metadata when given, otherwise inferred from train and shown.

Types are decided once, here, and every later step (encoding, attacks, shadow generators)
reads them from the ``ColumnTypes`` this module returns. Each input is then coerced to those
types; a value that cannot be coerced is a user error naming the file and column.
"""
from __future__ import annotations

import copy
import json
import os
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from synthcheck.errors import InputError
from synthcheck.inputs.load import Table

NUMERIC, CATEGORICAL, DATETIME, BOOLEAN = "numeric", "categorical", "datetime", "boolean"
KINDS = (NUMERIC, CATEGORICAL, DATETIME, BOOLEAN)
#: The datetime format recorded for ISO 8601 columns (pandas' ISO parser, any precision).
ISO8601 = "ISO8601"

# A text column whose values are (almost) all distinct names records, it does not describe
# them; distances over it would be noise. So does a column of whole numbers that is unique per
# row (a customer number; decimals unique per row are measurements and stay). Excluded, the
# exclusion reported, and their values get the exact-value check (synthcheck.measure.copies).
ID_LIKE_UNIQUE_FRACTION = 0.95
ID_LIKE_MIN_ROWS = 50
# A train column whose values are numbers but for a few is a damaged export (a shifted cell, a
# missing-value word), not a text column: refused, naming the first row, never audited as text.
MOSTLY_NUMBERS = 0.99

_TRUE = {"true", "t", "yes", "y", "1", "1.0"}
_FALSE = {"false", "f", "no", "n", "0", "0.0"}
# SDV sdtypes (SDV 2.0: SingleTableMetadata and RDT's anonymizers). Audited ones map to a kind;
# the others are left out of the distances and get the exact-value check. Any other sdtype is a
# mistake (a misspelt "categorial" must not silently drop a column).
_SDV_KINDS = {"numerical": NUMERIC, "categorical": CATEGORICAL, "ordinal": CATEGORICAL,
              "datetime": DATETIME, "boolean": BOOLEAN, "latitude": NUMERIC,
              "longitude": NUMERIC}
PERSONAL_SDTYPES = (
    "address", "administrative_unit", "city", "country_code", "credit_card_number", "email",
    "first_name", "iban", "ipv4_address", "ipv6_address", "last_name", "license_plate",
    "mac_address", "name", "phone_number", "postcode", "secondary_address", "ssn",
    "state_abbr", "street_address", "swift11", "swift8", "user_agent_string", "vin")
KNOWN_SDTYPES = (*_SDV_KINDS, "id", "unknown", *PERSONAL_SDTYPES)


@dataclass
class ColumnTypes:
    """The audited columns, their kinds, the id column and what was left out (with why)."""

    kinds: dict[str, str]
    id_column: str | None = None
    excluded: dict[str, str] = field(default_factory=dict)
    from_metadata: bool = False
    datetime_formats: dict[str, str] = field(default_factory=dict)
    # numeric columns whose real values are all whole numbers: other inputs are rounded to
    # whole numbers too, so a generator emitting 40.4 for an integer column is compared as 40
    # (between two heavy atoms a fraction would otherwise look far from both)
    whole_numbers: set[str] = field(default_factory=set)
    #: what the metadata decided, as recorded in results.json (``inputs.metadata``) so that
    #: ``verify --reproduce`` decides the same without the file: ``{"primary_key": ...,
    #: "columns": {name: {"sdtype": ..., "datetime_format": ...}}}``; None without metadata
    metadata_record: dict | None = None

    @property
    def columns(self) -> list[str]:
        return list(self.kinds)

    def of_kind(self, *kinds: str) -> list[str]:
        return [c for c, k in self.kinds.items() if k in kinds]

    def describe(self) -> str:
        lines = [f"  {name:<28} {kind}{' (whole numbers)' if name in self.whole_numbers else ''}"
                 for name, kind in self.kinds.items()]
        if self.id_column:
            lines.append(f"  {self.id_column:<28} id (names records, not audited)")
        lines += [f"  {name:<28} excluded: {why}" for name, why in self.excluded.items()]
        origin = "from metadata" if self.from_metadata else "inferred"
        return f"column types ({origin}):\n" + "\n".join(lines)


def read_metadata(metadata: Any) -> dict | None:
    """SDV metadata as one table's ``{"columns": ...}`` document: from a JSON file, a dict, or
    an SDV ``Metadata`` object (single-table, or the multi-table form with one table)."""
    if metadata is None:
        return None
    if isinstance(metadata, (str, os.PathLike)):
        source = str(metadata)
        try:
            document = json.loads(Path(metadata).read_text())
        except FileNotFoundError:
            raise InputError("metadata file does not exist", source=source) from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise InputError(f"cannot read metadata JSON: {error}", source=source) from None
    elif isinstance(metadata, dict):
        document, source = copy.deepcopy(metadata), "<metadata dict>"
    elif callable(getattr(metadata, "to_dict", None)):  # an SDV Metadata object
        document, source = metadata.to_dict(), f"<SDV {type(metadata).__name__}>"
    else:
        raise InputError(f"must be a JSON file, a dict or an SDV Metadata object, got "
                         f"a {type(metadata).__name__}", parameter="metadata")
    if isinstance(document, dict) and "tables" in document:
        tables = document["tables"]
        if not isinstance(tables, dict) or len(tables) != 1:
            raise InputError("metadata must describe exactly one table", source=source)
        document = dict(next(iter(tables.values())))
    if not isinstance(document, dict) or not isinstance(document.get("columns"), dict):
        raise InputError("metadata has no 'columns' object", source=source)
    document["_source"] = source
    return document


def _looks_boolean(stripped: pd.Series) -> bool:
    """``stripped``: the column's distinct texts, stripped."""
    lowered = set(stripped.str.lower())
    return 0 < len(lowered) <= 2 and lowered <= (_TRUE | _FALSE) and not lowered <= {"1", "0", "1.0", "0.0"}


def _looks_datetime(values: pd.Series) -> bool:
    sample = values.astype(str).head(200)
    if not sample.str.contains(r"\d").all() or not sample.str.contains(r"[-/:T]").all():
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return parsed.notna().mean() >= 0.95


def infer_kind(column: pd.Series, source: str | None = None) -> str:
    """Guess one column's kind from train's values (``source`` names the file in errors)."""
    if pd.api.types.is_bool_dtype(column):
        return BOOLEAN
    if pd.api.types.is_datetime64_any_dtype(column):
        return DATETIME
    if pd.api.types.is_numeric_dtype(column):
        return NUMERIC
    present = column.dropna()
    if present.empty:
        return CATEGORICAL
    # the rules read each value's text, stripped: parsed once per distinct text (number
    # parsing of every cell was most of the time), then spread back to the rows
    codes, texts = pd.factorize(present.astype(str).to_numpy(dtype=object),
                                use_na_sentinel=False)
    stripped = pd.Series(texts, dtype=object).str.strip()
    is_number = pd.to_numeric(stripped, errors="coerce").notna().to_numpy()[codes]
    if is_number.all():
        return NUMERIC
    if is_number.mean() >= MOSTLY_NUMBERS and len(present) >= ID_LIKE_MIN_ROWS:
        bad = int((~is_number).argmax())
        row = int(column.index.get_loc(present.index[bad])) + 1
        raise InputError(
            f"holds numbers except {int((~is_number).sum())} value(s), first at data row "
            f"{row}{_what_it_looks_like(present.iloc[bad], str(column.name))}; fix them (an "
            "empty cell is a missing value), or declare the column's sdtype in --metadata",
            source=source, column=str(column.name))
    if _looks_boolean(stripped):
        return BOOLEAN
    if _looks_datetime(present):
        return DATETIME
    return CATEGORICAL


def _sdtype(name: str, spec: object, source: str | None) -> str:
    sdtype = str(spec.get("sdtype", "")).strip().lower() if isinstance(spec, dict) else ""
    if sdtype not in KNOWN_SDTYPES:
        shown = f"'{sdtype}'" if sdtype else "no sdtype"
        raise InputError(f"{shown} is not an SDV sdtype; known: {', '.join(KNOWN_SDTYPES)} "
                         "(other personal data: 'unknown')", source=source, column=name)
    return sdtype


def id_like(column: pd.Series, kind: str) -> str | None:
    """Why ``column`` (train's values, of ``kind``) names records rather than describing them,
    or None. Text: almost every value distinct; whole numbers: every value distinct."""
    present = column.dropna()
    if len(present) < ID_LIKE_MIN_ROWS:
        return None
    if kind == CATEGORICAL and present.nunique() >= ID_LIKE_UNIQUE_FRACTION * len(present):
        return "id-like: almost every value is distinct (pass metadata to override)"
    if kind == NUMERIC and present.is_unique and _whole_numbers(present):
        return "id-like: a whole number unique to every row (pass metadata to override)"
    return None


def decide_types(train: Table, metadata: dict | None = None, id_column: str | None = None
                 ) -> ColumnTypes:
    """Column kinds for the audit: metadata first, then inference on train for every column
    metadata does not name (the same rules as without metadata, id-like exclusion included)."""
    frame = train.frame
    kinds: dict[str, str] = {}
    excluded: dict[str, str] = {}
    formats: dict[str, str] = {}
    described: dict = {}
    if metadata is not None:
        source = metadata.get("_source")
        id_column = id_column or metadata.get("primary_key")
        described = metadata["columns"]
        for name, spec in described.items():
            if name not in frame.columns:
                raise InputError(f"metadata names a column that {train.source} does not have",
                                 source=source, column=name)
            sdtype = _sdtype(name, spec, source)
            if name == id_column:
                continue
            if sdtype in _SDV_KINDS:
                kinds[name] = _SDV_KINDS[sdtype]
                if sdtype == "datetime" and spec.get("datetime_format"):
                    formats[name] = spec["datetime_format"]
            elif sdtype == "id":
                excluded[name] = "sdtype 'id' in metadata"
            else:
                excluded[name] = f"sdtype '{sdtype}' (personal data a synthesizer replaces)"
    if id_column is not None and id_column not in frame.columns:
        raise InputError("id column not found", source=train.source, column=id_column)
    for name in frame.columns:
        if name == id_column or name in described:
            continue
        kind = infer_kind(frame[name], train.source)
        why = id_like(frame[name], kind)
        if why is not None:
            excluded[name] = why
        else:
            kinds[name] = kind
    if not kinds:
        raise InputError("no columns left to audit after excluding id and id-like columns",
                         source=train.source)
    whole = {name for name, kind in kinds.items() if kind == NUMERIC and _whole_numbers(frame[name])}
    record = None
    if metadata is not None:
        record = {"primary_key": metadata.get("primary_key"), "columns": {
            name: {"sdtype": _sdtype(name, spec, None)}
            | ({"datetime_format": spec["datetime_format"]} if spec.get("datetime_format") else {})
            for name, spec in described.items()}}
    return ColumnTypes(kinds=kinds, id_column=id_column, excluded=excluded,
                       from_metadata=metadata is not None, datetime_formats=formats,
                       whole_numbers=whole, metadata_record=record)


def _as_numbers(column: pd.Series) -> pd.Series:
    """float64 values of a numeric column, parsing text (with spaces) where it is text; values
    that are not numbers become NaN (the caller decides whether that is an error)."""
    if pd.api.types.is_bool_dtype(column):
        column = column.astype("float64")
    parsed = pd.to_numeric(column if pd.api.types.is_numeric_dtype(column)
                           else column.astype(str).str.strip().where(column.notna()),
                           errors="coerce")
    return parsed.astype("float64")


def _whole_numbers(column: pd.Series) -> bool:
    values = _as_numbers(column).to_numpy()
    finite = values[np.isfinite(values)]
    return finite.size > 0 and bool(np.all(finite == np.round(finite)))


def _first_bad(original: pd.Series, coerced: pd.Series) -> tuple[int, object, int]:
    """How many values did not coerce, the first of them and its data row (1 = first)."""
    bad = (original.notna() & coerced.isna()).to_numpy()
    if not bad.any():
        return 0, None, 0
    first = int(bad.argmax())
    return int(bad.sum()), original.iloc[first], first + 1


# Cells that mean "missing" in some exports but are not among pandas' missing-value spellings.
_MISSING_WORDS = {"-", "--", "?", "n.a.", "na.", "missing", "unknown", "none", ".", "(null)"}


def _what_it_looks_like(value: object, column: str) -> str:
    """A hint about a cell that did not coerce, without showing it (it may be a real record's
    value): what kind of mistake it looks like."""
    text = str(value).strip()
    if text == column:
        return "; it is the header's name: the header line is repeated inside the file"
    if re.fullmatch(r"[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?", text):
        return "; it is a number written with thousands separators: write it without them"
    if text.lower() in _MISSING_WORDS:
        return "; it looks like a word or sign for a missing value: leave such cells empty"
    if "\x00" in text:
        return "; it holds a NUL byte (a damaged export?)"
    return ""


def _cell_problem(table: Table, count: int, row: int, example: object, column: str) -> str:
    """``3 value(s) ..., first at data row 17`` and a hint; the value itself is shown only from
    the synthetic table (which is released anyway), never from train or holdout."""
    shown = f" ({_shown(example)})" if table.role == "synthetic" else ""
    return f"first at data row {row}{shown}{_what_it_looks_like(example, column)}"


def category_text(column: pd.Series) -> pd.Series:
    """Categories as text, so 3 (int), 3.0 (float from a column with gaps) and "3" agree."""
    if pd.api.types.is_bool_dtype(column):
        text = column.map({True: "true", False: "false"})
    elif pd.api.types.is_numeric_dtype(column):
        values = column.astype("float64")
        integral = np.isfinite(values) & (np.floor(values) == values)
        text = values.astype(str)
        text[integral] = values[integral].astype("int64").astype(str)
    else:  # each distinct text stripped once
        codes, texts = pd.factorize(column.astype(str).to_numpy(dtype=object),
                                    use_na_sentinel=False)
        stripped = np.array([t.strip() for t in texts] + [""], dtype=object)
        text = pd.Series(stripped[codes], index=column.index, dtype=object, name=column.name)
    return text.where(column.notna(), None).astype(object)


def coerce_table(table: Table, types: ColumnTypes) -> pd.DataFrame:
    """The audited columns of ``table`` in their kinds' working form.

    numeric, datetime (seconds since epoch) and boolean (0/1) become float64 with NaN for
    missing; categorical becomes text with None for missing. Missing values stay missing.
    """
    out: dict[str, pd.Series] = {}
    frame = table.frame
    for name, kind in types.kinds.items():
        column = frame[name]
        if kind == NUMERIC:
            coerced = _as_numbers(column)
            what = "numbers"
        elif kind == BOOLEAN:
            text = column.astype(str).str.strip().str.lower().where(column.notna())
            coerced = text.map(lambda v: 1.0 if v in _TRUE else (0.0 if v in _FALSE else np.nan))
            coerced = coerced.astype("float64")
            what = "true/false values"
        elif kind == DATETIME:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fmt = types.datetime_formats.get(name)
                if pd.api.types.is_datetime64_any_dtype(column):
                    stamps = column
                else:
                    # train's format for every input; value by value only when train itself
                    # has no single format (then there is nothing to hold the others to)
                    stamps = pd.to_datetime(column, errors="coerce", format=fmt or "mixed",
                                            utc=True)
            if getattr(stamps.dt, "tz", None) is None:
                stamps = stamps.dt.tz_localize("UTC")
            coerced = pd.Series(stamps.astype("int64") / 1e9, index=column.index)
            coerced[stamps.isna()] = np.nan
            what = ("dates/times in train's format " + ("ISO 8601" if fmt == ISO8601 else fmt)
                    if fmt else "dates/times")
        else:
            out[name] = category_text(column)
            continue
        count, example, row = _first_bad(column, coerced)
        if count:
            raise InputError(
                f"is {kind} in train but {count} value(s) here are not {what}, "
                + _cell_problem(table, count, row, example, name),
                source=table.source, column=name)
        infinite = np.isinf(coerced.to_numpy())
        if infinite.any():
            raise InputError(
                f"{int(infinite.sum())} value(s) here are infinite or beyond the largest number "
                f"(±1.8e308), first at data row {int(infinite.argmax()) + 1}; no distance to "
                "them can be measured: remove them, or leave the cells empty if they mean "
                "missing", source=table.source, column=name)
        out[name] = np.round(coerced) if name in types.whole_numbers else coerced
    return pd.DataFrame(out, index=frame.index)


def _shown(value: object) -> str:
    """A value as written in the file: 'forty', 27 (never np.int64(27))."""
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value) if isinstance(value, str) else str(value)


def record_names(table: Table, types: ColumnTypes) -> pd.Series:
    """How each record is named in outputs: its id, or '<role>:<row>' (row 1 = first data row)."""
    if types.id_column is not None and types.id_column in table.frame.columns:
        return category_text(table.frame[types.id_column]).fillna("").reset_index(drop=True)
    return pd.Series([f"{table.role}:{i + 1}" for i in range(table.rows)], dtype=object)


# Day/month orders a date column may be written in; the year-first ISO form is tried first.
_DAY_MONTH = [(f"%d{sep}%m{sep}{year}", f"%m{sep}%d{sep}{year}")
              for sep in "/-." for year in ("%Y", "%y")]
_TIMES = ("", " %H:%M", " %H:%M:%S")


def decide_datetime_formats(types: ColumnTypes, train: Table) -> None:
    """One format per text date column, so every value of every input is read the same way:
    the metadata's ``datetime_format`` when given, else the one format that reads all of
    train's values. A column that reads both day-first and month-first with different dates
    is refused, naming both readings. ISO 8601 columns are recorded as ``ISO8601`` (pandas'
    ISO parser): a release that writes them day/month/year is then refused, never re-guessed."""
    for name in types.of_kind(DATETIME):
        column = train.frame[name]
        if name in types.datetime_formats or pd.api.types.is_datetime64_any_dtype(column):
            continue
        found = infer_datetime_format(column, train.source, name)
        if found:
            types.datetime_formats[name] = found


def _reads_all(values: pd.Series, fmt: str) -> pd.Series | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(values, format=fmt, errors="coerce")
    return parsed if parsed.notna().all() else None


def infer_datetime_format(column: pd.Series, source: str, name: str) -> str | None:
    """The one format that reads every value of train's column (``ISO8601`` for ISO 8601
    dates), or None when no single format does."""
    values = pd.Series(column.dropna().astype(str).unique())
    if values.empty:
        return None
    if _reads_all(values, ISO8601) is not None:
        return ISO8601
    for day_first, month_first in _DAY_MONTH:
        for time in _TIMES:
            by_day = _reads_all(values, day_first + time)
            by_month = _reads_all(values, month_first + time)
            if by_day is not None and by_month is not None and not by_day.equals(by_month):
                example = values[by_day != by_month].iloc[0]
                day, month = by_day[values == example].iloc[0], by_month[values == example].iloc[0]
                raise InputError(
                    f"dates are ambiguous: every value reads day-first ({day_first + time}: "
                    f"'{example}' is {day:%d %B %Y}) and month-first ({month_first + time}: "
                    f"{month:%d %B %Y}); set datetime_format for it in the metadata",
                    source=source, column=name)
            if by_day is not None:
                return day_first + time
            if by_month is not None:
                return month_first + time
    return None  # mixed forms: coerce_table parses value by value and reports what fails
