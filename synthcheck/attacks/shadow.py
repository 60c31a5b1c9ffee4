"""Shadow generators: a LiRA-style likelihood ratio for every candidate from K shadow fits.

The attacker can run the generator. For shadow k it trains the generator on part of the pool
of real records (train then holdout, i.e. the candidates), samples a shadow release the size of
the real one and measures, for every candidate, features of the candidate against that
release. Because each candidate is in about half of the shadow training sets, every fit gives
an "in" or an "out" observation for every candidate at once: K fits, not K fits per target.

Features of a candidate x against a release S (a pure function of x and S: the same for shadow
releases and the real one; the encoding is fitted on S alone):

* ``log_dcr``: log distance to the closest row of S.
* ``log_density``: log Gaussian-kernel density of S at x (DOMIAS's numerator; its reference
  density is the same for every release, so it cancels in a per-record likelihood ratio).
* ``log_local_count``: log(1 + rows of S within one length scale of x, up to 32).
* ``query_<i>``: log share of rows of S that match x on a fixed random subset of attributes
  (equal categories; numbers and dates <= x's), the TAPAS / "Achilles' heels" query feature.
* ``query_match``: the query-match attack's score of x against S (``attacks.query_match``:
  x's rare values and combinations found verbatim in S), with its rates pooled over every
  candidate (no membership used), so generator mode sees the copied values release mode sees.

Per candidate and feature, Gaussians with a shared variance are fitted to the "in" and "out"
observations; the variance is shrunk towards the variance pooled over all candidates (so a
candidate with few observations falls back to the pooled one), the in-out difference towards
the average one (empirical Bayes), and a candidate never seen "in" (or "out") borrows the
average difference. The score is the summed log likelihood ratio of the real release's
features. Real membership enters only through the real release.

Design of the shadow training sets: shadows come in complementary pairs. Pair j splits the
pool into two random halves; shadow 2j trains on the first, 2j + 1 on the second (each cut to
|train| rows when the half is larger). With a holdout as large as train every candidate is in
exactly half of any even number of shadows, so K = 4, 8, 16 ... are balanced prefixes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from synthcheck.attacks.base import Attack, AttackInputs, AttackScores, Number, PartialScores
from synthcheck.attacks.query_match import QueryMatcher
from synthcheck.distance.encode import MixedEncoder
from synthcheck.distance.neighbours import nearest
from synthcheck.errors import InputError
from synthcheck.inputs.columns import (
    BOOLEAN,
    CATEGORICAL,
    DATETIME,
    NUMERIC,
    ColumnTypes,
    coerce_table,
)
from synthcheck.inputs.load import Table
from synthcheck.support.randomness import rng as rng_for
from synthcheck.support.randomness import seed_for

LOCAL_NEIGHBOURS = 32
QUERY_COUNT = 16
QUERY_SIZES = (2, 3, 4)
VARIANCE_PRIOR = 8.0  # pseudo-observations of the pooled variance in each candidate's variance
VULNERABILITY_NEIGHBOURS = 5
K_STEPS = (4, 8, 16, 32, 64, 128, 256)
MIN_FITS = 4  # fewer cannot estimate a within-candidate variance for most candidates


# ------------------------------------------------------------------------------------------
# Features of candidates against one release
# ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FeatureSpace:
    """Everything that defines the features, fixed before any shadow is fitted."""

    types: ColumnTypes
    candidates: pd.DataFrame  # typed audited columns, train rows then holdout rows
    missing_columns: frozenset
    length_scale: float  # kernel bandwidth and local-count radius (the real release's spacing)
    queries: tuple  # ((categorical columns...), ordered column or None) per query
    matcher: QueryMatcher  # the query-match attack's queries about the candidates

    @property
    def names(self) -> list[str]:
        return (["log_dcr", "log_density", "log_local_count"]
                + [f"query_{i}" for i in range(len(self.queries))] + ["query_match"])


def draw_queries(types: ColumnTypes, seed: int, count: int = QUERY_COUNT) -> tuple:
    """Fixed random attribute subsets: 2-4 attributes, at most one numeric or date (so each
    query is one sort and binary search). Depends on the seed and the column types only."""
    rng = rng_for(seed, "shadow-queries")
    categorical = types.of_kind(CATEGORICAL, BOOLEAN)
    ordered = types.of_kind(NUMERIC, DATETIME)
    queries: list = []
    for _ in range(50 * count):
        if len(queries) >= count:
            break
        size = int(rng.choice(QUERY_SIZES))
        use_ordered = bool(ordered) and (not categorical or rng.random() < 0.5)
        numeric = str(rng.choice(ordered)) if use_ordered else None
        take = min(size - int(use_ordered), len(categorical))
        chosen = tuple(sorted(str(c) for c in rng.choice(categorical, take, replace=False))) \
            if take > 0 else ()
        query = (chosen, numeric)
        if (chosen or numeric) and query not in queries:
            queries.append(query)
    return tuple(queries)


def _joint_codes(columns: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of the value combinations, consistent between candidates and release."""
    n = len(columns[0][0])
    key = np.zeros(n + len(columns[0][1]), dtype=np.int64)
    for candidate_values, release_values in columns:
        codes, uniques = pd.factorize(np.concatenate([candidate_values, release_values]),
                                      use_na_sentinel=False)
        key, _ = pd.factorize(key * (len(uniques) + 1) + codes)
        key = key.astype(np.int64)
    return key[:n], key[n:]


