"""DOMIAS: log p_synthetic(x) - log p_reference(x).

A generator that overfits puts excess density on its training records compared with the
population (estimated from reference records, cross-fitted). Two estimators:

* ``kde``: Gaussian kernel densities in the encoded space, bandwidth = a quarter of the
  synthetic table's typical nearest-neighbour spacing (at the full spacing a 10 % near-copy
  leak is smoothed away: AUC 0.48 vs 0.54 at a quarter on the fixtures' partial leak, with
  null controls unchanged). Needs every candidate-synthetic pair, so small data only;
  it shares its pass with the distance attacks.
* ``classifier``: gradient-boosted trees told apart synthetic rows from reference rows (equal
  class weights); their log-odds estimate the log density ratio, at any scale.

``auto`` picks kde while candidates x (synthetic + reference) pairs stay under a budget and the
neighbour search is exact (kernel sums need every pair, which approximate search avoids); the
attack resolves it itself (``resolve``), and a kde attack asks for exact search.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from synthcheck.attacks.base import Attack, AttackInputs, AttackScores, NeighbourView, Number, OneOf
from synthcheck.support.parallel import cores, map_blocks
from synthcheck.support.randomness import rng as rng_for

KDE_PAIR_BUDGET = 3e8
KDE_BANDWIDTH_FACTOR = 0.25  # x the synthetic table's median nearest-neighbour distance
CLASSIFIER_MAX_SYNTHETIC = 500_000
BINS = 255


def choose_estimator(candidates: int, synthetic: int) -> str:
    return "kde" if candidates * (synthetic + candidates) <= KDE_PAIR_BUDGET else "classifier"


class DensityRatio(Attack):
    name = "density-ratio"
    description = "DOMIAS: log p_synthetic(x) - log p_reference(x), reference densities cross-fitted"

    parameters: ClassVar[dict] = {"estimator": OneOf(("auto", "kde", "classifier")),
                  "max_iter": Number(1, None, integer=True)}

    def __init__(self, estimator: str = "auto", max_iter: int = 200) -> None:
        self.estimator = estimator
        self.max_iter = max_iter

    def resolve(self, candidates: int, synthetic: int, neighbour_search: str) -> DensityRatio:
        if self.estimator != "auto":
            return DensityRatio(self.estimator, self.max_iter)
        if neighbour_search == "approx":
            return DensityRatio("classifier", self.max_iter)
        return DensityRatio(choose_estimator(candidates, synthetic), self.max_iter)

    def needs_exact_neighbours(self) -> bool:
        return self.estimator == "kde"

    def kernel_bandwidth(self, inputs: AttackInputs) -> float | None:
        if self.estimator != "kde":
            return None
        return KDE_BANDWIDTH_FACTOR * inputs.synthetic_spacing

    def score(self, inputs: AttackInputs) -> AttackScores:
        if self.estimator == "auto":
            return self.resolve(len(inputs.candidates), len(inputs.synthetic),
                                inputs.neighbour_search).score(inputs)
        if self.estimator == "kde":
            if inputs.kde_bandwidth != self.kernel_bandwidth(inputs):
                raise RuntimeError("kde density ratio: the shared neighbour pass was not "
                                   "planned with this attack's kernel bandwidth")
            log_p_synthetic = (inputs.synthetic_neighbours().log_kernel_sum
                               - np.log(len(inputs.encoded_synthetic)))
            log_p_reference = inputs.reference_neighbours().log_kernel_sum
            scores = log_p_synthetic - log_p_reference
            return AttackScores(scores, {"estimator": "kde", "bandwidth": inputs.kde_bandwidth})
        return AttackScores(self._classifier_scores(inputs), {"estimator": "classifier"})

    def score_from_view(self, view: NeighbourView, inputs: AttackInputs) -> np.ndarray | None:
        """Kernel densities only (the classifier would be refitted per column)."""
        if self.estimator != "kde" or view.log_density_synthetic is None \
                or view.log_density_reference is None:
            return None
        return view.log_density_synthetic - view.log_density_reference

    def why_not_attributed(self) -> str:
        return "its classifier would be refitted once per column"

    def _classifier_scores(self, inputs: AttackInputs, threads: int | None = None
                           ) -> np.ndarray:
        """``threads``: folds fitted at once (default: every core), each on one OpenMP
        thread then; a fold's fit depends on its own seed and rows only, and the trees'
        scores do not depend on their thread count (NOTES.md), so neither do the scores."""
        threads = threads or cores()
        candidates, categorical = inputs.encoder.ordinal(inputs.candidates)
        synthetic, _ = inputs.encoder.ordinal(inputs.synthetic)
        extra = (inputs.encoder.ordinal(inputs.reference)[0] if inputs.reference is not None
                 else candidates[:0])  # --reference rows: in every fold's reference
        # Numeric columns are CDF positions: cut them into the trees' 255 bins here (quantile
        # bins of the synthetic table). With sample weights, the trees' own binning computes
        # 254 weighted percentiles per column, which dominated the run time at 100k rows.
        numeric = ~np.asarray(categorical)
        for table in (candidates, synthetic, extra):
            table[:, numeric] = np.round(table[:, numeric] * (BINS - 1)) / (BINS - 1)
        rng = rng_for(inputs.seed, "density-classifier")
        if len(synthetic) > CLASSIFIER_MAX_SYNTHETIC:
            synthetic = synthetic[rng.choice(len(synthetic), CLASSIFIER_MAX_SYNTHETIC, replace=False)]
        seeds = [int(rng.integers(2**31 - 1)) for _ in range(inputs.folds.count)]
        folds = [_Fold(seeds[fold],
                       np.vstack([candidates[inputs.folds.reference_rows(fold)], extra]),
                       candidates[inputs.folds.scored_in(fold)])
                 for fold in range(inputs.folds.count)]
        shared = _Classifier(synthetic, list(categorical), self.max_iter,
                             1 if threads > 1 and inputs.scheduler is None else None)
        scores = np.empty(len(candidates))
        with inputs.progress.stage("density-ratio classifiers", inputs.folds.count) as tick:
            # one task per fold (on Dask with a scheduler): fit, then score the fold's candidates
            found = map_blocks(_fit_and_score, folds, shared, scheduler=inputs.scheduler,
                               threads=threads, name="density", on_done=lambda index: tick(1))
        for fold, fold_scores in enumerate(found):
            scores[inputs.folds.scored_in(fold)] = fold_scores
        return scores


@dataclass(frozen=True)
class _Classifier:
    """What every fold's classifier reads: the (binned) synthetic rows and the settings."""

    synthetic: np.ndarray
    categorical: list[bool]
    max_iter: int
    #: OpenMP threads of one fit (None: the runtime's default); 1 while folds run side by
    #: side, so two fits do not share the two cores four ways
    openmp_threads: int | None = None


