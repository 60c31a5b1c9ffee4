"""The canary audit's statistics: the one-run ε bound on canaries whose inclusion was decided by
independent fair coins (``synthcheck.generators.canaries``), each attack at a Bonferroni share
of the level, the bound the largest (so the best attack is chosen without peeking)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from synthcheck.measure import stats


@dataclass(frozen=True)
class CanaryResult:
    """Scores of the canary attacks and the canaries' coins; ``delta`` None: 1/m²."""

    scores: dict[str, np.ndarray]
    included: np.ndarray
    delta: float | None
    seed: int
    _cache: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def canaries(self) -> int:
        return int(self.included.size)

    @property
    def delta_used(self) -> float:
        if self.delta is not None:
            return self.delta
        inside = int(self.included.sum())
        return stats.default_delta(stats.one_run_candidates(inside, self.canaries - inside))

    def _per_attack(self, level: float) -> float:
        return stats.bonferroni_level(level, len(self.scores))

    def epsilon(self, level: float) -> tuple[float, str]:
        """The largest bound over the attacks, each at its Bonferroni share of ``level``, and
        the attack it comes from (the first named on a tie)."""
        key = ("epsilon", level)
        if key not in self._cache:
            found = {}
            inside = self.included
            for index, (name, score) in enumerate(self.scores.items()):
                if inside.all() or not inside.any():
                    found[name] = 0.0
                    continue
                found[name] = stats.epsilon_lower_bound(score[inside], score[~inside],
                                                        self.delta_used,
                                                        self._per_attack(level),
                                                        self.seed + index)
            best = max(found, key=lambda name: found[name])
            self._cache[key] = (float(found[best]), best)
        return self._cache[key]

    def ceiling(self, level: float) -> float:
        """The most this canary audit could show at ``level`` (a perfect attack)."""
        inside = int(self.included.sum())
        return float(stats.epsilon_ceiling(inside, self.canaries - inside, self.delta_used,
                                           self._per_attack(level)))
