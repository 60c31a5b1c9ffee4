"""Distance to the closest synthetic record: a member copied (or nearly) into the release sits
unusually close to some synthetic row."""
from __future__ import annotations

import numpy as np

from synthcheck.attacks.base import Attack, AttackInputs, AttackScores, NeighbourView


class DistanceToClosestRecord(Attack):
    name = "dcr"
    description = "minus the distance to the closest synthetic record"

    def score(self, inputs: AttackInputs) -> AttackScores:
        return AttackScores(-inputs.synthetic_neighbours().distances[:, 0])

    def score_from_view(self, view: NeighbourView, inputs: AttackInputs) -> np.ndarray:
        return -view.to_synthetic
