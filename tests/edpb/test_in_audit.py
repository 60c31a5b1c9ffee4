"""The EDPB risks in an audit: results.json's ``edpb`` (schema, read back equal, aggregates
only) and the owner's per-record columns."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synthcheck
from synthcheck.auditing.results_json import loads
from tests.conftest import FIXTURES


@pytest.fixture(scope="module")
def verbatim():
    release = pd.read_csv(FIXTURES / "adult_train.csv").iloc[:1000]
    return synthcheck.audit(FIXTURES / "adult_train.csv", FIXTURES / "adult_holdout.csv",
                            synthetic=release, id_column="person_id", attacks="dcr",
                            quiet=True)


def test_results_json_has_the_three_risks_with_intervals_and_rates(verbatim):
    document = verbatim.document
    edpb = document["edpb"]
    required = {"risk", "low", "high", "attack_rate", "control_rate"}
    assert required <= set(edpb["singling_out"]) and required <= set(edpb["linkability"])
    assert set(edpb["inference"]) == set(verbatim.types.columns)
    assert all(required <= set(r) for r in edpb["inference"].values())
    assert edpb["singling_out"]["low"] > 0.5  # two thirds of train released verbatim
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((Path(synthcheck.__file__).parent / "schema"
                         / "results.schema.json").read_text())
    jsonschema.validate(document, schema)
    assert loads(verbatim.to_json()).edpb == verbatim.results.edpb


def test_no_record_value_reaches_results_json(verbatim):
    text = verbatim.to_json()
    train = pd.read_csv(FIXTURES / "adult_train.csv")
    for value in train["fnlwgt"].astype(str).iloc[:200]:  # near-unique numbers
        assert f": {value}," not in text and f'"{value}"' not in text


def test_records_say_per_record_what_was_singled_out_linked_and_inferred(verbatim):
    records = verbatim.records
    edpb = verbatim.results.edpb
    columns = ["edpb_singled_out", "edpb_linked", "edpb_secrets_inferred"]
    assert set(columns) <= set(records)
    members = records["role"] == "train"
    assert records.loc[members, "edpb_singled_out"].sum() == edpb.singling_out.attack_successes
    assert records.loc[~members, "edpb_linked"].sum() == edpb.linkability.control_successes
    assert np.isfinite(records["edpb_linked"]).sum() == 2 * edpb.records
