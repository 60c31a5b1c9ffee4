"""Column decisions: no column leaves the audit silently. Id-like columns (text or whole
numbers unique per row) and personal-data sdtypes are left out of the distances but get an
exact-value check; a misspelt sdtype is a bad input; partial metadata infers the rest."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import synthcheck
from synthcheck.cli.main import main
from synthcheck.errors import InputError
from synthcheck.inputs.columns import NUMERIC, decide_types, infer_kind
from synthcheck.inputs.load import load_table


def with_identifiers(frame: pd.DataFrame, offset: int) -> pd.DataFrame:
    """adult plus an email and a customer number per record (distinct across the tables)."""
    out = frame.copy()
    numbers = 100_000 + offset + np.arange(len(frame)) * 7
    out["email"] = [f"user{n}@example.org" for n in numbers]
    out["customer_no"] = numbers
    return out


@pytest.fixture(scope="module")
def people(adult):
    return {part: with_identifiers(adult[part], offset) for part, offset in
            (("train", 0), ("holdout", 1), ("population", 2))}


def run(people, release, **options):
    options.setdefault("attacks", ["dcr"])
    return synthcheck.audit(people["train"], people["holdout"], synthetic=release,
                            id_column="person_id", **options)


def failed_columns(result) -> set[str]:
    return {r["attack"] for r in result.document["verdict_reasons"]
            if r["check"] == "copied_values" and r["outcome"] == "FAIL"}


@pytest.mark.slow
def test_id_like_columns_are_left_out_named_and_checked_and_a_clean_release_passes(people):
    result = run(people, people["population"])
    excluded = result.document["inputs"]["excluded_columns"]
    assert excluded["email"].startswith("id-like") and excluded["customer_no"].startswith("id-like")
    checked = result.document["copies"]["columns"]
    assert set(checked) == {"email", "customer_no", "person_id"}
    assert checked["email"]["members_found"] == 0 and checked["email"]["members"] == 1500
    assert result.verdict == "PASS"
    assert "columns audited: 15; left out of the distances: 3" in result.summary


@pytest.mark.slow
@pytest.mark.parametrize("column", ["email", "customer_no"])
def test_a_copied_identifier_column_fails(people, column):
    """The release's rows are other people's, but one identifier column holds train's values
    (shuffled, so no row is a copy)."""
    release = people["population"].copy()
    release[column] = people["train"][column].sample(frac=1, random_state=1).to_numpy()
    result = run(people, release)
    assert result.document["copies"]["columns"][column]["members_found"] == 1500
    assert failed_columns(result) == {f"column '{column}'"}
    assert result.verdict == "FAIL"


@pytest.mark.slow
def test_a_few_copied_identifiers_among_natural_ones_fail(people):
    """Twenty train customer numbers among the release's own: still more than the holdout."""
    release = people["population"].copy()
    release.loc[:19, "customer_no"] = people["train"]["customer_no"].head(20).to_numpy()
    assert failed_columns(run(people, release)) == {"column 'customer_no'"}


def write_metadata(tmp_path, columns: dict) -> str:
    path = tmp_path / "metadata.json"
    path.write_text(json.dumps({"primary_key": "person_id", "columns": columns}))
    return str(path)


@pytest.mark.slow
def test_partial_metadata_infers_the_rest_with_the_same_rules(people, tmp_path):
    metadata = write_metadata(tmp_path, {"person_id": {"sdtype": "id"},
                                         "education-num": {"sdtype": "categorical"}})
    release = people["population"].copy()
    release["email"] = people["train"]["email"].to_numpy()
    result = synthcheck.audit(people["train"], people["holdout"], synthetic=release,
                              metadata=metadata, attacks=["dcr"])
    types = result.document["inputs"]
    assert types["column_types"]["education-num"] == "categorical"
    assert types["excluded_columns"]["email"].startswith("id-like")
    assert types["excluded_columns"]["customer_no"].startswith("id-like")
    assert "email" not in types["column_types"]
    assert failed_columns(result) == {"column 'email'"}


@pytest.mark.slow
def test_personal_data_sdtypes_are_left_out_and_checked(people, tmp_path):
    metadata = write_metadata(tmp_path, {"email": {"sdtype": "email"},
                                         "customer_no": {"sdtype": "numerical"}})
    result = synthcheck.audit(people["train"], people["holdout"], synthetic=people["population"],
                              metadata=metadata, attacks=["dcr"])
    inputs = result.document["inputs"]
    assert inputs["excluded_columns"]["email"].startswith("sdtype 'email'")
    assert inputs["column_types"]["customer_no"] == "numeric"  # metadata overrides inference
    assert result.document["copies"]["columns"]["email"]["p_value"] == 1.0


