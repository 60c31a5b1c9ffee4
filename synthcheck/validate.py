"""Checks on the inputs as a whole, before any attack runs; each failure is one clear line."""
from __future__ import annotations

import pandas as pd

from synthcheck.columns import ColumnTypes
from synthcheck.errors import InputError
from synthcheck.load import Table

# Below this, cross-fitted references (folds of the holdout) and an AUC interval are not
# meaningful; the number is a floor, the policy may still find the result INCONCLUSIVE.
MIN_HOLDOUT_PER_FOLD = 10
MIN_HOLDOUT = 50


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
            raise InputError(f"missing column(s) {_names(missing)} that train has",
                             source=table.source, column=missing[0])
        if extra:
            raise InputError(f"has column(s) {_names(extra)} that train does not",
                             source=table.source, column=extra[0])


def check_ids(tables: list[Table], types: ColumnTypes) -> None:
    """Record ids name records in every output, so they must exist and be unique."""
    if types.id_column is None:
        return
    seen: dict[str, str] = {}
    for table in tables:
        ids = table.frame[types.id_column]
        if ids.isna().any():
            raise InputError(f"{int(ids.isna().sum())} record(s) have no id",
                             source=table.source, column=types.id_column)
        text = ids.astype(str)
        repeated = text[text.duplicated()]
        if len(repeated):
            raise InputError(f"id {repeated.iloc[0]!r} is used by more than one record",
                             source=table.source, column=types.id_column)
        clash = [v for v in text if v in seen]
        if clash:
            raise InputError(f"id {clash[0]!r} is in both {seen[clash[0]]} and {table.role}",
                             source=table.source, column=types.id_column)
        seen.update(dict.fromkeys(text, table.role))


def overlapping_rows(train: pd.DataFrame, holdout: pd.DataFrame) -> pd.Series:
    """Mask over holdout rows whose audited values equal some train row."""
    train_hashes = pd.util.hash_pandas_object(train, index=False)
    holdout_hashes = pd.util.hash_pandas_object(holdout, index=False)
    return holdout_hashes.isin(set(train_hashes.to_numpy())).reset_index(drop=True)


def check_overlap(holdout: Table, overlap: pd.Series) -> None:
    count = int(overlap.sum())
    if count:
        raise InputError(
            f"{count} holdout row(s) also appear in train (same values in every audited column); "
            "members and non-members must be different records. Remove them, or pass "
            "--drop-overlap to drop them from the holdout",
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