def query_counts(candidates: pd.DataFrame, release: pd.DataFrame, queries: tuple) -> np.ndarray:
    """(candidates, queries) counts of release rows equal to the candidate on the query's
    categorical attributes and <= it on its numeric one (missing matches missing only)."""
    n = len(candidates)
    out = np.empty((n, len(queries)), dtype=np.int64)
    for q, (categorical, numeric) in enumerate(queries):
        parts = [(candidates[c].to_numpy(dtype=object), release[c].to_numpy(dtype=object))
                 for c in categorical]
        if numeric is not None:
            mine = candidates[numeric].to_numpy(dtype=np.float64)
            theirs = release[numeric].to_numpy(dtype=np.float64)
            parts.append((np.isnan(mine), np.isnan(theirs)))
            grid = np.unique(theirs[~np.isnan(theirs)])
            release_rank = np.where(np.isnan(theirs), 0, np.searchsorted(grid, theirs, "left"))
            # release rows ranked below this bound are <= the candidate's value
            bound = np.where(np.isnan(mine), 1, np.searchsorted(grid, mine, "right"))
            width = len(grid) + 1
        else:
            release_rank = np.zeros(len(release), dtype=np.int64)
            bound = np.ones(n, dtype=np.int64)
            width = 1
        mine_key, their_key = _joint_codes(parts)
        ordered = np.sort(their_key * width + release_rank)
        low = np.searchsorted(ordered, mine_key * width, "left")
        high = np.searchsorted(ordered, mine_key * width + bound, "left")
        out[:, q] = high - low
    return out


def release_features(space: FeatureSpace, release: pd.DataFrame) -> np.ndarray:
    """(candidates, features) float32: each candidate against the typed ``release``."""
    encoder = MixedEncoder(space.types).fit(release, set(space.missing_columns))
    encoded_release = encoder.transform(release)
    found = nearest(encoder.transform(space.candidates), encoded_release, LOCAL_NEIGHBOURS,
                    bandwidth=space.length_scale)
    rows = len(release)
    closest = found.distances[:, 0]
    local = (found.distances <= space.length_scale).sum(axis=1)
    counts = query_counts(space.candidates, release, space.queries)
    features = np.column_stack([
        np.log(closest + 1e-3 * space.length_scale),
        found.log_kernel_sum - np.log(rows),
        np.log1p(local),
        np.log((counts + 0.5) / (rows + 1.0)),
        space.matcher.match(release).score,
    ])
    return features.astype(np.float32)


# ------------------------------------------------------------------------------------------
# Shadow fits (run in worker processes)
# ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ShadowShared:
    """Sent to every worker once."""

    spec: object  # synthcheck.generators.GeneratorSpec
    pool: pd.DataFrame  # raw real records the shadows train on
    release_rows: int
    space: FeatureSpace


@dataclass(frozen=True)
class ShadowTask:
    shadow: int
    rows: np.ndarray  # pool positions of this shadow's training set, in training order
    seed: int


def shadow_features(task: ShadowTask, shared: ShadowShared) -> np.ndarray:
    """Fit one shadow generator and measure every candidate against its release."""
    from synthcheck.generators import fit_and_sample

    training = shared.pool.iloc[task.rows].reset_index(drop=True)
    release = fit_and_sample(shared.spec, training, shared.release_rows, task.seed)
    typed = coerce_table(Table("synthetic", f"<shadow {task.shadow} release>", release, ""),
                         shared.space.types)
    return release_features(shared.space, typed)


