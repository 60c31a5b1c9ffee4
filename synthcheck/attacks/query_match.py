"""Query matches: a member's rare values and value combinations found verbatim in the release.

A generator that copies attribute values (an empirical-marginals sampler, a release with its
columns shuffled, rows stitched together from parts of real rows, SDV's clamping of every
numeric column to the training minimum and maximum) puts members' values into strangers'
rows. Distances cannot see that: no release row is near the member. An attacker who knows a
few of a person's attributes can: if the release holds a value, or a combination of values,
that no other real person holds, the person was in the training data.

For every candidate and every *query* (a subset of the audited columns: each single column,
then pairs and triples, the targeted queries TAPAS found strongest) the attack asks:

* ``others``: how many *other* real records hold the candidate's value (combination) of those
  columns; it puts the candidate in a rarity class (0 others, 1, 2, 3-4, ... 65 or more), and
  a numeric or date column's value no other real record reaches (the real minimum or maximum,
  held by this record alone) in a class of its own, pooled over columns;
* ``found``: whether some release row holds the value exactly;
* how surprising that is: -log of the rate at which the *reference* records (the holdout
  outside the candidate's cross-fitting fold, as for every reference model) of the same query
  and rarity class are found in the release, (found + 1/2) / (records + 1).

The score is the largest surprise among the candidate's found queries, plus 1 % of the mean
(which only orders records whose strongest matches are alike). The largest, not the sum: a
release that copies a member's one unique job title or income betrays them however many
common values they also share with it; summed, the many moderately rare values every record
has drown it (measured: SDV GaussianCopula on the loans table, TPR at FPR 1 % 0.33 with the
largest, 0.01 with the sum). A release's clamped extremes (SDV's ``enforce_min_max_values``)
are found for the member who holds the training extreme and never for a non-member beyond it,
so the extreme class is found at a low rate among the holdout and weighs much.

Missing cells are not values: a query over a column the candidate (or a release row) lacks is
skipped for that row, never a mismatch, so a release that blanks half of each copied row
still matches on the other half.

Rarity and the rule of honest evaluation: ``others`` is counted over every real record the
audit scores (train and holdout) *except the candidate itself*, and the rate a found value is
measured against comes from holdout records outside the candidate's fold, so no record's
score comes from a model fitted on it. Under no leakage (the release does not depend on
which records are members) members and non-members are exchangeable: a candidate's score is
the same function of its row, the other rows and the release whichever group it is in, and
every fold holds both groups in the same shares, so both groups' scores have one
distribution and the holdout calibrates the attack. Counting rarity over the holdout alone
would break this (a non-member's own value would sit in its count and a member's would not);
counting it over train and holdout without the candidate makes a value that a single person
in the whole audit holds read as such. The one break of symmetry is the audit's own: when
holdout rows equal to a train row are dropped (``drop_overlap``), those members lose a twin.

Cost: one factorisation of the candidates and the release per column (and per query whose
combined codes would outnumber the rows), vectorised; a query's answer is worked out once per
code and read by every candidate. ``combinations`` bounds the pairs and triples (all of them
when there are fewer, else a seeded random subset), so memory stays a few integer arrays per
query and time linear in rows.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations as all_subsets
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from synthcheck.attacks.base import Attack, AttackInputs, AttackScores, Number
from synthcheck.inputs.columns import DATETIME, NUMERIC, ColumnTypes
from synthcheck.support.parallel import cores, map_in_order
from synthcheck.support.randomness import rng as rng_for

COMBINATIONS = 256  # pairs and triples asked beside every single column
WIDTH = 3  # the largest number of columns in one query


def choose_queries(columns: list[str], width: int, combinations: int, seed: int
                   ) -> tuple[tuple[str, ...], ...]:
    """Every single column, then up to ``combinations`` subsets of 2..``width`` columns: all of
    them when there are that few, else a seeded random choice, shared equally among the widths
    (pairs first). Depends on the seed and the column names only."""
    queries: list[tuple[str, ...]] = [(c,) for c in columns]
    widths = [k for k in range(2, width + 1) if k <= len(columns)]
    if not widths or combinations == 0:
        return tuple(queries)
    total = sum(math.comb(len(columns), k) for k in widths)
    if total <= combinations:
        for k in widths:
            queries += list(all_subsets(columns, k))
        return tuple(queries)
    rng = rng_for(seed, "query-match")
    left = combinations
    for position, k in enumerate(widths):
        want = min(left // (len(widths) - position), math.comb(len(columns), k))
        if math.comb(len(columns), k) <= want:
            chosen = list(all_subsets(columns, k))
        else:
            picked: set[tuple[int, ...]] = set()
            while len(picked) < want:
                picked.add(tuple(sorted(rng.choice(len(columns), k, replace=False).tolist())))
            chosen = [tuple(columns[i] for i in subset) for subset in sorted(picked)]
        queries += chosen
        left -= len(chosen)
    return tuple(queries)


@dataclass(frozen=True)
class _Codes:
    """Integer codes of one column's (or one query's) values, the candidates' then the
    release's, shared by both: ``0 .. size - 1`` a value, ``size`` missing (the last slot, so
    counts per code are one ``bincount`` with no mask)."""

    values: np.ndarray
    size: int
    missing: bool  # some row is missing


def _column_codes(mine: pd.Series, theirs: pd.Series) -> _Codes:
    """One column's codes (``_Codes``)."""
    values = pd.concat([mine, theirs], ignore_index=True)
    if pd.api.types.is_float_dtype(values):
        values = values + 0.0  # -0.0 and 0.0 are one value
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    codes, size = codes.astype(np.int64), len(uniques)
    absent = codes < 0
    missing = bool(absent.any())
    if missing:
        codes[absent] = size
    return _Codes(codes, size, missing)


