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

from synthcheck.edpb.linkability import nearest_rows
from synthcheck.edpb.risk import Risk, risk_of
from synthcheck.edpb.tables import Tables
from synthcheck.inputs.columns import NUMERIC

TOLERANCE = 0.05  # a numeric guess within 5 % of the secret is right (anonymeter's default)


@dataclass(frozen=True)
class Inference(Risk):
    known_columns: tuple[str, ...] = ()
    tolerance: float | None = None  # None: the secret is categorical (exact match)


def guessed(tables: Tables, role: str, rows: np.ndarray, secret: str, known, tolerance: float
            ) -> np.ndarray:
    """Whether each of ``rows`` of ``role`` has its ``secret`` guessed from its nearest
    synthetic row on ``known``."""
    j = tables.columns.index(secret)
    guess = nearest_rows(tables, role, rows, known, 1)[:, 0]
    right = tables.levels["synthetic"][guess, j] == tables.levels[role][rows, j]
    if tables.kinds[j] == NUMERIC:
        truth, value = tables.values[role][rows, j], tables.values["synthetic"][guess, j]
        spread = float(np.nanstd(tables.values["synthetic"][:, j]))
        with np.errstate(invalid="ignore"):
            right |= np.abs(value - truth) <= tolerance * np.minimum(np.abs(truth), spread)
    return right


def inference(tables: Tables, members: np.ndarray, holdout: np.ndarray, *, secret: str, known,
              tolerance: float = TOLERANCE, confidence: float
              ) -> tuple[Inference, np.ndarray, np.ndarray]:
    """The risk for ``secret``, and whether each member / holdout record's secret was guessed."""
    known = tuple(c for c in known if c != secret)
    attack = guessed(tables, "members", members, secret, known, tolerance)
    control = guessed(tables, "holdout", holdout, secret, known, tolerance)
    risk = risk_of(int(attack.sum()), len(attack), int(control.sum()), len(control), confidence)
    numeric = tables.kinds[tables.columns.index(secret)] == NUMERIC
    return (Inference(**vars(risk), known_columns=known,
                      tolerance=tolerance if numeric else None), attack, control)
