"""Real generators from other projects, wrapped as ``fit(frame)`` / ``sample(n)`` objects.

synthcheck takes any ``module:callable`` generator; these wrappers let ``benchmarks/generators.py``
make releases with them and let the shadow attack refit them
(``--generator benchmarks.peer_generators:SynthpopCart``). Each wrapper undoes the small
incompatibilities of its package with today's numpy and pandas (named where they are made),
so the package itself is used unchanged.

* ``SynthpopCart``: sequential CART, ``schneiderkamplab-py-synthpop`` (a port of R's synthpop).
* ``SmartnoiseMst``: MST (the NIST 2018 challenge winner), ``smartnoise-synth``; differentially
  private at ``epsilon`` (10 by default: a weak guarantee, so some leakage may remain).
* ``AdversarialRandomForest``: ARF (Watson et al. 2023), ``arfpy``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

MISSING_CATEGORY = "__missing__"


def _shim_numpy_pandas() -> None:
    """arfpy calls ``np.in1d`` (removed in numpy 2.4) and synthpop calls
    ``Series.iteritems`` (removed in pandas 2); both are plain aliases of today's names."""
    if not hasattr(np, "in1d"):
        np.in1d = np.isin
    for cls in (pd.Series, pd.DataFrame):
        if not hasattr(cls, "iteritems"):
            cls.iteritems = cls.items


def _categorical(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns
            if not pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c])]


class _Wrapped:
    """Shared bookkeeping: the training frame's columns and dtypes, restored on samples, and
    missing categories carried as a level of their own (none of the three packages keeps NaN
    in a text column)."""

    def __init__(self, random_state: int = 0) -> None:
        self.random_state = random_state

    def _prepare(self, frame: pd.DataFrame) -> pd.DataFrame:
        _shim_numpy_pandas()
        self.columns = list(frame.columns)
        self.dtypes = frame.dtypes.to_dict()
        self.categorical = _categorical(frame)
        out = frame.copy()
        for column in self.categorical:
            out[column] = out[column].astype(object).where(out[column].notna(), MISSING_CATEGORY)
            out[column] = out[column].astype(str)
        return out

    def _restore(self, sampled: pd.DataFrame) -> pd.DataFrame:
        out = sampled[self.columns].copy()
        for column in self.columns:
            if column in self.categorical:
                values = out[column].astype(object)
                out[column] = values.where(values.astype(str) != MISSING_CATEGORY, np.nan)
                if pd.api.types.is_bool_dtype(self.dtypes[column]):
                    out[column] = out[column].map({"True": True, "False": False, True: True,
                                                   False: False})
            else:
                numbers = pd.to_numeric(out[column], errors="coerce")
                if pd.api.types.is_integer_dtype(self.dtypes[column]):
                    numbers = numbers.round()
                    if not numbers.isna().any():
                        numbers = numbers.astype(self.dtypes[column])
                out[column] = numbers
        return out.reset_index(drop=True)


class SynthpopCart(_Wrapped):
    """Sequential CART as in R's synthpop (``schneiderkamplab-py-synthpop``, its defaults)."""

    def fit(self, frame: pd.DataFrame) -> SynthpopCart:
        from synthpop import Synthpop

        data = self._prepare(frame)
        kinds = {}
        for column in data.columns:
            if column in self.categorical:
                data[column] = data[column].astype("category")
                kinds[column] = "category"
            elif pd.api.types.is_integer_dtype(data[column]):
                kinds[column] = "int"
            else:
                kinds[column] = "float"
        self.model = Synthpop(seed=int(self.random_state))
        self.model.fit(data, kinds)
        return self

    def sample(self, rows: int) -> pd.DataFrame:
        return self._restore(self.model.generate(int(rows)))


class SmartnoiseMst(_Wrapped):
    """MST from ``smartnoise-synth``; numbers are binned by its preprocessor, whose bounds
    cost ``preprocessor_eps`` of the budget (so the release is DP at ``epsilon`` in all)."""

    def __init__(self, random_state: int = 0, epsilon: float = 10.0) -> None:
        super().__init__(random_state)
        self.epsilon = epsilon

    def fit(self, frame: pd.DataFrame) -> SmartnoiseMst:
        from snsynth import Synthesizer

        data = self._prepare(frame)
        numeric = [c for c in data.columns if c not in self.categorical]
        for column in numeric:  # MST has no missing numbers: the median stands in
            data[column] = data[column].astype(float).fillna(data[column].median())
        np.random.seed(int(self.random_state) % 2**32)
        self.model = Synthesizer.create("mst", epsilon=self.epsilon * 0.9, verbose=False)
        self.model.fit(data, preprocessor_eps=self.epsilon * 0.1,
                       categorical_columns=self.categorical, continuous_columns=numeric,
                       nullable=False)
        return self

    def sample(self, rows: int) -> pd.DataFrame:
        return self._restore(self.model.sample(int(rows)))


class AdversarialRandomForest(_Wrapped):
    """ARF (``arfpy``, its defaults: 30 trees, min node size 5)."""

    def fit(self, frame: pd.DataFrame) -> AdversarialRandomForest:
        from arfpy import arf

        data = self._prepare(frame)
        numeric = [c for c in data.columns if c not in self.categorical]
        for column in numeric:  # arfpy's trees take no missing numbers
            data[column] = data[column].astype(float).fillna(data[column].median())
        for column in self.categorical:
            data[column] = data[column].astype("category")
        np.random.seed(int(self.random_state) % 2**32)
        self.model = arf.arf(x=data, verbose=False)
        self.model.forde()
        return self

    def sample(self, rows: int) -> pd.DataFrame:
        return self._restore(self.model.forge(int(rows)))