def _joint(parts: list[_Codes]) -> _Codes:
    """Codes of value combinations (rows of ``parts``); missing where any part is missing.

    Only which rows share a combination matters (counts per code), not the codes' values:
    the parts (each with its missing slot as one more digit) are multiplied together while
    the product of their sizes fits in an int64 with room to spare, and factorised (made
    small again) before it would not; at the end only when the codes would outnumber the rows
    several times (the counts' arrays are that long), as factorising costs more than every
    count made with the codes as they are."""
    key, span = parts[0].values, parts[0].size + 1
    for part in parts[1:]:
        radix = part.size + 1
        if span * radix >= _KEY_LIMIT:
            key = pd.factorize(key)[0].astype(np.int64)
            span = int(key.max()) + 1
        key, span = key * radix, span * radix
        key += part.values
    if span > _DIRECT_SPAN * len(key):
        codes, uniques = pd.factorize(key)
        key, span = codes.astype(np.int64), len(uniques)
    missing = any(part.missing for part in parts)
    if missing:
        valid = np.logical_and.reduce([part.values < part.size for part in parts
                                       if part.missing])
        key = np.where(valid, key, span)
    return _Codes(key, span, missing)


_KEY_LIMIT = 2 ** 62  # combined keys stay below this (int64 holds 2 ** 63 - 1)
_DIRECT_SPAN = 2  # combined codes up to this many per row are counted as they are


# rarity classes: how many other real records hold the value (bucket i: RARITY_EDGES[i] or
# more, below the next edge), and one more class for a column's extreme (no other real record
# holds a value beyond it on that side), pooled over the numeric and date columns
RARITY_EDGES = (0, 1, 2, 3, 5, 9, 17, 33, 65)
EXTREME = len(RARITY_EDGES)
# the rarity class of a code held by c real records (c - 1 others; c = 0: held by none, -1),
# c up to the last edge + 1 (more is the last class)
_RARITY_OF_COUNT = np.searchsorted(np.asarray(RARITY_EDGES), np.arange(RARITY_EDGES[-1] + 2) - 1,
                                   side="right").astype(np.int64) - 1
TIE_BREAK = 0.01  # weight of the mean surprise beside the largest


@dataclass(frozen=True)
class _Answer:
    """One query's answer per candidate: its surprise (``weight``), whether a value no other
    real record holds is found (``unique``), and for an ordered column asked alone the
    extreme class, pooled over columns afterwards (``extreme``: the found unique value is
    the release's min or max)."""

    weight: np.ndarray
    unique: np.ndarray
    extreme: np.ndarray | None
    pooled_found: np.ndarray | None
    pooled_class: np.ndarray | None