def shadow_training_sets(pool_size: int, training_rows: int, shadows: int, seed: int
                         ) -> list[np.ndarray]:
    """Pool positions each shadow trains on (complementary random halves, see the module
    docstring). Shadow k's set depends only on (seed, k // 2): prefixes of a run are runs."""
    sets = []
    for pair in range((shadows + 1) // 2):
        rng = np.random.default_rng(seed_for(seed, "shadow-pair", pair))
        order = rng.permutation(pool_size)
        halves = (order[: pool_size // 2], order[pool_size // 2:])
        for half in halves:
            if len(sets) == shadows:
                break
            if len(half) > training_rows:
                half = rng.choice(half, training_rows, replace=False)
            sets.append(rng.permutation(half))
    return sets


def likelihood_ratio(observations: np.ndarray, included: np.ndarray, target: np.ndarray,
                     prior: float = VARIANCE_PRIOR) -> np.ndarray:
    """Summed per-feature Gaussian log likelihood ratio (in vs out) of ``target``.

    observations: (fits, candidates, features); included: (fits, candidates) bool;
    target: (candidates, features), the real release's features.

    Per candidate and feature: in and out Gaussians with one variance, so the ratio is
    ``d (t - c) / var`` with d = mean_in - mean_out and c their midpoint. Two empirical-Bayes
    steps across candidates keep few observations from turning into noise:
    the variance is shrunk towards the pooled one (``prior`` pseudo-observations), and d
    towards the average shift by the share of its spread that is not sampling noise, so a
    feature that separates in from out for no candidate contributes nothing.
    """
    included = np.asarray(included, dtype=bool)
    fits, n, count = observations.shape
    n_in = included.sum(axis=0).astype(np.float64)
    n_out = fits - n_in
    degrees = np.maximum(n_in - 1, 0) + np.maximum(n_out - 1, 0)
    both = (n_in > 0) & (n_out > 0)
    total = np.zeros(n)
    for feature in range(count):
        x = observations[:, :, feature].astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_in = np.where(included, x, 0.0).sum(axis=0) / n_in
            mean_out = np.where(included, 0.0, x).sum(axis=0) / n_out
            centred = np.where(included, x - mean_in, x - mean_out)
        squares = (centred ** 2).sum(axis=0)
        pooled = squares.sum() / max(degrees.sum(), 1.0)
        if not pooled > 1e-12 or not both.any():
            continue  # constant within every candidate, or never both in and out: no evidence
        variance = (squares + prior * pooled) / (degrees + prior)
        difference = np.where(both, mean_in - mean_out, 0.0)
        shift = float(difference[both].mean())
        # a candidate seen on one side only borrows the average shift
        centre = np.where(both, (mean_in + mean_out) / 2.0,
                          np.where(n_in > 0, mean_in - shift / 2.0, mean_out + shift / 2.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            noise = np.where(both, variance * (1.0 / n_in + 1.0 / n_out), np.inf)
        spread = max(0.0, float(difference[both].var() - noise[both].mean()))
        weight = np.where(both, spread / (spread + noise), 0.0) if spread > 0 else 0.0
        shrunk = shift + weight * (difference - shift)
        total += shrunk * (target[:, feature].astype(np.float64) - centre) / variance
    return total


# ------------------------------------------------------------------------------------------
# The attack
# ------------------------------------------------------------------------------------------

class ShadowGenerators(Attack):
    name = "shadow"
    description = ("LiRA with shadow generators: per-record Gaussian likelihood ratio of "
                   "features (distance, density, local count, query counts) of the release, "
                   "in vs out of K shadow fits")
    requires_generator = True

    parameters: ClassVar[dict] = {"queries": Number(0, None, integer=True),
                  "prior": Number(0.0, None, exclusive=True)}

    def __init__(self, queries: int = QUERY_COUNT, prior: float = VARIANCE_PRIOR) -> None:
        self.queries = queries
        self.prior = prior

    def score(self, inputs: AttackInputs) -> AttackScores:
        from synthcheck.generators import GeneratorSetup
        from synthcheck.support.parallel import run_tasks

        setup = inputs.generator
        if not isinstance(setup, GeneratorSetup):
            raise InputError("the shadow attack needs a generator (--generator)")
        # shadows train on the whole pool; the scored candidates may be a sample of it
        positions = (np.arange(len(setup.pool)) if setup.candidate_rows is None
                     else np.asarray(setup.candidate_rows))
        if len(positions) != len(inputs.candidates):
            raise RuntimeError("shadow pool positions and candidates differ")
        vulnerability = self._vulnerability(inputs)  # ids stay in records.parquet, not in logs

        space = FeatureSpace(
            types=inputs.types, candidates=inputs.candidates,
            missing_columns=frozenset(c for c in inputs.types.columns
                                      if inputs.candidates[c].isna().any()),
            length_scale=float(inputs.synthetic_spacing),
            queries=draw_queries(inputs.types, inputs.seed, self.queries),
            matcher=QueryMatcher.build(inputs.candidates, inputs.types, inputs.seed))
        target = release_features(space, inputs.synthetic)
        training_sets = shadow_training_sets(len(setup.pool), setup.training_rows,
                                             setup.shadows, inputs.seed)
        smallest = min(len(rows) for rows in training_sets)
        if smallest < setup.training_rows:
            setup.log(f"shadow: the holdout is smaller than train, so shadow training sets (half "
                      f"of train + holdout) have {smallest} rows, train has "
                      f"{setup.training_rows}; a larger holdout makes shadows more faithful")
        included = np.zeros((setup.shadows, len(setup.pool)), dtype=bool)
        for k, rows in enumerate(training_sets):
            included[k, rows] = True
        tasks = [ShadowTask(k, rows, seed_for(inputs.seed, "shadow-pair", "shadow-fit", k))
                 for k, rows in enumerate(training_sets)]
        shared = ShadowShared(setup.spec, setup.pool, len(inputs.synthetic), space)
        backend = "dask" if setup.scheduler is not None else "joblib"
        with inputs.progress.stage(f"shadow fits ({backend})", len(tasks)) as tick:
            outcomes = run_tasks(shadow_features, tasks, shared, jobs=setup.jobs,
                                 scheduler=setup.scheduler, on_done=lambda outcome: tick(1))
        succeeded = [o for o in outcomes if o.ok]
        failed = [o for o in outcomes if not o.ok]
        if failed:
            setup.log(f"shadow: {len(failed)} of {len(tasks)} fit(s) failed after a retry "
                      f"(first: shadow {failed[0].index}: {failed[0].error}); scoring with the "
                      f"{len(succeeded)} that succeeded")
        if len(succeeded) < MIN_FITS:
            first = failed[0].error if failed else "no fits"
            raise InputError(f"generator '{setup.spec.name}': only {len(succeeded)} of "
                             f"{len(tasks)} shadow fits succeeded (the shadow attack needs at "
                             f"least {MIN_FITS}); first error: {first}")
        observations = np.stack([o.value for o in succeeded])
        used = included[[o.index for o in succeeded]][:, positions]
        scores = likelihood_ratio(observations, used, target, self.prior)

        partials = [PartialScores(("auc_by_shadows",),
                                  likelihood_ratio(observations[:k], used[:k], target, self.prior),
                                  {"shadows": k}, listed=True)
                    for k in sorted({k for k in K_STEPS if k < len(succeeded)} | {len(succeeded)})]
        decile = vulnerability["order"][: max(1, len(scores) // 10)]
        in_decile = np.full(len(scores), np.nan)
        in_decile[decile] = scores[decile]
        partials.append(PartialScores(("vulnerability", "auc_most_vulnerable_tenth"), in_decile))
        details = {
            "shadows_requested": len(tasks),
            "shadows_used": len(succeeded),
            "shadows_failed": [{"shadow": o.index, "error": o.error} for o in failed],
            "retried": sum(o.attempts > 1 for o in outcomes),
            "backend": backend,
            "shadow_training_rows": int(np.median([len(s) for s in training_sets])),
            "inclusion_rate": float(used.mean()),
            "features": space.names,
            "queries": [{"equal": list(c), "at_most": n} for c, n in space.queries],
            "length_scale": space.length_scale,
            "auc_by_shadows_note": "AUC (95 % DeLong interval) using the first K fits; "
                                   "if it still rises at the largest K, more shadows would help",
            "vulnerability": {
                "measure": f"mean distance to the {VULNERABILITY_NEIGHBOURS} nearest other real "
                           "records (encoding fitted on the release); outliers leak most",
                "records": "per record in records.parquet (vulnerability, vulnerability_rank: "
                           "1 = most vulnerable); ids are kept out of results.json",
            },
        }
        return AttackScores(scores, details,
                            {"vulnerability": vulnerability["isolation"],
                             "vulnerability_rank": vulnerability["rank"]},
                            partial_scores=tuple(partials))

    def why_not_attributed(self) -> str:
        return ("its scores come from shadow generator fits; attributing it would recompute "
                "every shadow release's features once per column")

    @staticmethod
    def _vulnerability(inputs: AttackInputs) -> dict:
        """Rank candidates by isolation among the real records, before any shadow is fitted."""
        encoded = inputs.encoded_candidates
        found = nearest(encoded, encoded, VULNERABILITY_NEIGHBOURS, skip_same_row=True)
        isolation = found.distances.mean(axis=1)
        order = np.argsort(-isolation, kind="stable")
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(1, len(order) + 1)
        return {"isolation": isolation, "order": order, "rank": rank}
