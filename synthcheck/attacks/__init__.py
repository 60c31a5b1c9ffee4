"""The attack registry: adding an attack is one file and one line here.

``select`` turns what the user asked for (registry names, attack instances with their
parameters) into validated instances; ``resolve`` makes their ``auto`` choices for the sizes
at hand and settles the neighbour search they share.
"""
from __future__ import annotations

from collections.abc import Sequence

from synthcheck.attacks.base import Attack, AttackInputs, AttackScores
from synthcheck.attacks.combined import CombinedRanks
from synthcheck.attacks.dcr import DistanceToClosestRecord
from synthcheck.attacks.dcr_ratio import DistanceRatio
from synthcheck.attacks.density_ratio import DensityRatio
from synthcheck.attacks.exact_copy import ExactCopy
from synthcheck.attacks.local_likelihood import LocalLikelihoodRatio
from synthcheck.attacks.neighbourhood_ratio import NeighbourhoodRatio
from synthcheck.attacks.query_match import QueryMatch
from synthcheck.attacks.shadow import ShadowGenerators
from synthcheck.errors import InputError

REGISTRY: dict[str, type[Attack]] = {
    DistanceToClosestRecord.name: DistanceToClosestRecord,
    DistanceRatio.name: DistanceRatio,
    DensityRatio.name: DensityRatio,
    ShadowGenerators.name: ShadowGenerators,  # needs a generator; added when one is given
    ExactCopy.name: ExactCopy,
    QueryMatch.name: QueryMatch,
    NeighbourhoodRatio.name: NeighbourhoodRatio,  # opt-in (docs/reference.md: why)
    LocalLikelihoodRatio.name: LocalLikelihoodRatio,  # opt-in
    CombinedRanks.name: CombinedRanks,  # opt-in
}

DEFAULT_ATTACKS = ("dcr", "dcr-ratio", "density-ratio", "query-match", "exact-copy")


def select(attacks: Sequence[str | Attack] | None, *, with_generator: bool,
           density: str = "auto") -> list[Attack]:
    """Validated attack instances. ``None``: the default attacks, plus ``shadow`` with a
    generator. A name gets the registry's defaults (``density`` sets the density-ratio
    estimator of a density-ratio given by name); an instance keeps its own parameters."""
    if attacks is None:
        attacks = list(DEFAULT_ATTACKS) + (["shadow"] if with_generator else [])
    if isinstance(attacks, (str, Attack)):
        attacks = [attacks]
    chosen: list[Attack] = []
    for attack in attacks:
        if isinstance(attack, str):
            if attack not in REGISTRY:
                raise InputError(f"unknown attack '{attack}'; available: {', '.join(REGISTRY)}",
                                 parameter="attacks")
            attack = (DensityRatio(estimator=density) if attack == DensityRatio.name
                      else CombinedRanks(density=density) if attack == CombinedRanks.name
                      else REGISTRY[attack]())
        elif not isinstance(attack, Attack):
            raise InputError(f"must be attack names ({', '.join(REGISTRY)}) or Attack "
                             f"instances, got {type(attack).__name__}", parameter="attacks")
        attack.validate()
        if attack.name in {a.name for a in chosen}:
            raise InputError(f"attack '{attack.name}' is given more than once",
                             parameter="attacks")
        if attack.requires_generator and not with_generator:
            raise InputError(f"attack '{attack.name}' needs a generator", parameter="attacks")
        chosen.append(attack)
    if not chosen:
        raise InputError("no attacks selected", parameter="attacks")
    return chosen


def resolve(attacks: Sequence[Attack], candidates: int, synthetic: int,
            neighbour_search: str) -> tuple[list[Attack], str]:
    """Each attack with its ``auto`` choices made, and the neighbour search ("exact" or
    "approx") they will share: exact when a resolved attack needs every pair."""
    resolved = [attack.resolve(candidates, synthetic, neighbour_search) for attack in attacks]
    if neighbour_search == "approx" and any(a.needs_exact_neighbours() for a in resolved):
        neighbour_search = "exact"
    return resolved, neighbour_search


def kernel_bandwidth(attacks: Sequence[Attack], inputs: AttackInputs) -> float | None:
    """The bandwidth of the kernel sums the one shared neighbour pass must carry (None: no
    resolved attack reads kernel sums)."""
    wanted = {b for b in (a.kernel_bandwidth(inputs) for a in attacks) if b is not None}
    if len(wanted) > 1:
        raise RuntimeError(f"attacks ask for different kernel bandwidths {sorted(wanted)}")
    return wanted.pop() if wanted else None


__all__ = ["DEFAULT_ATTACKS", "REGISTRY", "Attack", "AttackInputs", "AttackScores",
           "kernel_bandwidth", "resolve", "select"]
