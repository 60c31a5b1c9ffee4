"""Distance to the closest synthetic record: a member copied (or nearly) into the release sits
unusually close to some synthetic row."""
from __future__ import annotations

import numpy as np

from synthcheck.attacks.base import Attack, AttackInputs


class DistanceToClosestRecord(Attack):
    name = "dcr"
    description = "minus the distance to the closest synthetic record"

    def score(self, inputs: AttackInputs) -> np.ndarray:
        return -inputs.synthetic_neighbours().distances[:, 0]
