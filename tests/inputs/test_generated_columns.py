"""Releases with Faker-written columns (issue 19): SDV replaces columns its metadata calls
personal data (a US state, names, ids) with fake values by default. Such a column shares no
value with train; the refusal says it looks generated and how to declare it, and with the
declaration the column is audited by the exact-value check like any excluded column."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synthcheck.cli.main import main
from synthcheck.inputs.validate import personal_sdtype
from tests.integration.test_cli_boundary import one_line_error

DATA = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "loans"
COLUMNS = ["state", "homeownership", "annual_income", "loan_amount", "grade", "term"]
#: what Faker's state() writes: full names, never train's two-letter codes
FAKER_STATES = ["Alabama", "Alaska", "Arizona", "California", "Colorado", "Florida", "Georgia",
                "Illinois", "New York", "Ohio", "Texas", "Utah", "Washington"]


@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    parts = {role: pd.read_csv(DATA / f"{part}.csv.gz", usecols=COLUMNS).head(300)
             for role, part in (("train", "train"), ("holdout", "holdout"),
                                ("synthetic", "population"))}
    rng = np.random.default_rng(5)
    parts["synthetic"]["state"] = rng.choice(FAKER_STATES, len(parts["synthetic"]))
    paths = {}
    for role, frame in parts.items():
        paths[role] = tmp_path / f"{role}.csv"
        frame.to_csv(paths[role], index=False)
    return paths


def arguments(files, *extra: str) -> list[str]:
    return ["audit", "--quiet", "--attacks", "dcr", *extra,
            *(arg for role, path in files.items() for arg in (f"--{role}", str(path)))]


def test_a_faker_state_column_is_refused_with_a_hint(files, capsys):
    code = main(arguments(files))
    captured = capsys.readouterr()
    line = one_line_error(code, captured.out, captured.err, "synthetic.csv", "column 'state'",
                          "no value here is one of train's", "sdtype 'administrative_unit'",
                          "--metadata", "Faker")
    assert "in train" not in line  # train's values are real records': not shown


@pytest.mark.slow
def test_declared_it_is_audited_by_the_exact_value_check(files, capsys, tmp_path):
    metadata = tmp_path / "metadata.json"
    metadata.write_text(json.dumps({"columns": {"state": {"sdtype": "administrative_unit"}}}))
    code = main(arguments(files, "--metadata", str(metadata), "--json"))
    results = json.loads(capsys.readouterr().out)
    assert code in (0, 1, 3)
    assert "state" in results["inputs"]["excluded_columns"]
    assert "state" in results["copies"]["columns"]


@pytest.mark.parametrize("name, sdtype", [
    ("state", "administrative_unit"), ("customer_email", "email"), ("zip_code", "postcode"),
    ("first_name", "first_name"), ("loan_id", "id"), ("age", None), ("grade", None)])
def test_personal_sdtype_from_the_name(name, sdtype):
    assert personal_sdtype(name) == sdtype
