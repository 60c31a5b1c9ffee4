"""The three EDPB risks of one release: which records, which columns, and the findings.

``assess`` samples as many members as holdout records (at most ``max_records`` of each; a
smaller table is easier to single out in and to guess within, so the two sides must match),
then runs singling out, linkability and inference on them. Defaults (``EdpbSettings``):

* known columns (what the attacker knows): every audited column;
* secret columns (what inference guesses): every audited column in turn, from the known
  columns other than itself;
* linkability: the known columns cut in two halves in table order (the first half held in one
  place, the second in another).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthcheck.edpb.inference import TOLERANCE, Inference, guesses, inference
from synthcheck.edpb.linkability import Linkability, linkability
from synthcheck.edpb.singling_out import SinglingOut, singling_out
from synthcheck.edpb.tables import make_tables
from synthcheck.support.randomness import rng

MAX_RECORDS = 2000  # members and holdout records each
UNIVARIATE = 500  # singling-out predicates asked for
MULTIVARIATE = 500
COLUMNS_PER_PREDICATE = 3
NEIGHBOURS = 1  # linkability: the pieces share one of their nearest synthetic rows

METHOD = (
    "Singling out, linkability and inference (Article 29 Working Party Opinion 05/2014; "
    "anonymeter's attacks), each run on members and on as many holdout records with the same "
    "release. Risk = (attack rate - control rate) / (1 - control rate), the holdout being the "
    "control; rates have Clopper-Pearson intervals at 1 - (1 - confidence) / 2 each and the "
    "risk's interval is the formula at their corners. Singling out: predicates read off the "
    "release that isolate one of its rows (univariate: values it holds once and its unique "
    "extremes; multivariate: 3 columns of a random row, == for categories, >= or <= the value "
    "for numbers above or below the median), a success when exactly one record satisfies it. "
    "Linkability: two column sets matched to their nearest synthetic rows separately, a "
    "success when they meet. Inference: a secret column guessed from the nearest synthetic row "
    "on the known columns, right when equal or, for numbers, within the tolerance x the smaller "
    "of |secret| and the column's standard deviation in the release (dates exactly). "
    "Missing values equal missing values; neighbour searches are the audit's exact ones.")


@dataclass(frozen=True)
class EdpbSettings:
    """What the attacker knows and wants (None: the defaults above), and the attacks' sizes."""

    known_columns: tuple[str, ...] | None = None
    secret_columns: tuple[str, ...] | None = None
    max_records: int = MAX_RECORDS
    univariate: int = UNIVARIATE
    multivariate: int = MULTIVARIATE
    columns_per_predicate: int = COLUMNS_PER_PREDICATE
    neighbours: int = NEIGHBOURS
    tolerance: float = TOLERANCE


@dataclass(frozen=True)
class Edpb:
    """results.json's ``edpb``: the three risks, on ``records`` members and as many holdout
    records, each with its interval at ``level``."""

    method: str
    records: int
    level: float
    known_columns: tuple[str, ...]
    secret_columns: tuple[str, ...]
    singling_out: SinglingOut
    linkability: Linkability | None
    inference: dict[str, Inference]
    #: what could not be run and why (linkability with fewer than two known columns, ...)
    not_run: dict[str, str]

    def risks(self) -> dict[str, Inference | Linkability | SinglingOut]:
        """Every risk by a display name: singling out, linkability, inference of each secret."""
        found: dict = {"singling out": self.singling_out}
        if self.linkability is not None:
            found["linkability"] = self.linkability
        found |= {f"inference of {name}": risk for name, risk in self.inference.items()}
        return found


@dataclass(frozen=True)
class EdpbRecords:
    """Per candidate (train rows first, then holdout rows, as the audit's records): NaN where
    the record was not sampled. For the data owner only."""

    singled_out: np.ndarray  # predicates singling the record out
    linked: np.ndarray  # 1: its two pieces were linked
    inferred: np.ndarray  # secrets guessed right


def resolve_columns(columns: list[str], settings: EdpbSettings
                    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The known and secret columns (the defaults resolved), in table order."""
    known = settings.known_columns or tuple(columns)
    secrets = settings.secret_columns or tuple(columns)
    return (tuple(c for c in columns if c in known), tuple(c for c in columns if c in secrets))


def assess(encoder, kinds: dict[str, str], synthetic, encoded_synthetic: np.ndarray,
           candidates, encoded_candidates: np.ndarray, is_member: np.ndarray, *, seed: int,
           confidence: float, settings: EdpbSettings = EdpbSettings(), prepared=None
           ) -> tuple[Edpb, EdpbRecords]:
    """The three risks of the release ``synthetic`` for the ``candidates`` (typed audited
    columns; ``is_member`` marks the train rows) and the per-record findings. ``prepared``:
    ``encoded_synthetic`` cut into cells (``distance.neighbours.prepare``), when the audit
    has them: every search here then reuses them."""
    member_rows, holdout_rows = np.flatnonzero(is_member), np.flatnonzero(~is_member)
    generator = rng(seed, "edpb")
    n = min(len(member_rows), len(holdout_rows), settings.max_records)
    members = np.sort(generator.choice(member_rows, n, replace=False))
    holdout = np.sort(generator.choice(holdout_rows, n, replace=False))
    tables = make_tables(encoder, kinds,
                         {"synthetic": encoded_synthetic, "members": encoded_candidates[members],
                          "holdout": encoded_candidates[holdout]},
                         {"synthetic": synthetic, "members": candidates.iloc[members],
                          "holdout": candidates.iloc[holdout]}, prepared)
    sides = {"members": np.arange(n), "holdout": np.arange(n)}
    known, secrets = resolve_columns(list(tables.columns), settings)
    records = EdpbRecords(*(np.full(len(is_member), np.nan) for _ in range(3)))
    not_run = {}
    single, on_members, on_holdout = singling_out(
        tables, sides["members"], sides["holdout"], univariate=settings.univariate,
        multivariate=settings.multivariate, width=settings.columns_per_predicate,
        generator=generator, confidence=confidence)
    records.singled_out[members], records.singled_out[holdout] = on_members, on_holdout
    linked = None
    if len(known) >= 2:
        half = (len(known) + 1) // 2
        linked, on_members, on_holdout = linkability(
            tables, sides["members"], sides["holdout"], first=known[:half], second=known[half:],
            neighbours=settings.neighbours, confidence=confidence)
        records.linked[members], records.linked[holdout] = on_members, on_holdout
    else:
        not_run["linkability"] = "needs at least two known columns"
    inferred = {}
    records.inferred[members], records.inferred[holdout] = 0.0, 0.0
    guessable = [s for s in secrets if [c for c in known if c != s]]
    guessed_rows, _ = guesses(tables, sides, guessable, known) if guessable else ({}, {})
    for secret in secrets:
        if secret not in guessed_rows:
            not_run[f"inference of {secret}"] = "no known column other than the secret"
            continue
        inferred[secret], on_members, on_holdout = inference(
            tables, sides["members"], sides["holdout"], secret=secret, known=known,
            tolerance=settings.tolerance, confidence=confidence,
            guessed_rows=guessed_rows[secret])
        records.inferred[members] += on_members
        records.inferred[holdout] += on_holdout
    return (Edpb(method=METHOD, records=int(n), level=confidence, known_columns=known,
                 secret_columns=secrets, singling_out=single, linkability=linked,
                 inference=inferred, not_run=not_run), records)
