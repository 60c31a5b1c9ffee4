"""DCR calibrated by the distance to the closest reference record (GAN-Leaks' calibration).

Typical records are close to everything, synthetic or real; dividing by the distance to the
nearest real non-member (cross-fitted) leaves what is special about the synthetic data.
"""
from __future__ import annotations

from typing import ClassVar

import numpy as np

from synthcheck.attacks.base import Attack, AttackInputs, AttackScores, NeighbourView, Number


class DistanceRatio(Attack):
    name = "dcr-ratio"
    description = "minus the ratio of the distance to the closest synthetic record to the distance to the closest reference (holdout) record, cross-fitted"

    parameters: ClassVar[dict] = {"floor_fraction": Number(0.0, None, exclusive=True)}

    def __init__(self, floor_fraction: float = 1e-3) -> None:
        # Keeps the ratio finite when a candidate has an exact twin among the references;
        # a fraction of the synthetic table's typical spacing, so it is unit-free.
        self.floor_fraction = floor_fraction

    def score(self, inputs: AttackInputs) -> AttackScores:
        view = NeighbourView(inputs.synthetic_neighbours().distances[:, 0],
                             inputs.reference_neighbours().distances[:, 0])
        return AttackScores(self.score_from_view(view, inputs))

    def score_from_view(self, view: NeighbourView, inputs: AttackInputs) -> np.ndarray:
        floor = self.floor_fraction * inputs.synthetic_spacing
        return -(view.to_synthetic + floor) / (view.to_reference + floor)
