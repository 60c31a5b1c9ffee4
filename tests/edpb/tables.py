"""Test helper: small tables made into ``Tables`` the way the audit makes them (typed, encoded)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from synthcheck.distance.encode import MixedEncoder
from synthcheck.edpb.tables import make_tables
from synthcheck.inputs.columns import ColumnTypes


def tables_of(synthetic: pd.DataFrame, members: pd.DataFrame, holdout: pd.DataFrame,
              kinds: dict[str, str]):
    types = ColumnTypes(kinds=kinds)
    encoder = MixedEncoder(types).fit(synthetic, set(kinds))
    frames = {"synthetic": synthetic, "members": members, "holdout": holdout}
    return make_tables(encoder, kinds, {r: encoder.transform(f) for r, f in frames.items()},
                       frames)


def rows(n: int) -> np.ndarray:
    return np.arange(n)
