"""The three tables an EDPB attack reads (release, members, holdout), column by column.

Each column gets integer ``levels`` shared by the three tables, equal exactly where the values
are, two missing values included (anonymeter counts them as different). A categorical column's
levels come from its block of the audit's encoding (``MixedEncoder.column_blocks``: one-hot or
hashed vectors, missing a level of its own); a numeric column's (numbers, dates, booleans) from
its values in float64, which the float32 encoding would round together (two incomes a dollar
apart). Numeric columns also keep their values (NaN for missing) for the range predicates of
singling out and the relative error of inference.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from synthcheck.distance.neighbours import PreparedBase, restricted
from synthcheck.inputs.columns import CATEGORICAL

ROLES = ("synthetic", "members", "holdout")


@dataclass(frozen=True)
class Tables:
    """``levels[role]``: (rows, columns) int64, equal exactly where the values are;
    ``values[role]``: (rows, columns) float64, the value of numeric columns (NaN: missing or
    not numeric); ``encoded[role]`` the encoding (for neighbour searches); ``blocks`` each
    column's slice of it; ``numeric`` which columns are ordered."""

    columns: tuple[str, ...]
    numeric: np.ndarray
    kinds: tuple[str, ...]
    blocks: dict[str, slice]
    levels: dict[str, np.ndarray]
    values: dict[str, np.ndarray]
    encoded: dict[str, np.ndarray]
    #: ``distance.neighbours.prepare(encoded["synthetic"])``, shared with the audit's searches
    prepared: PreparedBase | None = None

    def rows(self, role: str) -> int:
        return len(self.levels[role])

    def index(self, names) -> list[int]:
        return [self.columns.index(n) for n in names]

    def synthetic_on(self, names) -> tuple[np.ndarray, PreparedBase | None]:
        """The release's encoding on the blocks of columns ``names`` (float32, contiguous),
        and its cells for the pruned search (the shared ones, projected), if prepared."""
        block = self.block_of(names)
        base = np.ascontiguousarray(self.encoded["synthetic"][:, block], dtype=np.float32)
        return base, None if self.prepared is None else restricted(self.prepared, block)

    def block_of(self, names) -> np.ndarray:
        """Positions in the encoding of the blocks of columns ``names``."""
        return np.concatenate([np.arange(self.blocks[n].start, self.blocks[n].stop)
                               for n in names])


def make_tables(encoder, kinds: dict[str, str], encoded: dict[str, np.ndarray],
                typed: dict[str, pd.DataFrame], prepared: PreparedBase | None = None) -> Tables:
    """``encoded`` and ``typed``: for each role in ``ROLES``, the encoding and the typed
    audited columns (``inputs.columns.coerce_table``) of the same rows; ``prepared``: the
    release's encoding cut into cells (``distance.neighbours.prepare``), when at hand."""
    blocks = dict(encoder.column_blocks())
    columns = tuple(blocks)
    sizes = [len(encoded[role]) for role in ROLES]
    cuts = np.cumsum(sizes)[:-1]
    levels = {role: np.empty((n, len(columns)), np.int64) for role, n in zip(ROLES, sizes)}
    values = {role: np.full((n, len(columns)), np.nan) for role, n in zip(ROLES, sizes)}
    numeric = np.array([kinds[c] != CATEGORICAL for c in columns])
    for j, name in enumerate(columns):
        if numeric[j]:
            for role in ROLES:
                values[role][:, j] = typed[role][name].to_numpy(dtype=np.float64)
            stacked = np.concatenate([values[role][:, j] for role in ROLES])
            _, inverse = np.unique(stacked, return_inverse=True)  # NaNs are one level
        else:
            stacked = np.concatenate([encoded[role][:, blocks[name]] for role in ROLES])
            inverse = _row_levels(stacked)
        for role, part in zip(ROLES, np.split(inverse.reshape(-1), cuts)):
            levels[role][:, j] = part
    return Tables(columns, numeric, tuple(kinds[c] for c in columns), blocks, levels, values,
                  dict(encoded), prepared)


def _row_levels(rows: np.ndarray) -> np.ndarray:
    """Each row's rank among the distinct rows in lexicographic order: ``np.unique(rows,
    axis=0, return_inverse=True)``'s inverse, by one stable sort per coordinate (``np.unique``
    sorts whole rows as records, ten times slower on a million one-hot rows)."""
    if rows.shape[1] == 0:
        return np.zeros(len(rows), dtype=np.int64)
    order = np.lexsort(rows.T[::-1])
    ordered = rows[order]
    new = np.r_[True, (ordered[1:] != ordered[:-1]).any(axis=1)]
    levels = np.empty(len(rows), dtype=np.int64)
    levels[order] = np.cumsum(new) - 1
    return levels
