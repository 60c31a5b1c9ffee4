"""Checks on the inputs as a whole, before any attack runs; each failure is one clear line."""
from __future__ import annotations

import difflib
import re

import numpy as np
import pandas as pd

from synthcheck.errors import InputError
from synthcheck.inputs.columns import CATEGORICAL, ColumnTypes
from synthcheck.inputs.load import Table

# Below this, cross-fitted references (folds of the holdout) and an AUC interval are not
# meaningful; the number is a floor, the policy may still find the result INCONCLUSIVE.
MIN_HOLDOUT_PER_FOLD = 10
MIN_HOLDOUT = 50
MIN_REFERENCE = MIN_HOLDOUT  # --reference records: the holdout's integrity check scores them


MIN_SYNTHETIC = 50  # rows: the encoding and densities fitted on the release need a sample


def _names(columns) -> str:
    shown = ", ".join(f"'{c}'" for c in list(columns)[:5])
    return shown + (f" and {len(columns) - 5} more" if len(columns) > 5 else "")


def check_columns(train: Table, others: list[Table], types: ColumnTypes) -> None:
    """Every input must carry train's columns (the id column is optional in synthetic data)."""
    expected = [c for c in train.frame.columns]
    for table in others:
        present = set(table.frame.columns)
        optional = {types.id_column} | set(types.excluded) if table.role == "synthetic" else set()
        missing = [c for c in expected if c not in present and c not in optional]
        extra = [c for c in table.frame.columns if c not in set(expected)]
        if missing:
            raise InputError(f"missing column(s) {_names(missing)} that train has"
                             f"{_near_miss(missing[0], extra)}",
                             source=table.source, column=missing[0])
        if extra:
            raise InputError(f"has column(s) {_names(extra)} that train does not",
                             source=table.source, column=extra[0])


def _near_miss(name: str, candidates: list[str]) -> str:
    """' (it has 'Age': names are case-sensitive)', or a close spelling, or nothing."""
    same = [c for c in candidates if c.strip().lower() == name.strip().lower()]
    if same:
        return f" (this file has '{same[0]}': names are compared exactly, case included)"
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""


# Refuse a surprising input only when chance cannot explain it: below this probability.
CHANCE = 1e-6


def check_filled_columns(tables: list[Table], types: ColumnTypes) -> None:
    """A column with no value at all in one input but values in another is a broken export,
    not missing data: refuse it, naming where it is empty. A column that is nearly always
    missing may be empty in one input by chance; that is accepted (the probability of so many
    missing values in a row, at the others' fill rate, must be below ``CHANCE`` to refuse)."""
    for name in types.columns:
        empty = [t for t in tables if t.frame[name].isna().all()]
        if not empty or len(empty) == len(tables):
            continue
        filled = [t for t in tables if t not in empty]
        rate = sum(int(t.frame[name].notna().sum()) for t in filled) / sum(t.rows for t in filled)
        if (1 - rate) ** min(t.rows for t in empty) < CHANCE:
            raise InputError(f"every value is missing here, but "
                             f"{' and '.join(t.role for t in filled)} has values",
                             source=empty[0].source, column=name)


def check_shared_categories(train: pd.DataFrame, other: pd.DataFrame, table: Table,
                            types: ColumnTypes) -> None:
    """Categorical columns (typed, see columns.coerce_table) must share at least one level with
    train; `MALE` against `Male` would make every record look far from every other. Refused
    only when chance cannot explain it: with train's coverage of its own levels estimated by
    Good-Turing (1 - share of levels seen once), no shared value among this many values must
    be less likely than ``CHANCE``."""
    for name in types.of_kind(CATEGORICAL):
        theirs = train[name].dropna()
        ours = set(other[name].dropna().unique())  # distinct values by hashing, in C
        if not ours or theirs.empty or ours & set(theirs.unique()):
            continue
        coverage = 1 - int((theirs.value_counts() == 1).sum()) / len(theirs)
        if (1 - coverage) ** int(other[name].notna().sum()) >= CHANCE:
            continue
        folded = {v.lower() for v in ours} & {v.lower() for v in set(theirs)}
        if folded:
            hint = " (they differ only in upper/lower case)"
        else:
            hint = generated_column_hint(name)
        # only a released value is shown: train's are real records'
        shown = f" (e.g. '{min(ours)}' here)" if table.role == "synthetic" else ""
        raise InputError(f"no value here is one of train's{shown}{hint}", source=table.source,
                         column=name)


#: Column-name words that SDV's metadata detection takes for personal data (which its
#: synthesizers replace with Faker values by default), and the sdtype it gives them.
_PERSONAL_NAMES = (
    (("email",), "email"), (("phone", "mobile", "fax"), "phone_number"), (("ssn",), "ssn"),
    (("first_name", "firstname", "given_name"), "first_name"),
    (("last_name", "lastname", "surname", "family_name"), "last_name"),
    (("street", "address"), "street_address"), (("city", "town"), "city"),
    (("state_abbr",), "state_abbr"), (("state", "province", "region", "county"),
                                       "administrative_unit"),
    (("zip", "postcode", "postal"), "postcode"), (("country",), "country_code"),
    (("iban",), "iban"), (("swift", "bic"), "swift11"), (("plate",), "license_plate"),
    (("vin",), "vin"), (("ip_address", "ipv4", "ip"), "ipv4_address"), (("mac",), "mac_address"),
    (("credit_card", "card_number"), "credit_card_number"), (("user_agent",), "user_agent_string"),
    (("name",), "name"), (("id", "uuid", "key", "number", "code"), "id"))


