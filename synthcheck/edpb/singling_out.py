"""Singling out: predicates read off the release that isolate one of its rows, asked of the
members and of the holdout.

A predicate is a conjunction of conditions on columns: ``column == value`` (a level, so two
missing values are equal) or, on an ordered column, ``column >= value`` / ``column <= value``.

* univariate: one condition per predicate, from values the release holds once (a value only one
  synthetic row has) and its unique extremes (``<= min``, ``>= max``: what SDV's
  ``enforce_min_max_values`` copies from the training data);
* multivariate (anonymeter's design): a random synthetic row and ``columns`` random columns of
  it; a categorical or missing value gives ``==``, a number at or above the release's median
  ``>=``, below it ``<=``. Kept when it isolates exactly that row of the release, once.

A predicate singles out a record when exactly one record of the table it is asked of satisfies
it. The attack rate is the share of predicates that single out a member (among the members
sampled), the control rate the share that single out a holdout record (among as many holdout
records: a smaller table is easier to single out in, so the two tables have the same size).
Every predicate is evaluated on whole tables at once (a chunk of predicates x rows of
booleans), never one record at a time.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthcheck.edpb.risk import Risk, risk_of
from synthcheck.edpb.tables import Tables
from synthcheck.support.codec import section
from synthcheck.support.parallel import cores, map_blocks

EQUAL, AT_LEAST, AT_MOST = 0, 1, 2
UNUSED = -1
UNIVARIATE, MULTIVARIATE = 0, 1
CELLS_PER_CHUNK = 4_000_000  # predicates x rows evaluated at once
MULTIVARIATE_ATTEMPTS = 50  # x the predicates asked, before saying fewer were found
MAX_CELLS = 400_000_000  # candidate predicates x release rows evaluated at most, in all
MIN_ORDERED_LEVELS = 3  # an ordered column with fewer distinct values gets == only


@dataclass(frozen=True)
class SinglingOut(Risk):
    """The risk over every predicate made, with the univariate and multivariate ones apart;
    ``asked`` how many of each were asked for, ``made`` how many the release gave
    (``why_fewer`` says why, when fewer)."""

    asked: dict[str, int] | None = None
    made: dict[str, int] | None = None
    columns_per_predicate: int = 3
    univariate: Risk | None = section()
    multivariate: Risk | None = section()
    why_fewer: str | None = section()


@dataclass(frozen=True)
class Predicates:
    """(predicates, conditions) arrays: the column (``UNUSED``: no condition), the operator,
    the level (for ``EQUAL``) and the value (for the ranges) of each condition, and each
    predicate's kind (``UNIVARIATE`` / ``MULTIVARIATE``)."""

    columns: np.ndarray
    operators: np.ndarray
    levels: np.ndarray
    values: np.ndarray
    kind: np.ndarray

    def __len__(self) -> int:
        return len(self.kind)

    def take(self, keep: np.ndarray) -> Predicates:
        return Predicates(self.columns[keep], self.operators[keep], self.levels[keep],
                          self.values[keep], self.kind[keep])

    @staticmethod
    def empty(width: int) -> Predicates:
        return Predicates(np.zeros((0, width), np.int64), np.zeros((0, width), np.int8),
                          np.zeros((0, width), np.int64), np.zeros((0, width)),
                          np.zeros(0, np.int8))

    @staticmethod
    def join(parts: list[Predicates], width: int) -> Predicates:
        def padded(array: np.ndarray, fill) -> np.ndarray:
            if array.shape[1] == width:
                return array
            extra = np.full((len(array), width - array.shape[1]), fill, dtype=array.dtype)
            return np.concatenate([array, extra], axis=1)

        return Predicates(np.concatenate([padded(p.columns, UNUSED) for p in parts]),
                          np.concatenate([padded(p.operators, EQUAL) for p in parts]),
                          np.concatenate([padded(p.levels, 0) for p in parts]),
                          np.concatenate([padded(p.values, np.nan) for p in parts]),
                          np.concatenate([p.kind for p in parts]))


