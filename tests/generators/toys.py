"""Generators that misbehave on purpose, referred to as ``tests.generators.toys:<Name>``."""
from __future__ import annotations

import hashlib
from typing import ClassVar

import pandas as pd

from synthcheck.generators.controls import NoisyCopies


class NoSample:
    """Has fit() but no sample()."""

    def fit(self, frame: pd.DataFrame) -> NoSample:
        return self


class WrongColumns(NoisyCopies):
    """Samples without its last column."""

    def sample(self, n: int) -> pd.DataFrame:
        return super().sample(n).iloc[:, :-1]


def _fingerprint(frame: pd.DataFrame) -> str:
    return hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).values.tobytes()).hexdigest()


class FailsFirstTry(NoisyCopies):
    """Raises the first time it is fitted on a given training set (in a given process, per
    ``token``), then behaves: a transient failure a retry cures."""

    seen: ClassVar[set] = set()

    def __init__(self, token: str, noise: float = 0.02, random_state: int | None = None):
        super().__init__(noise, random_state)
        self.token = token

    def fit(self, frame: pd.DataFrame) -> FailsFirstTry:
        key = (self.token, _fingerprint(frame))
        if key not in FailsFirstTry.seen:
            FailsFirstTry.seen.add(key)
            raise RuntimeError("transient failure (first try)")
        return super().fit(frame)


class FailsWithValue(NoisyCopies):
    """Always raises when its training set holds ``value`` in ``column``: a failure a retry
    does not cure."""

    def __init__(self, column: str, value, noise: float = 0.02, random_state: int | None = None):
        super().__init__(noise, random_state)
        self.column, self.value = column, value

    def fit(self, frame: pd.DataFrame) -> FailsWithValue:
        if (frame[self.column] == self.value).any():
            raise ValueError(f"cannot fit data containing {self.column}={self.value}")
        return super().fit(frame)


class AlwaysFails(NoisyCopies):
    def fit(self, frame: pd.DataFrame) -> AlwaysFails:
        raise RuntimeError("this generator never fits")