@dataclass(frozen=True)
class QueryMatches:
    """Each candidate's query matches against one release. ``score``: the attack's score;
    ``unique_found``: queries whose value no other real record holds, found in the release;
    ``unique_columns``: (candidates, columns) bool, the column's own value held by no other
    real record is found; ``extreme_columns``: the same, and it is the release's min or max."""

    score: np.ndarray
    unique_found: np.ndarray
    unique_columns: np.ndarray
    extreme_columns: np.ndarray
    #: with ``match(keep=rows)``: every query's surprise for those rows (queries x rows; the
    #: pooled extremes last, one per ordered column) and the columns each row of it reads
    kept_weights: np.ndarray | None = None
    kept_columns: tuple[tuple[str, ...], ...] = ()

    def without_each_column(self, columns: list[str], queries: int
                            ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The kept rows' scores, and their scores with every query that reads a column left
        out (one array per column): the score's own rule over the remaining queries."""
        weights = self.kept_weights

        def scored(rows: np.ndarray) -> np.ndarray:
            if not rows.any():
                return np.zeros(weights.shape[1])
            chosen = weights[rows]
            return chosen.max(axis=0) + TIE_BREAK * chosen.sum(axis=0) / queries

        everything = np.ones(len(self.kept_columns), dtype=bool)
        return scored(everything), {
            column: scored(np.array([column not in read for read in self.kept_columns]))
            for column in columns}


# a candidate's answer to one query as one small integer: 2 * rarity class + found, or
# SKIPPED (no value to ask about); a group's slots are SLOTS consecutive integers
CLASSES = EXTREME + 1
SKIPPED = 2 * CLASSES
SLOTS = SKIPPED + 1


def surprise_of_slots(slot: np.ndarray, base: np.ndarray, groups: int,
                      counted: np.ndarray) -> np.ndarray:
    """Per candidate, -log of the rate at which the *reference* records of its group find a
    value of its rarity class in the release: (found + 1/2) / (records + 1); 0 where the
    candidate's value is not found (no evidence) or it has none (SKIPPED).

    ``slot``: each candidate's answer, 2 * rarity class + found, or SKIPPED; ``base``: its
    group (cross-fitting fold; 0 for all when pooled) * SLOTS; ``counted``: the reference
    records (bool). A group's reference is every counted record outside the group when there
    are several groups, all counted records when there is one. One count of the reference
    records per group and slot; each candidate's -log rate is read from a table of the
    groups' rates."""
    cell = base + slot
    counts = np.bincount(cell[counted], minlength=groups * SLOTS).reshape(groups, SLOTS)
    hits = counts[:, 1:SKIPPED:2]
    records = counts[:, 0:SKIPPED:2] + hits
    if groups > 1:  # the reference of group g: the counted records of every other group
        records = records.sum(axis=0) - records
        hits = hits.sum(axis=0) - hits
    rate = (hits + 0.5) / (records + 1.0)
    table = np.zeros((groups, SLOTS))
    table[:, 1:SKIPPED:2] = -np.log(rate)
    return table.ravel()[cell]


@dataclass(frozen=True)
class QueryMatcher:
    """The queries and the candidates they are asked about; ``match(release)`` answers them
    for one (typed) release. Built once; the shadow attack asks it about every shadow release."""

    candidates: pd.DataFrame  # typed audited columns (columns.coerce_table)
    types: ColumnTypes
    queries: tuple[tuple[str, ...], ...]

    @classmethod
    def build(cls, candidates: pd.DataFrame, types: ColumnTypes, seed: int,
              width: int = WIDTH, combinations: int = COMBINATIONS) -> QueryMatcher:
        return cls(candidates, types,
                   choose_queries(list(types.columns), width, combinations, seed))

    def match(self, release: pd.DataFrame, group: np.ndarray | None = None,
              reference: np.ndarray | None = None,
              keep: np.ndarray | None = None, threads: int = 1) -> QueryMatches:
        """Score every candidate against ``release``. A found value weighs -log of the rate at
        which reference records of its rarity class are found (``surprise_of_slots``): with
        ``group`` (cross-fitting folds) and ``reference`` (the holdout), each candidate's rate comes from
        the holdout outside its fold; without, from every candidate (no labels used).
        ``keep``: candidate rows whose every query's surprise is kept (column attribution).
        ``threads``: queries answered at once (``parallel.map_in_order``); their answers are
        combined in the queries' order, so the sums and the scores do not depend on it."""
        n, columns = len(self.candidates), list(self.types.columns)
        if group is None:
            group, groups, reference = np.zeros(n, dtype=np.int64), 1, np.ones(n, dtype=bool)
        else:
            groups = int(group.max()) + 1
        codes = dict(zip(columns, map_in_order(
            lambda c: _column_codes(self.candidates[c], release[c]), columns, threads)))
        base = group.astype(np.int64) * SLOTS
        strongest, total = np.zeros(n), np.zeros(n)
        unique_found = np.zeros(n, dtype=np.int64)
        unique_columns = np.zeros((n, len(columns)), dtype=bool)
        extreme_columns = np.zeros((n, len(columns)), dtype=bool)
        ordered = set(self.types.of_kind(NUMERIC, DATETIME))
        # a column's extremes are pooled into one class over the columns: each has two at most
        pooled_found, pooled_class, pooled_columns = [], [], []
        kept, kept_columns = [], []

        def answer(query: tuple[str, ...]) -> _Answer:
            return self._answer(query, codes, n, release, ordered, base, groups, reference)

        # the queries are answered concurrently (one per thread at most: at 1M rows a query's
        # arrays are ~200 MB); everything below runs in the queries' order
        for query, found in zip(self.queries, map_in_order(answer, self.queries, threads)):
            unique_found += found.unique
            if len(query) == 1:
                position = columns.index(query[0])
                unique_columns[:, position] = found.unique
                if found.extreme is not None:
                    extreme_columns[:, position] = found.extreme
                    pooled_found.append(found.pooled_found)
                    pooled_class.append(found.pooled_class)
                    pooled_columns.append(query)
            weight = found.weight
            np.maximum(strongest, weight, out=strongest)
            total += weight
            if keep is not None:
                kept.append(weight[keep])
                kept_columns.append(query)
        if pooled_found:
            found = np.concatenate(pooled_found)
            pooled = np.concatenate(pooled_class)
            slot = np.where(pooled >= 0, 2 * pooled + found, SKIPPED)
            weights = surprise_of_slots(slot, np.tile(base, len(pooled_found)), groups,
                                        np.tile(reference, len(pooled_found))
                                        ).reshape(len(pooled_found), n)
            strongest = np.maximum(strongest, weights.max(axis=0))
            total += weights.sum(axis=0)
            if keep is not None:
                kept += list(weights[:, keep])
                kept_columns += pooled_columns
        # the strongest match decides; the mean (at most the strongest) only orders records
        # whose strongest matches are alike
        score = strongest + TIE_BREAK * total / len(self.queries)
        return QueryMatches(score, unique_found, unique_columns, extreme_columns,
                            None if keep is None else np.vstack(kept), tuple(kept_columns))

    def _answer(self, query: tuple[str, ...], codes: dict[str, _Codes], n: int,
                release: pd.DataFrame, ordered: set[str], base: np.ndarray, groups: int,
                reference: np.ndarray) -> _Answer:
        """One query's answer for every candidate; reads only its arguments (runs in a pool
        thread, concurrently with other queries). Everything a candidate's answer reads
        depends on its code alone (how many real records and release rows hold it), so it
        is worked out once per code and read by each candidate: ``slot``."""
        key = codes[query[0]] if len(query) == 1 else _joint([codes[c] for c in query])
        mine, theirs = key.values[:n], key.values[n:]
        real_count = np.bincount(mine, minlength=key.size + 1)
        release_count = np.bincount(theirs, minlength=key.size + 1)
        # others: how many other real records hold the code (-1 for a code no candidate
        # holds, never read); the missing slot is skipped
        rarity = _RARITY_OF_COUNT[np.minimum(real_count, len(_RARITY_OF_COUNT) - 1)]
        by_code = rarity * 2 + (release_count > 0)
        by_code[key.size] = SKIPPED
        slot = by_code[mine]
        unique = slot == 1  # found, and no other real record holds it (rarity class 0)
        extreme = pooled_found = pooled_class = None
        if len(query) == 1 and query[0] in ordered:
            extreme = unique & self._at_release_extreme(query[0], release)
            beyond = self._real_extreme(query[0]) & (slot != SKIPPED)
            pooled_found = beyond & (slot % 2 == 1)
            pooled_class = np.where(beyond, EXTREME, -1)
            slot = np.where(beyond, SKIPPED, slot)
        return _Answer(surprise_of_slots(slot, base, groups, reference), unique, extreme,
                       pooled_found, pooled_class)

    def _real_extreme(self, column: str) -> np.ndarray:
        """Candidates whose value no other real record reaches: the column's unique min or max."""
        mine = self.candidates[column].to_numpy(dtype=np.float64)
        present = mine[~np.isnan(mine)]
        if present.size < 2:
            return np.zeros(len(mine), dtype=bool)
        low, high = present.min(), present.max()
        single_low, single_high = (present == low).sum() == 1, (present == high).sum() == 1
        return ((mine == low) & single_low) | ((mine == high) & single_high)

    def _at_release_extreme(self, column: str, release: pd.DataFrame) -> np.ndarray:
        values = release[column].to_numpy(dtype=np.float64)
        mine = self.candidates[column].to_numpy(dtype=np.float64)
        if np.isnan(values).all():
            return np.zeros(len(mine), dtype=bool)
        return (mine == np.nanmin(values)) | (mine == np.nanmax(values))


class QueryMatch(Attack):
    name = "query-match"
    description = ("sum over attribute queries (single columns, pairs, triples) whose value the "
                   "release holds exactly of -log(how often the reference holdout records with "
                   "values as rare among real records, or as extreme, are found in the release)")

    parameters: ClassVar[dict] = {"width": Number(1, 6, integer=True),
                                  "combinations": Number(0, 100_000, integer=True)}

    def __init__(self, width: int = WIDTH, combinations: int = COMBINATIONS) -> None:
        self.width = width
        self.combinations = combinations

    def leave_one_out_scores(self, inputs: AttackInputs, rows: np.ndarray
                             ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """The ``rows``' scores, and their scores without the queries that read each column:
        one more pass of the queries, keeping every query's surprise for those rows."""
        if inputs.attribution_rows is not None and np.array_equal(rows, inputs.attribution_rows):
            found, matcher = self._matches(inputs)  # the audit's own pass kept these rows
            queries = len(matcher.queries)
        else:
            matcher = QueryMatcher.build(inputs.candidates, inputs.types, inputs.seed,
                                         int(self.width), int(self.combinations))
            found = matcher.match(inputs.synthetic, inputs.folds.candidate_fold,
                                  ~inputs.is_member, keep=rows, threads=cores())
            queries = len(matcher.queries)
        return found.without_each_column(list(inputs.types.columns), queries)

    def _matches(self, inputs: AttackInputs) -> tuple[QueryMatches, QueryMatcher]:
        """The one pass of the queries over the release (and the queries), computed once per
        inputs: it keeps every query's surprise for ``inputs.attribution_rows``, so column
        attribution re-scores those rows without a second pass."""
        def compute() -> tuple[QueryMatches, QueryMatcher]:
            matcher = QueryMatcher.build(inputs.candidates, inputs.types, inputs.seed,
                                         int(self.width), int(self.combinations))
            with inputs.progress.stage("query matches", 1) as tick:
                found = matcher.match(inputs.synthetic, inputs.folds.candidate_fold,
                                      ~inputs.is_member, keep=inputs.attribution_rows,
                                      threads=cores())
                tick(1)
            return found, matcher
        return inputs._memo(f"matches {self!r}", compute)

    def finding(self, details: Mapping[str, Any]) -> str | None:
        return copied_values_sentence(details)

    def score(self, inputs: AttackInputs) -> AttackScores:
        found, matcher = self._matches(inputs)
        details = {"queries": {str(k): sum(len(q) == k for q in matcher.queries)
                               for k in range(1, int(self.width) + 1)}}
        details |= copied_rarities(found, inputs.is_member, list(inputs.types.columns),
                                   len(inputs.types.of_kind(NUMERIC, DATETIME)))
        return AttackScores(found.score, details,
                            {"query_match_unique_found": found.unique_found,
                             "query_match_unique_columns": column_lists(
                                 found.unique_columns, list(inputs.types.columns))})


def column_lists(chosen: np.ndarray, columns: list[str]) -> np.ndarray:
    """Per row of ``chosen`` ((rows, columns) bool), the names of its True columns joined by
    ", " ("" for none), as an object array. Rows share few patterns (most have none), so each
    distinct pattern is joined once: a join per row cost 0.3 CPU s at 100k candidates."""
    if chosen.size == 0:
        return np.full(chosen.shape[0], "", dtype=object)
    packed = np.ascontiguousarray(np.packbits(chosen, axis=1))  # a row's pattern as bytes
    as_bytes = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first, row_pattern = np.unique(as_bytes, return_index=True, return_inverse=True)
    names = np.array(columns)
    joined = np.empty(len(first), dtype=object)
    joined[:] = [", ".join(names[chosen[row]]) for row in first]
    return joined[row_pattern.reshape(-1)]


def _count(n: int, what: str) -> str:
    return f"{n:,} {what}" + ("" if n == 1 else "s")


def copied_values_sentence(details: Mapping[str, Any]) -> str:
    """The plain reason: how many members' and non-members' values that no other real record
    holds are in the release, the column where members' are most in excess, and the columns
    whose release extreme is a value one member alone holds."""
    values = details["unique_values_found"]
    sentence = (f"values or combinations held by one person copied verbatim: a value no other "
                f"real record holds is in the release for {values['members']:,} of "
                f"{values['of_members']:,} members and {values['non_members']:,} of "
                f"{values['of_non_members']:,} non-members")
    by_column = details["unique_found_by_column"]
    if by_column:
        column, counts = max(by_column.items(),
                             key=lambda item: item[1]["members"] - item[1]["non_members"])
        if counts["members"] > counts["non_members"]:
            sentence += (f" (most in '{column}': {counts['members']:,} vs "
                         f"{counts['non_members']:,})")
    combinations = details["unique_found"]
    sentence += (f"; a value or combination: {combinations['members']:,} members, "
                 f"{combinations['non_members']:,} non-members")
    extremes = details["extreme_columns"]
    if extremes["member"]:
        sentence += (f"; in {_count(extremes['member'], 'column')}' extremes (the release's "
                     f"minimum or maximum is a value one member alone holds; one non-member: "
                     f"{extremes['non_member']:,})")
    return sentence


def copied_rarities(found: QueryMatches, is_member: np.ndarray, columns: list[str],
                    ordered: int) -> dict:
    """Counts for results.json (never a value): members and non-members with a value or
    combination no other real record holds found in the release, per column, and the columns
    whose release minimum or maximum is a value one member (one non-member) alone holds."""
    any_unique = found.unique_found > 0
    any_value = found.unique_columns.any(axis=1)
    members, non_members = is_member, ~is_member
    per_column = {}
    for position, column in enumerate(columns):
        unique = found.unique_columns[:, position]
        if unique.any():
            per_column[column] = {"members": int((unique & members).sum()),
                                  "non_members": int((unique & non_members).sum())}
    extremes = found.extreme_columns
    return {
        "unique_found": {"members": int((any_unique & members).sum()),
                         "of_members": int(members.sum()),
                         "non_members": int((any_unique & non_members).sum()),
                         "of_non_members": int(non_members.sum())},
        "unique_values_found": {"members": int((any_value & members).sum()),
                                "of_members": int(members.sum()),
                                "non_members": int((any_value & non_members).sum()),
                                "of_non_members": int(non_members.sum())},
        "unique_found_by_column": per_column,
        "extreme_columns": {"member": int(extremes[members].any(axis=0).sum()),
                            "non_member": int(extremes[non_members].any(axis=0).sum()),
                            "checked": ordered},
    }