def satisfied(tables: Tables, role: str, predicates: Predicates, rows: np.ndarray | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
    """For each predicate: how many rows of ``role`` (or of its ``rows``) satisfy it, and the
    first such row (position in ``rows``; meaningful when the count is 1).

    Conditions are taken column by column: every predicate with a condition on column c
    compares c's one contiguous row of levels (in the narrowest integer type that holds
    them) or values with its own level or bound, so no table rows are gathered per
    predicate."""
    levels, values = tables.levels[role], tables.values[role]
    if rows is not None:
        levels, values = levels[rows], values[rows]
    n = len(levels)
    # column-major: a condition reads one contiguous row of these, not a strided column
    levels, values = _narrow_levels(tables, levels.T), np.ascontiguousarray(values.T)
    step = max(1, CELLS_PER_CHUNK // max(n, 1))
    parts = [slice(start, start + step) for start in range(0, len(predicates), step)]
    # chunks of predicates are independent: on every core (numpy's comparisons release the
    # GIL), each chunk's answers the same as one after the other
    found = map_blocks(_satisfied_part, parts, (levels, values, predicates, n),
                       threads=cores(), name="predicates")
    counts = np.zeros(len(predicates), np.int64)
    first = np.zeros(len(predicates), np.int64)
    for part, (part_counts, part_first) in zip(parts, found):
        counts[part], first[part] = part_counts, part_first
    return counts, first


def _satisfied_part(part: slice, shared) -> tuple[np.ndarray, np.ndarray]:
    """``satisfied`` for the predicates ``part``: counts and first rows."""
    levels, values, predicates, n = shared
    hold = np.ones((len(predicates.kind[part]), n), bool)
    for j in range(predicates.columns.shape[1]):
        column, operator = predicates.columns[part, j], predicates.operators[part, j]
        wanted, bound = predicates.levels[part, j], predicates.values[part, j]
        for c in np.unique(column[column != UNUSED]):
            on_column = column == c
            for kind in (EQUAL, AT_LEAST, AT_MOST):
                which = np.flatnonzero(on_column & (operator == kind))
                if len(which) == 0:
                    continue
                if kind == EQUAL:
                    ok = levels[c][None, :] == wanted[which, None].astype(levels[c].dtype)
                else:
                    with np.errstate(invalid="ignore"):  # NaN (missing) satisfies no range
                        ok = (values[c][None, :] >= bound[which, None] if kind == AT_LEAST
                              else values[c][None, :] <= bound[which, None])
                hold[which] &= ok
    return hold.sum(axis=1), hold.argmax(axis=1)


def _narrow_levels(tables: Tables, levels: np.ndarray) -> list[np.ndarray]:
    """Each column's row of ``levels`` (column-major) in the narrowest integer type holding
    every level of that column in any of the tables (so any predicate's level fits too)."""
    out = []
    for c, row in enumerate(levels):
        top = max(int(tables.levels[role][:, c].max(initial=0)) for role in tables.levels)
        kind = next(t for t in (np.int8, np.int16, np.int32, np.int64)
                    if top <= np.iinfo(t).max)
        out.append(np.ascontiguousarray(row, dtype=kind))
    return out


def _ordered(tables: Tables) -> np.ndarray:
    """Numeric columns of the release with enough distinct values for range conditions."""
    synthetic = tables.values["synthetic"]
    return np.array([tables.numeric[j] and len(np.unique(synthetic[:, j][~np.isnan(
        synthetic[:, j])])) >= MIN_ORDERED_LEVELS for j in range(len(tables.columns))])


def univariate_pool(tables: Tables) -> Predicates:
    """Every one-condition predicate that isolates one synthetic row: its values held once,
    and its unique extremes on ordered columns."""
    levels, values = tables.levels["synthetic"], tables.values["synthetic"]
    ordered = _ordered(tables)
    columns, operators, picked, bounds = [], [], [], []
    for j in range(len(tables.columns)):
        _, first, counts = np.unique(levels[:, j], return_index=True, return_counts=True)
        once = first[counts == 1]
        columns.append(np.full(len(once), j))
        operators.append(np.full(len(once), EQUAL))
        picked.append(levels[once, j])
        bounds.append(values[once, j])
        if ordered[j]:
            present = values[:, j][~np.isnan(values[:, j])]
            for operator, extreme in ((AT_MOST, present.min()), (AT_LEAST, present.max())):
                if np.sum(present == extreme) == 1:
                    columns.append(np.array([j]))
                    operators.append(np.array([operator]))
                    picked.append(np.array([0]))
                    bounds.append(np.array([extreme]))
    column = np.concatenate(columns).astype(np.int64)[:, None]
    return Predicates(column, np.concatenate(operators).astype(np.int8)[:, None],
                      np.concatenate(picked).astype(np.int64)[:, None],
                      np.concatenate(bounds).astype(np.float64)[:, None],
                      np.full(len(column), UNIVARIATE, np.int8))


def multivariate_candidates(tables: Tables, count: int, width: int, generator: np.random.Generator
                            ) -> Predicates:
    """``count`` random predicates of ``width`` conditions, each read off a random synthetic
    row (not yet checked to isolate it)."""
    levels, values = tables.levels["synthetic"], tables.values["synthetic"]
    rows = generator.integers(0, len(levels), count)
    columns = np.argsort(generator.random((count, len(tables.columns))), axis=1)[:, :width]
    columns = np.sort(columns, axis=1)
    chosen_levels = levels[rows[:, None], columns]
    chosen_values = values[rows[:, None], columns]
    ordered = _ordered(tables)
    median = np.full(len(tables.columns), np.nan)
    if ordered.any():
        median[ordered] = np.nanmedian(values[:, ordered], axis=0)
    ranged = ordered[columns] & ~np.isnan(chosen_values)
    operators = np.where(ranged, np.where(chosen_values >= median[columns], AT_LEAST, AT_MOST),
                         EQUAL).astype(np.int8)
    return Predicates(columns.astype(np.int64), operators, chosen_levels, chosen_values,
                      np.full(count, MULTIVARIATE, np.int8))


def _distinct(predicates: Predicates) -> np.ndarray:
    """Positions of the first of each distinct predicate."""
    key = np.concatenate([predicates.columns, predicates.operators.astype(np.int64),
                          predicates.levels], axis=1)
    _, first = np.unique(key, axis=0, return_index=True)
    return np.sort(first)


def make_predicates(tables: Tables, univariate: int, multivariate: int, width: int,
                    generator: np.random.Generator) -> tuple[Predicates, str | None]:
    """Up to ``univariate`` + ``multivariate`` distinct predicates that each isolate one
    synthetic row, and why fewer, when fewer."""
    why = []
    pool = univariate_pool(tables)
    if len(pool) > univariate:
        pool = pool.take(np.sort(generator.choice(len(pool), univariate, replace=False)))
    elif len(pool) < univariate:
        why.append(f"the release has {len(pool)} univariate predicate(s) isolating one of its "
                   "rows (values it holds once and unique extremes), fewer than asked")
    width = max(1, min(width, len(tables.columns)))
    kept, tried = Predicates.empty(width), 0
    attempts = min(MULTIVARIATE_ATTEMPTS * multivariate,
                   max(multivariate, MAX_CELLS // max(tables.rows("synthetic"), 1)))
    while len(kept) < multivariate and tried < attempts:
        candidates = multivariate_candidates(tables, multivariate, width, generator)
        tried += multivariate
        counts, _ = satisfied(tables, "synthetic", candidates)
        kept = Predicates.join([kept, candidates.take(counts == 1)], width)
        kept = kept.take(_distinct(kept))
    if len(kept) > multivariate:
        kept = kept.take(np.arange(multivariate))
    if multivariate and len(kept) < multivariate:
        why.append(f"{tried} random {width}-column predicates "
                   f"gave {len(kept)} distinct ones isolating one release row, fewer than asked")
    return Predicates.join([pool, kept], width), ("; ".join(why) or None)


def _risk(attack_hits: np.ndarray, control_hits: np.ndarray, confidence: float) -> Risk:
    return risk_of(int(attack_hits.sum()), len(attack_hits), int(control_hits.sum()),
                   len(control_hits), confidence)


def singling_out(tables: Tables, members: np.ndarray, holdout: np.ndarray, *, univariate: int,
                 multivariate: int, width: int, generator: np.random.Generator,
                 confidence: float) -> tuple[SinglingOut, np.ndarray, np.ndarray]:
    """The risk, and for each member in ``members`` / holdout record in ``holdout`` (rows of
    their tables, as many of each) how many predicates single it out."""
    predicates, why = make_predicates(tables, univariate, multivariate, width, generator)
    found = {}
    for role, rows in (("members", members), ("holdout", holdout)):
        counts, first = satisfied(tables, role, predicates, rows)
        found[role] = (counts == 1, np.bincount(first[counts == 1], minlength=len(rows)))
    attack, control = found["members"][0], found["holdout"][0]
    whole = _risk(attack, control, confidence)
    parts = {}
    for name, kind in (("univariate", UNIVARIATE), ("multivariate", MULTIVARIATE)):
        mask = predicates.kind == kind
        parts[name] = _risk(attack[mask], control[mask], confidence) if mask.any() else None
    made = {"univariate": int(np.sum(predicates.kind == UNIVARIATE)),
            "multivariate": int(np.sum(predicates.kind == MULTIVARIATE))}
    result = SinglingOut(**vars(whole), asked={"univariate": univariate,
                                               "multivariate": multivariate},
                         made=made, columns_per_predicate=width, why_fewer=why, **parts)
    return result, found["members"][1], found["holdout"][1]
