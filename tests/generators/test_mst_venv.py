"""benchmarks/mst_venv.py: MST's domain comes from the public table alone, never from the private
rows (or its ε would not hold). Parent side only: MST itself runs in a venv of its own
(smartnoise-synth), which CI does not have; benchmarks/canary_audit.py --generators mst1 runs it."""
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.mst_venv import OTHER, MstPublicDomain

DEMO = Path(__file__).resolve().parents[2] / "synthcheck" / "demo_data"


def _private() -> pd.DataFrame:
    frame = pd.read_csv(DEMO / "adult_train.csv").drop(columns="person_id").head(200)
    frame.loc[0, "workclass"] = "a level the public table lacks"
    frame.loc[1, "age"] = 1_000  # beyond the public range: clipped into the top bin
    frame.loc[2, "occupation"] = None
    return frame


def test_the_domain_is_read_from_the_public_table_only():
    public = str(DEMO / "adult_population.csv")
    a = MstPublicDomain(epsilon=1.0, public=public).fit(_private())
    b = MstPublicDomain(epsilon=1.0, public=public).fit(_private().iloc[::-1].head(50))
    assert a.cards_ == b.cards_  # the same domain whatever the private rows
    for name in a.columns_:
        what, values, _ = a.domain_[name]
        assert np.array_equal(np.asarray(values, dtype=object),
                              np.asarray(b.domain_[name][1], dtype=object))
    assert a.codes_.min() >= 0 and (a.codes_ < np.array(a.cards_)).all()


def test_codes_decode_to_the_cell_they_came_from():
    private = _private()
    model = MstPublicDomain(epsilon=1.0, public=str(DEMO / "adult_population.csv")).fit(private)
    decoded = model._decode(model.codes_, np.random.default_rng(0))
    assert list(decoded.columns) == list(private.columns) and len(decoded) == len(private)
    assert decoded.loc[0, "workclass"] == OTHER  # never the private value
    assert pd.isna(decoded.loc[2, "occupation"])
    ages = model.domain_["age"][1]
    assert ages[-2] <= decoded.loc[1, "age"] <= ages[-1]
    kept = private["sex"].notna()
    assert (decoded.loc[kept, "sex"] == private.loc[kept, "sex"]).all()
    categories = [j for j, name in enumerate(model.columns_)
                  if model.domain_[name][0] == "category"]
    assert (model._encode(decoded)[:, categories] == model.codes_[:, categories]).all()
