"""The attacks together: mean of each record's percentile ranks under several attacks.

No single attack wins on every release (Synth-MIA; the ensemble of arXiv 2509.05350): distance
attacks catch near-copies, density ratios catch excess mass, neighbourhood counts sit between.
This attack averages, per candidate, its percentile rank (among all candidates) under each
component attack. It is label-free: no membership label is read, every candidate is
transformed alike, so its AUC is as honest as its components' (a record with no signal in any
component stays near the middle). A learned combiner (weights fitted on membership labels)
could be stronger, but must then be cross-fitted over candidates, and at the sizes audits see
(hundreds of records) the weights are noisy and each fold loses a fifth of its records; the
rank mean needs neither.

Components share the inputs' cached neighbour passes and scores (``AttackInputs.scores_of``),
so running this beside its components costs little more than the components alone.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy.stats import rankdata

from synthcheck.attacks.base import Attack, AttackInputs, AttackScores, OneOf

COMPONENTS = ("dcr", "dcr-ratio", "density-ratio", "neighbourhood-ratio", "local-lr")


class CombinedRanks(Attack):
    name = "combined"
    description = ("mean of each record's percentile ranks under dcr, dcr-ratio, density-ratio, "
                   "neighbourhood-ratio and local-lr (label-free)")

    parameters: ClassVar[dict] = {"density": OneOf(("auto", "kde", "classifier"))}

    def __init__(self, density: str = "auto") -> None:
        self.density = density  # the density-ratio component's estimator

    def components(self) -> list[Attack]:
        from synthcheck.attacks import REGISTRY
        from synthcheck.attacks.density_ratio import DensityRatio

        return [DensityRatio(estimator=self.density) if name == DensityRatio.name
                else REGISTRY[name]() for name in COMPONENTS]

    def resolve(self, candidates: int, synthetic: int, neighbour_search: str) -> CombinedRanks:
        density = next(a for a in self.components() if a.name == "density-ratio")
        return CombinedRanks(density.resolve(candidates, synthetic, neighbour_search).estimator)

    def needs_exact_neighbours(self) -> bool:
        return any(a.needs_exact_neighbours() for a in self.components())

    def kernel_bandwidth(self, inputs: AttackInputs) -> float | None:
        wanted = [b for b in (a.kernel_bandwidth(inputs) for a in self.components())
                  if b is not None]
        return wanted[0] if wanted else None

    def score(self, inputs: AttackInputs) -> AttackScores:
        ranks = []
        for component in self.components():
            scores = np.asarray(inputs.scores_of(component).scores, dtype=np.float64)
            ranks.append(rankdata(scores) / len(scores))  # ties share their mean rank; inf fine
        return AttackScores(np.mean(ranks, axis=0), {"components": list(COMPONENTS)})
