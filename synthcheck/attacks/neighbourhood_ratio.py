"""DPI-style neighbourhood ratio: are a record's nearest real-or-synthetic neighbours synthetic?

Among the ``k`` rows closest to a candidate in the union of the release and its cross-fitted
reference (holdout outside its fold, and any ``--reference`` records), count the synthetic ones
(n_S) and the reference ones (n_R = k - n_S). Where the generator put excess mass on a training
record, synthetic rows crowd its neighbourhood. Score = log((n_S + ½)/|S|) - log((n_R + ½)/|R|):
a k-nearest-neighbour estimate of the log density ratio p_S/p_R (DOMIAS's quantity) that adapts
its radius to the data instead of using a fixed kernel bandwidth. The Synth-MIA benchmark calls
this DPI. Counts tie often, so ties are broken (within one count step) by the distance ratio of
``dcr-ratio``.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np

from synthcheck.attacks.base import Attack, AttackInputs, AttackScores, Number
from synthcheck.distance.neighbours import nearest


class NeighbourhoodRatio(Attack):
    name = "neighbourhood-ratio"
    description = ("DPI: synthetic vs reference rows among a record's k nearest neighbours "
                   "(log ratio, size-normalised), references cross-fitted")

    parameters: ClassVar[dict] = {"k": Number(1, 200, integer=True)}

    def __init__(self, k: int = 5) -> None:
        self.k = k

    def score(self, inputs: AttackInputs) -> AttackScores:
        k = int(self.k)
        to_synthetic = inputs.synthetic_knn(k).distances
        pool, withheld, _ = inputs.reference_pool()
        to_reference = inputs._memo(f"reference k={k}", lambda: nearest(
            inputs.encoded_candidates, pool, k,
            groups=(inputs.folds.candidate_fold, withheld),
            scheduler=inputs.scheduler).distances)
        # the k closest of the union: n_S = how many synthetic distances rank among them
        merged = np.concatenate([to_synthetic, to_reference], axis=1)
        order = np.argsort(merged, axis=1, kind="stable")[:, :k]
        n_synthetic = (order < k).sum(axis=1)
        sizes = inputs.reference_sizes()[inputs.folds.candidate_fold]
        log_ratio = (np.log((n_synthetic + 0.5) / len(inputs.encoded_synthetic))
                     - np.log((k - n_synthetic + 0.5) / sizes))
        # tie-break inside one count step (steps are >= log((k+.5)/(k-.5)) apart)
        ratio = (to_synthetic[:, 0] + 1e-12) / (to_reference[:, 0] + 1e-12)
        step = np.log((k + 0.5) / (k - 0.5)) if k > 1 else np.log(3.0)
        tie_break = 0.45 * step * (1.0 - 2.0 / np.pi * np.arctan(ratio))
        return AttackScores(log_ratio + tie_break, {"k": k})