@dataclass(frozen=True)
class _Fold:
    seed: int
    reference: np.ndarray  # the fold's reference rows (holdout outside the fold, --reference)
    scored: np.ndarray  # the candidates scored with this fold's classifier


def _fit_and_score(fold: _Fold, shared: _Classifier) -> np.ndarray:
    """Tell synthetic rows from reference rows (equal class weights); the log-odds of the
    fold's candidates estimate their log density ratio."""
    if shared.openmp_threads is not None:
        from threadpoolctl import threadpool_limits

        # OpenMP's thread count is a setting of the calling thread: this fold's thread only
        with threadpool_limits(limits=shared.openmp_threads, user_api="openmp"):
            return _fit_and_score(fold, dataclasses.replace(shared, openmp_threads=None))
    from sklearn.ensemble import HistGradientBoostingClassifier

    synthetic, reference = shared.synthetic, fold.reference
    features = np.vstack([synthetic, reference])
    labels = np.r_[np.ones(len(synthetic)), np.zeros(len(reference))]
    weights = np.r_[np.full(len(synthetic), 0.5 / len(synthetic)),
                    np.full(len(reference), 0.5 / len(reference))] * len(labels)
    model = HistGradientBoostingClassifier(
        max_iter=shared.max_iter, learning_rate=0.1, categorical_features=shared.categorical,
        early_stopping=True, validation_fraction=0.1, n_iter_no_change=10,
        random_state=fold.seed)
    model.fit(features, labels, sample_weight=weights)
    return model.decision_function(fold.scored)
