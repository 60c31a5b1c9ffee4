"""The attack interface, the inputs every attack shares and the result every attack returns.

An attack is a small class: its constructor only stores its parameters (declared once in
``parameters``, checked by ``validate()`` at the boundary), ``resolve()`` turns its ``auto``
choices into concrete ones for the sizes at hand, and ``score(inputs)`` returns a frozen
``AttackScores`` (one score per candidate, higher = more likely a member, plus details and
per-record extras). An attack keeps no state between calls and never writes into its inputs.
Shared, expensive work (the nearest synthetic rows, cross-fitted reference distances) lives on
``AttackInputs`` and is computed once, whichever attacks ask for it.
"""
from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from synthcheck.distance.crossfit import ReferenceFolds
from synthcheck.distance.encode import MixedEncoder
from synthcheck.distance.neighbours import (
    PRUNED_MIN_BASE,
    Neighbours,
    PreparedBase,
    copies_first,
    nearest,
    settle_near,
    prepare,
    typical_spacing,
)
from synthcheck.errors import InputError
from synthcheck.inputs.columns import ColumnTypes
from synthcheck.support.progress import Progress


@dataclass
class AttackInputs:
    """Everything an attack may read. Candidates are train rows first, then holdout rows."""

    candidates: pd.DataFrame  # typed audited columns (see columns.coerce_table)
    is_member: np.ndarray
    synthetic: pd.DataFrame
    types: ColumnTypes
    encoder: MixedEncoder
    encoded_candidates: np.ndarray
    encoded_synthetic: np.ndarray
    folds: ReferenceFolds
    seed: int
    # further real records that are never scored (``--reference``): every fold's reference
    # holds them beside the holdout rows outside the fold; typed and encoded like the candidates
    reference: pd.DataFrame | None = None
    encoded_reference: np.ndarray | None = None
    kde_bandwidth: float | None = None  # set when kernel densities are affordable
    generator: Any = None  # a synthcheck.generators spec, for attacks that need one
    progress: Progress = field(default_factory=Progress)
    neighbour_search: str = "exact"  # or "approx": an approximate index (synthcheck.distance.approximate)
    neighbour_recall: dict = field(default_factory=dict)  # role -> measured recall, when approx
    scheduler: Any = None  # a Dask address or Client: heavy passes run there (same results)
    # the candidates column attribution will re-score (``measure.attribution.sample_records``):
    # an attack's own pass may keep what re-scoring them needs (query-match's surprises)
    attribution_rows: np.ndarray | None = None
    _cache: dict = field(default_factory=dict, repr=False)

    def _memo(self, key: str, compute: Callable[[], Any]) -> Any:
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]

    @property
    def synthetic_spacing(self) -> float:
        return self._memo("spacing", lambda: typical_spacing(self.encoded_synthetic, self.seed))

    def synthetic_neighbours(self) -> Neighbours:
        """Each candidate's closest synthetic row (and the kernel sum over the synthetic table
        when densities are kernel estimates): one pass shared by every attack."""
        def compute() -> Neighbours:
            with self.progress.stage("distances to synthetic", len(self.encoded_candidates)) as tick:
                if self.neighbour_search == "approx" and not self.kde_bandwidth:
                    found = self._approximate("synthetic", self.encoded_candidates,
                                              self.encoded_synthetic, None, tick)
                else:
                    found = nearest(self.encoded_candidates, self.encoded_synthetic, 1,
                                    bandwidth=self.kde_bandwidth, on_block=tick,
                                    scheduler=self.scheduler,
                                    prepared=None if self.kde_bandwidth
                                    else self.prepared_synthetic())
            # a copied record's nearest row is its copy, at 0, whatever float32 made of it, and
            # a near copy's is its float64 nearest
            found = copies_first(self.encoded_candidates, self.encoded_synthetic, found)
            if self.neighbour_search == "approx":  # its recall is measured; no cells made
                return found
            return settle_near(self.encoded_candidates, self.encoded_synthetic, found,
                               prepared=self.prepared_synthetic())
        return self._memo("synthetic", compute)

    def prepared_synthetic(self) -> PreparedBase | None:
        """The synthetic table cut into the pruned search's cells, once for every exact search
        of it (the audit's, column attribution's, the EDPB attacks'); None below the size
        where the pruned search pays (``neighbours.PRUNED_MIN_BASE``)."""
        return self._memo("prepared synthetic", lambda: _prepared(self.encoded_synthetic))

    def prepared_reference(self) -> PreparedBase | None:
        """``reference_pool``'s rows cut into cells, once (as ``prepared_synthetic``)."""
        return self._memo("prepared reference", lambda: _prepared(self.reference_pool()[0]))

    @property
    def extra_reference_rows(self) -> int:
        """How many ``--reference`` records every fold's reference holds besides the holdout."""
        return 0 if self.encoded_reference is None else len(self.encoded_reference)

    def reference_sizes(self) -> np.ndarray:
        """The number of real rows in each fold's reference (holdout outside it + reference)."""
        return np.array([len(self.folds.reference_rows(f)) + self.extra_reference_rows
                         for f in range(self.folds.count)])

    def reference_pool(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every real row some fold's reference holds, encoded; for each, the one fold it is
        withheld from (-1: none; every ``--reference`` row) and its candidate position (-1 for
        a ``--reference`` row). A candidate of fold f may be compared only with rows not
        withheld from f: so never with itself."""
        def compute():
            holdout, base_fold = self._reference_groups()
            rows, withheld, positions = [self.encoded_candidates[holdout]], [base_fold], [holdout]
            if self.extra_reference_rows:
                rows.append(self.encoded_reference)
                withheld.append(np.full(self.extra_reference_rows, -1, dtype=np.int64))
                positions.append(np.full(self.extra_reference_rows, -1, dtype=np.int64))
            return (np.vstack(rows).astype(self.encoded_candidates.dtype, copy=False),
                    np.concatenate(withheld), np.concatenate(positions))
        return self._memo("reference_pool", compute)

    def synthetic_knn(self, k: int) -> Neighbours:
        """Each candidate's ``k`` nearest synthetic rows (distances ascending, indices), by
        exact search, computed once per k."""
        return self._memo(f"synthetic k={k}", lambda: nearest(
            self.encoded_candidates, self.encoded_synthetic, k, scheduler=self.scheduler))

    def reference_neighbours(self) -> Neighbours:
        """Each candidate's closest *reference* row, cross-fitted: the reference of a
        candidate in fold f is the holdout outside fold f (and every ``--reference`` row), so
        never the candidate itself. One search over the pool with the folds as exclusion
        groups. ``indices`` are candidate positions (-1: a ``--reference`` row)."""
        def compute() -> Neighbours:
            pool, base_fold, positions = self.reference_pool()
            fold = self.folds.candidate_fold
            groups = (fold, base_fold)
            with self.progress.stage("distances to reference folds",
                                     len(self.encoded_candidates)) as tick:
                if self.neighbour_search == "approx" and not self.kde_bandwidth:
                    found = self._approximate("reference", self.encoded_candidates, pool,
                                              groups, tick)
                else:
                    found = nearest(self.encoded_candidates, pool, 1,
                                    bandwidth=self.kde_bandwidth, groups=groups, on_block=tick,
                                    scheduler=self.scheduler,
                                    prepared=None if self.kde_bandwidth
                                    else self.prepared_reference())
            found = copies_first(self.encoded_candidates, pool, found, groups)
            if self.neighbour_search != "approx":
                found = settle_near(self.encoded_candidates, pool, found, groups,
                                    self.prepared_reference())
            log_sums = None
            if found.log_kernel_sum is not None:  # densities: divide by each reference's size
                log_sums = found.log_kernel_sum - np.log(self.reference_sizes()[fold])
            return Neighbours(found.distances, positions[found.indices], log_sums)
        return self._memo("reference", compute)

    def _reference_groups(self) -> tuple[np.ndarray, np.ndarray]:
        """The holdout rows of every fold's reference, and for each the one fold it is withheld
        from (-1: none), read from ``folds.reference_rows`` so that stays the one definition."""
        references = [self.folds.reference_rows(f) for f in range(self.folds.count)]
        rows = np.unique(np.concatenate(references))
        withheld = np.full(len(rows), -1, dtype=np.int64)
        for f, reference in enumerate(references):
            outside = ~np.isin(rows, reference)
            if (withheld[outside] >= 0).any():
                raise ValueError("a reference row is withheld from more than one fold")
            withheld[outside] = f
        return rows, withheld

    def scores_of(self, attack: Attack) -> AttackScores:
        """``attack``'s scores on these inputs, computed once (the pipeline and a combining
        attack both ask; the key is the attack's name and parameters)."""
        return self._memo(f"scores {attack!r}", lambda: attack.score(self))

    def _approximate(self, role, query, base, groups, tick) -> Neighbours:
        from synthcheck.distance.approximate import approximate_nearest, distance_recall

        settings: dict = {}
        found = approximate_nearest(query, base, groups=groups, on_block=tick,
                                    scheduler=self.scheduler, settings=settings)
        self.neighbour_recall[role] = distance_recall(query, base, found, groups=groups,
                                                      seed=self.seed) | settings
        return found


def _prepared(base: np.ndarray) -> PreparedBase | None:
    return prepare(base) if len(base) >= PRUNED_MIN_BASE else None


@dataclass(frozen=True)
class PartialScores:
    """Scores of a variant of an attack (fewer shadow fits, a subgroup of candidates) whose AUC
    the audit measures into ``details`` at ``path``: attacks score, they never compute
    statistics. NaN leaves a candidate out; ``label`` is stored beside the AUC; ``listed``
    appends to a list at ``path`` instead of setting it."""

    path: tuple[str, ...]
    scores: np.ndarray
    label: Mapping[str, Any] = field(default_factory=dict)
    listed: bool = False


@dataclass(frozen=True)
class AttackScores:
    """What one attack found: the pipeline reads only this.

    ``scores``: one per candidate (train rows, then holdout rows), finite or infinite, never
    NaN; higher = more likely a member. ``details``: attack-specific facts for results.json
    (choices made, diagnostics; never a record's values or ids). ``record_columns``: per-record
    extras for records.parquet (the data owner's file only).
    """

    scores: np.ndarray
    details: Mapping[str, Any] = field(default_factory=dict)
    record_columns: Mapping[str, np.ndarray] = field(default_factory=dict)
    partial_scores: tuple[PartialScores, ...] = ()

    def __post_init__(self) -> None:
        scores = np.array(self.scores, dtype=np.float64)  # a copy: the caller's array stays theirs
        if scores.ndim != 1 or np.isnan(scores).any():
            raise ValueError("attack scores must be one number per candidate, never NaN")
        scores.flags.writeable = False
        extras = {}
        for name, values in self.record_columns.items():
            values = np.array(values)
            if values.shape != scores.shape:
                raise ValueError(f"record column '{name}' has {values.shape}, scores {scores.shape}")
            values.flags.writeable = False
            extras[name] = values
        object.__setattr__(self, "scores", scores)
        object.__setattr__(self, "details", MappingProxyType(dict(self.details)))
        object.__setattr__(self, "record_columns", MappingProxyType(extras))


@dataclass(frozen=True)
class NeighbourView:
    """What a distance-based attack reads of the geometry, for some set of records and some
    set of columns (all of them, or all but one, for column attribution).

    ``to_synthetic``: distance to the closest synthetic row; ``to_reference``: to the closest
    reference row (cross-fitted); ``log_density_synthetic`` / ``log_density_reference``: log
    Gaussian kernel densities at ``bandwidth`` (None when not computed).
    """

    to_synthetic: np.ndarray
    to_reference: np.ndarray | None = None
    log_density_synthetic: np.ndarray | None = None
    log_density_reference: np.ndarray | None = None
    bandwidth: float | None = None


@dataclass(frozen=True)
class OneOf:
    """A parameter constraint: one of these values."""

    options: tuple

    def allows(self, value: Any) -> bool:
        return isinstance(value, str) and value in self.options

    def __str__(self) -> str:
        return "one of " + ", ".join(map(str, self.options))


@dataclass(frozen=True)
class Number:
    """A parameter constraint: a number (``integer``: a whole one) within [low, high]; an
    ``exclusive`` bound is not allowed itself."""

    low: float | None = None
    high: float | None = None
    integer: bool = False
    exclusive: bool = False

    def allows(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            return False
        if self.integer and not float(value).is_integer():
            return False
        if not np.isfinite(value):
            return False
        if self.low is not None and (value <= self.low if self.exclusive else value < self.low):
            return False
        return self.high is None or (value < self.high if self.exclusive else value <= self.high)

    def __str__(self) -> str:
        kind = "a whole number" if self.integer else "a number"
        low = "(" if self.exclusive else "["
        high = ")" if self.exclusive else "]"
        if self.low is None and self.high is None:
            return kind
        return (f"{kind} in {low}{'-inf' if self.low is None else f'{self.low:g}'}, "
                f"{'inf' if self.high is None else f'{self.high:g}'}{high}")


class Attack(ABC):
    """One membership inference attack. Subclasses set ``name``, ``description`` and
    ``parameters`` (each constructor keyword and its constraint), store their keywords as
    attributes of the same names in ``__init__`` and do nothing else there."""

    name: ClassVar[str]
    description: ClassVar[str]
    requires_generator: ClassVar[bool] = False
    # False: the verdict judges this attack by a check of its own, not by the policy's limits
    checked_by_limits: ClassVar[bool] = True
    parameters: ClassVar[dict[str, OneOf | Number]] = {}

    def get_params(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in self.parameters}

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({shown})"

    def validate(self) -> None:
        """Raise ``InputError`` naming the parameter when one breaks its constraint."""
        for key, constraint in self.parameters.items():
            value = getattr(self, key)
            if not constraint.allows(value):
                raise InputError(f"attack '{self.name}': parameter {key} must be {constraint}, "
                                 f"got {value!r}", parameter="attacks")

    def resolve(self, candidates: int, synthetic: int, neighbour_search: str) -> Attack:
        """A copy with every ``auto`` choice made for this many candidates and synthetic rows
        and this neighbour search ("exact" or "approx"); the attack itself is unchanged."""
        return copy.copy(self)

    def finding(self, details: Mapping[str, Any]) -> str | None:
        """A plain sentence on what this attack found (counts and column names only, from its
        own ``details``), added to the verdict's reason when a limit FAILs on it; None: the
        limit's figures say it all."""
        return None

    def needs_exact_neighbours(self) -> bool:
        """True when this (resolved) attack needs every candidate-synthetic pair, so an
        approximate neighbour search cannot serve it."""
        return False

    def kernel_bandwidth(self, inputs: AttackInputs) -> float | None:
        """The bandwidth of the kernel sums this (resolved) attack reads from the shared
        neighbour pass, or None. Asked before any attack scores, so one pass serves all."""
        return None

    def score_from_view(self, view: NeighbourView, inputs: AttackInputs) -> np.ndarray | None:
        """This attack's scores from distances alone (``view``), for column attribution; None
        when the attack reads more than distances (a classifier, shadow fits) and would have
        to be re-run. An attack that answers must give, on the full geometry, the scores
        ``score`` gives."""
        return None

    def leave_one_out_scores(self, inputs: AttackInputs, rows: np.ndarray
                             ) -> tuple[np.ndarray, dict[str, np.ndarray]] | None:
        """For an attack that does not score from distances: the ``rows``' scores, and their
        scores with each audited column left out (column -> scores), computed its own way;
        None when it cannot (then ``why_not_attributed`` says why)."""
        return None

    def why_not_attributed(self) -> str:
        """Why ``score_from_view`` gives None, for results.json."""
        return "it reads more than distances; attributing it would re-run it once per column"

    @abstractmethod
    def score(self, inputs: AttackInputs) -> AttackScores:
        """Score every candidate. Reads ``inputs``, never writes into them."""
