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
    block = tables.block_of(columns)
    query = np.ascontiguousarray(tables.encoded[role][rows][:, block], dtype=np.float32)
    base = np.ascontiguousarray(tables.encoded["synthetic"][:, block], dtype=np.float32)
    return nearest(query, base, k).indices


def linked(tables: Tables, role: str, rows: np.ndarray, first, second, k: int) -> np.ndarray:
    one = nearest_rows(tables, role, rows, first, k)
    other = nearest_rows(tables, role, rows, second, k)
    return (one[:, :, None] == other[:, None, :]).any(axis=(1, 2))


def linkability(tables: Tables, members: np.ndarray, holdout: np.ndarray, *, first, second,
                neighbours: int, confidence: float) -> tuple[Linkability, np.ndarray, np.ndarray]:
    """The risk, and whether each member / holdout record was linked."""
    attack = linked(tables, "members", members, first, second, neighbours)
    control = linked(tables, "holdout", holdout, first, second, neighbours)
    risk = risk_of(int(attack.sum()), len(attack), int(control.sum()), len(control), confidence)
    return (Linkability(**vars(risk), first_columns=tuple(first), second_columns=tuple(second),
                        neighbours=neighbours), attack, control)