def test_an_unknown_sdtype_is_a_bad_input(people, tmp_path):
    metadata = write_metadata(tmp_path, {"workclass": {"sdtype": "categorial"}})
    with pytest.raises(InputError) as raised:
        synthcheck.audit(people["train"], people["holdout"], synthetic=people["population"],
                         metadata=metadata)
    assert raised.value.column == "workclass"
    assert "'categorial' is not an SDV sdtype" in str(raised.value)
    assert "categorical" in str(raised.value) and "email" in str(raised.value)


def test_an_unknown_sdtype_exits_2_from_the_cli(adult, tmp_path, capsys):
    paths = {}
    for part in ("train", "holdout", "population"):
        paths[part] = tmp_path / f"{part}.csv"
        adult[part].to_csv(paths[part], index=False)
    metadata = write_metadata(tmp_path, {"workclass": {"sdtype": "categorial"}})
    code = main(["audit", "--train", str(paths["train"]), "--holdout", str(paths["holdout"]),
                 "--synthetic", str(paths["population"]), "--metadata", metadata, "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "column 'workclass'" in lines[0] and "known:" in lines[0]


def test_whole_numbers_unique_per_row_are_id_like_but_unique_measurements_are_not():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"customer": rng.permutation(10_000)[:200] + 5_000,
                          "balance": np.round(rng.lognormal(8, 1, 200), 2),
                          "age": rng.integers(18, 90, 200)})
    assert frame["balance"].is_unique
    types = decide_types(load_table(frame, "train"))
    assert types.excluded["customer"].startswith("id-like: a whole number unique")
    assert types.kinds == {"balance": NUMERIC, "age": NUMERIC}


def _kind_cell_by_cell(column: pd.Series) -> str:
    """infer_kind's text rules as they were, every cell parsed (the reference)."""
    from synthcheck.inputs.columns import _looks_datetime

    present = column.dropna()
    numbers = pd.to_numeric(present.astype(str).str.strip(), errors="coerce")
    if numbers.notna().all():
        return "numeric"
    if numbers.notna().mean() >= 0.99 and len(present) >= 50:
        return "error"
    lowered = set(present.astype(str).str.strip().str.lower().unique())
    if 0 < len(lowered) <= 2 and lowered <= {"true", "t", "yes", "y", "1", "1.0", "false",
                                             "f", "no", "n", "0", "0.0"} \
            and not lowered <= {"1", "0", "1.0", "0.0"}:
        return "boolean"
    return "datetime" if _looks_datetime(present) else "categorical"


@pytest.mark.parametrize("values", [
    [" 1", "2 ", "3.5", None, "1e3"] * 40,
    [" yes", "no ", None, "YES"] * 30,
    ["1", "0", "1"] * 30,
    ["t", "f", "x"] * 30,
    [str(i) for i in range(199)] + ["12,000"],
    [str(i) for i in range(99)] + ["abc"] * 2,
    ["2020-01-01", "2021-03-04 ", None] * 30,
    ["a", " b", "c "] * 30,
    [True, False, None, True] * 30,
])
def test_kinds_read_from_distinct_texts_are_those_of_every_cell(values):
    column = pd.Series(values, dtype=object, name="c")
    try:
        kind = infer_kind(column)
    except InputError:
        kind = "error"
    assert kind == _kind_cell_by_cell(column)


def test_a_numeric_column_with_a_few_bad_cells_names_their_count_and_first_row():
    values = [str(i) for i in range(300)]
    values[17], values[250] = "?", "?"
    with pytest.raises(InputError, match=r"except 2 value\(s\), first at data row 18"):
        infer_kind(pd.Series(values, dtype=object, name="c"))


@pytest.mark.parametrize("column", [
    pd.Series([" a", "b ", None, "a", " a"], name="x"),
    pd.Series(["a", "b", "a"], dtype="string", name="x"),
    pd.Series(["a ", None, "c"], dtype="category", name="x"),
    pd.Series([1, None, " 2 "], dtype=object, index=[5, 7, 9], name="x"),
])
def test_category_texts_stripped_once_per_distinct_text_as_every_cell_was(column):
    from synthcheck.inputs.columns import category_text

    expected = column.astype(str).str.strip().where(column.notna(), None).astype(object)
    found = category_text(column)
    assert found.equals(expected) and found.name == expected.name
    assert found.index.equals(column.index)
