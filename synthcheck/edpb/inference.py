"""Attribute inference (anonymeter's design): knowing some columns of a person, guess a secret
column from the nearest synthetic row on the known ones.

A guess is right when it equals the secret (two missing values are equal) or, for a number
``s``, when ``|guess - s| <= tolerance x min(|s|, spread)``: relative to the secret, not to the
guess as anonymeter 1.1 does (where every negative guess counts as right), and never wider than
that share of the column's spread in the release (its standard deviation): 5 % of a year
written as a number, 2010, is a century, which every guess meets (the benchmark's gss_wages
"year": control rate 1, risk unmeasurable, where anonymeter's exact match found 0.51). Dates and
booleans must be equal: 5 % of seconds since 1970 is years. The attack rate is the
share of members whose secret is guessed, the control rate the same on the holdout: the
holdout's rate is what the population's regularities give anyone.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthcheck.distance.leave_out import nearest_without_each
from synthcheck.distance.neighbours import nearest
from synthcheck.edpb.linkability import nearest_rows
from synthcheck.edpb.risk import Risk, risk_of
from synthcheck.edpb.tables import Tables
from synthcheck.inputs.columns import NUMERIC

TOLERANCE = 0.05  # a numeric guess within 5 % of the secret is right (anonymeter's default)


@dataclass(frozen=True)
class Inference(Risk):
    known_columns: tuple[str, ...] = ()
    tolerance: float | None = None  # None: the secret is categorical (exact match)


def guessed(tables: Tables, role: str, rows: np.ndarray, secret: str, known, tolerance: float,
            guess: np.ndarray | None = None) -> np.ndarray:
    """Whether each of ``rows`` of ``role`` has its ``secret`` guessed from its nearest
    synthetic row on ``known`` (``guess``: those rows, when already found by ``guesses``)."""
    j = tables.columns.index(secret)
    if guess is None:
        guess = nearest_rows(tables, role, rows, known, 1)[:, 0]
    right = tables.levels["synthetic"][guess, j] == tables.levels[role][rows, j]
    if tables.kinds[j] == NUMERIC:
        truth, value = tables.values[role][rows, j], tables.values["synthetic"][guess, j]
        spread = float(np.nanstd(tables.values["synthetic"][:, j]))
        with np.errstate(invalid="ignore"):
            right |= np.abs(value - truth) <= tolerance * np.minimum(np.abs(truth), spread)
    return right


def guesses(tables: Tables, rows: dict[str, np.ndarray], secrets, known
            ) -> tuple[dict[str, dict[str, np.ndarray]], dict]:
    """For each secret, each role's guessed synthetic rows (``rows``: role -> its rows): the
    nearest on the known columns other than the secret. One search under every known column
    for every role's rows at once serves every secret (``distance.leave_out``: exact, searched
    again where its proof fails), and how many answers were proven, how many searched again."""
    known = tuple(known)
    roles = list(rows)
    query = np.vstack([tables.encoded[role][rows[role]] for role in roles])
    query = np.ascontiguousarray(query[:, tables.block_of(known)], dtype=np.float32)
    base, prepared = tables.synthetic_on(known)
    widths = [tables.blocks[c].stop - tables.blocks[c].start for c in known]
    starts = np.r_[0, np.cumsum(widths)[:-1]].astype(np.int64)
    left_out = [s for s in secrets if s in known and len(known) > 1]
    found = {}
    counts: dict = {}
    if left_out:
        chosen, counts = nearest_without_each(query, base, starts,
                                              [known.index(s) for s in left_out],
                                              prepared=prepared)
        found = {s: chosen[:, i] for i, s in enumerate(left_out)}
    if any(s not in known for s in secrets):  # the secret is not known: nearest on every known
        whole = nearest(query, base, 1, prepared=prepared, lowest_of_ties=True).indices[:, 0]
        found |= {s: whole for s in secrets if s not in known}
    cuts = np.cumsum([len(rows[role]) for role in roles])[:-1]
    return ({s: dict(zip(roles, np.split(chosen, cuts))) for s, chosen in found.items()},
            counts)


def inference(tables: Tables, members: np.ndarray, holdout: np.ndarray, *, secret: str, known,
              tolerance: float = TOLERANCE, confidence: float,
              guessed_rows: dict[str, np.ndarray] | None = None
              ) -> tuple[Inference, np.ndarray, np.ndarray]:
    """The risk for ``secret``, and whether each member / holdout record's secret was guessed
    (``guessed_rows``: role -> the synthetic rows guessed, from ``guesses``; else searched)."""
    known = tuple(c for c in known if c != secret)
    chosen = guessed_rows or {}
    attack = guessed(tables, "members", members, secret, known, tolerance, chosen.get("members"))
    control = guessed(tables, "holdout", holdout, secret, known, tolerance,
                      chosen.get("holdout"))
    risk = risk_of(int(attack.sum()), len(attack), int(control.sum()), len(control), confidence)
    numeric = tables.kinds[tables.columns.index(secret)] == NUMERIC
    return (Inference(**vars(risk), known_columns=known,
                      tolerance=tolerance if numeric else None), attack, control)