def personal_sdtype(column: str) -> str | None:
    """The sdtype SDV's detection would likely give a column of this name, or None."""
    words = [w for w in re.split(r"[^a-z0-9]+", column.lower()) if w]
    joined = "_".join(words)
    for keys, sdtype in _PERSONAL_NAMES:
        if any(key == joined or key in words or ("_" in key and key in joined) for key in keys):
            return sdtype
    return None


def generated_column_hint(column: str) -> str:
    """Why a released column may share no value with train: its generator wrote it from
    scratch (SDV replaces personal-data and id columns with Faker values by default), and how
    to audit it then."""
    sdtype = personal_sdtype(column)
    guess = (f"; the column looks like personal data (SDV's sdtype '{sdtype}')" if sdtype
             else "")
    return (f"{guess}. If the generator wrote this column from scratch (SDV does so, with "
            "Faker values, for columns its metadata calls personal data or ids), declare it in "
            "--metadata with that sdtype" + (f" ('{sdtype}')" if sdtype else " (e.g. 'id')") +
            ": it is then left out of the distances and its values checked for verbatim "
            "copies. If the generator should have learned it, fit it with the column as "
            "'categorical' in SDV's metadata")


def check_synthetic_size(table: Table) -> None:
    if table.rows < MIN_SYNTHETIC:
        raise InputError(f"synthetic table has {table.rows} row(s); at least {MIN_SYNTHETIC} are "
                         "needed to audit it", source=table.source)


def duplicated_records(typed: pd.DataFrame) -> int:
    """Rows equal (in every audited column) to an earlier row of the same table."""
    return int(pd.util.hash_pandas_object(typed, index=False).duplicated().sum())


def check_ids(tables: list[Table], types: ColumnTypes) -> None:
    """Record ids name records in every output, so they must exist and be unique. Messages
    give data row numbers, never the ids themselves (error lines end up in shared CI logs)."""
    if types.id_column is None:
        return
    seen: dict[str, tuple[str, int]] = {}
    for table in tables:
        ids = table.frame[types.id_column]
        if ids.isna().any():
            raise InputError(f"{int(ids.isna().sum())} record(s) have no id (first: data row "
                             f"{int(ids.isna().to_numpy().argmax()) + 1})",
                             source=table.source, column=types.id_column)
        text = ids.astype(str).reset_index(drop=True)
        repeated = text[text.duplicated()]
        if len(repeated):
            first = int(text[text == repeated.iloc[0]].index[0])
            raise InputError(f"data rows {first + 1} and {int(repeated.index[0]) + 1} have the "
                             "same id; each record needs its own",
                             source=table.source, column=types.id_column)
        for row, value in enumerate(text):
            if value in seen:
                role, other = seen[value]
                raise InputError(f"data row {row + 1} has the id of {role}'s data row "
                                 f"{other + 1}; train and holdout records must differ",
                                 source=table.source, column=types.id_column)
        seen.update({value: (table.role, row) for row, value in enumerate(text)})


def overlapping_rows(train: pd.DataFrame, holdout: pd.DataFrame) -> pd.Series:
    """Mask over holdout rows whose audited values equal some train row."""
    train_hashes = pd.util.hash_pandas_object(train, index=False)
    holdout_hashes = pd.util.hash_pandas_object(holdout, index=False)
    return holdout_hashes.isin(set(train_hashes.to_numpy())).reset_index(drop=True)


def same_records(train: Table, holdout: Table, overlap: pd.Series) -> pd.Series:
    """Of the holdout rows that equal a train row on the audited columns (``overlap``), those
    that also equal it on every other column of the file (id, excluded columns): the same
    record in both tables. The others are natural duplicates: different records (another id,
    another value of an excluded column) that happen to agree on what is audited."""
    from synthcheck.inputs.columns import category_text

    names = list(train.frame.columns)

    def full_hashes(frame: pd.DataFrame) -> pd.Series:
        text = pd.DataFrame({n: category_text(frame[n].reset_index(drop=True)) for n in names})
        return pd.util.hash_pandas_object(text, index=False).reset_index(drop=True)

    if not overlap.any():
        return overlap
    identical = full_hashes(holdout.frame).isin(set(full_hashes(train.frame).to_numpy()))
    return overlap & identical


def check_overlap(holdout: Table, same: pd.Series) -> None:
    """Refuse holdout rows that are train records (identical in every column), counting them
    all and naming the first few data rows (never their values)."""
    count = int(same.sum())
    if count:
        rows = [str(i + 1) for i in np.flatnonzero(same.to_numpy())[:5]]
        more = ", ..." if count > len(rows) else ""
        raise InputError(
            f"{count} holdout row(s) are identical to a train row in every column (data rows "
            f"{', '.join(rows)}{more}); members and non-members must be different records. "
            "Remove them, or pass --drop-overlap to drop them from the holdout",
            source=holdout.source)


def holdout_needed(folds: int) -> int:
    """The fewest non-members an audit with ``folds`` cross-fitted folds can score."""
    return max(MIN_HOLDOUT, MIN_HOLDOUT_PER_FOLD * folds)


def check_holdout_size(holdout_rows: int, folds: int, source: str) -> None:
    needed = holdout_needed(folds)
    if holdout_rows < needed:
        raise InputError(
            f"holdout has {holdout_rows} rows; at least {needed} are needed for {folds} "
            "cross-fitted reference folds and a ROC AUC interval", source=source)
