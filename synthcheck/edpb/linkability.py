"""Linkability (anonymeter's design): can two pieces of a person's record, held apart, be
joined through the release?

The attacker holds the ``first`` columns of a record in one place and the ``second`` columns in
another. Each piece is matched to its nearest synthetic rows on its own columns (the audit's
encoding and exact neighbour search); the pieces are linked when they share one of their
``neighbours`` nearest synthetic rows. The attack rate is the share of members linked, the
control rate the share of holdout records linked.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthcheck.distance.neighbours import nearest
from synthcheck.edpb.risk import Risk, risk_of
from synthcheck.edpb.tables import Tables


@dataclass(frozen=True)
class Linkability(Risk):
    first_columns: tuple[str, ...] = ()
    second_columns: tuple[str, ...] = ()
    neighbours: int = 1


def nearest_rows(tables: Tables, role: str, rows: np.ndarray, columns, k: int) -> np.ndarray:
    """The ``k`` nearest synthetic rows of each of ``rows`` of ``role`` on ``columns`` only."""
    return nearest_rows_of(tables, {role: rows}, columns, k)[role]


def nearest_rows_of(tables: Tables, rows: dict[str, np.ndarray], columns, k: int
                    ) -> dict[str, np.ndarray]:
    """``nearest_rows`` for several roles' rows (role -> rows) in one search."""
    block = tables.block_of(columns)
    query = np.vstack([tables.encoded[role][chosen][:, block] for role, chosen in rows.items()])
    base, prepared = tables.synthetic_on(columns)
    # one neighbour: the lowest of equally near rows, so a link never hangs on the search's
    # internals (two pieces tied between the same copies meet on the same row)
    found = nearest(np.ascontiguousarray(query, dtype=np.float32), base, k,
                    prepared=prepared, lowest_of_ties=k == 1).indices
    cuts = np.cumsum([len(chosen) for chosen in rows.values()])[:-1]
    return dict(zip(rows, np.split(found, cuts)))


def linkability(tables: Tables, members: np.ndarray, holdout: np.ndarray, *, first, second,
                neighbours: int, confidence: float) -> tuple[Linkability, np.ndarray, np.ndarray]:
    """The risk, and whether each member / holdout record was linked (one search per piece
    for the members and the holdout together)."""
    rows = {"members": members, "holdout": holdout}
    one = nearest_rows_of(tables, rows, first, neighbours)
    other = nearest_rows_of(tables, rows, second, neighbours)
    attack, control = ((one[role][:, :, None] == other[role][:, None, :]).any(axis=(1, 2))
                       for role in rows)
    risk = risk_of(int(attack.sum()), len(attack), int(control.sum()), len(control), confidence)
    return (Linkability(**vars(risk), first_columns=tuple(first), second_columns=tuple(second),
                        neighbours=neighbours), attack, control)
