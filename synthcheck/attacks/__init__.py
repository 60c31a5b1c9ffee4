"""The attack registry: adding an attack is one file and one line here."""
from __future__ import annotations

from synthcheck.attacks.base import Attack, AttackInputs
from synthcheck.attacks.dcr import DistanceToClosestRecord
from synthcheck.attacks.dcr_ratio import DistanceRatio
from synthcheck.attacks.density_ratio import DensityRatio
from synthcheck.attacks.shadow import ShadowGenerators

REGISTRY: dict[str, type[Attack]] = {
    DistanceToClosestRecord.name: DistanceToClosestRecord,
    DistanceRatio.name: DistanceRatio,
    DensityRatio.name: DensityRatio,
    ShadowGenerators.name: ShadowGenerators,  # needs a generator; added when one is given
}

DEFAULT_ATTACKS = ("dcr", "dcr-ratio", "density-ratio")

__all__ = ["DEFAULT_ATTACKS", "REGISTRY", "Attack", "AttackInputs"]
