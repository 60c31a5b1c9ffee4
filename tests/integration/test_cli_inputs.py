"""Inputs a new user gets wrong (issue 11): each is exit 2 with one line naming the right file
and column, nothing written; or, where it is data and not a mistake, a warning and a count."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from synthcheck.cli.main import main
from synthcheck.inputs.columns import coerce_table, decide_datetime_formats, decide_types
from synthcheck.inputs.load import load_table
from tests.integration.test_cli_boundary import one_line_error, run

pytestmark = pytest.mark.slow  # whole audits (the quick loop is -m 'not slow')


@pytest.fixture(scope="module")
def frames(adult) -> dict[str, pd.DataFrame]:
    return {"train": adult["train"].head(300).copy(), "holdout": adult["holdout"].head(300).copy(),
            "synthetic": adult["population"].head(300).copy()}


@pytest.fixture(scope="module")
def small(tmp_path_factory, frames) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("inputs")
    paths = {}
    for role, frame in frames.items():
        paths[role] = folder / f"{role}.csv"
        frame.to_csv(paths[role], index=False)
    return paths


def write(tmp_path: Path, frame: pd.DataFrame, name: str, **options) -> Path:
    path = tmp_path / name
    frame.to_csv(path, index=False, **options)
    return path


def test_a_semicolon_file_gets_a_hint(capsys, small, frames, tmp_path):
    path = write(tmp_path, frames["holdout"], "holdout.csv", sep=";")
    one_line_error(*run(capsys, small, holdout=path), "holdout.csv",
                   "1 column read: is the file ';'-separated?")


def test_a_column_differing_in_case_is_suggested(capsys, small, frames, tmp_path):
    path = write(tmp_path, frames["synthetic"].rename(columns={"age": "Age"}), "synthetic.csv")
    one_line_error(*run(capsys, small, synthetic=path), "synthetic.csv", "column 'age'",
                   "missing", "this file has 'Age'")


def test_a_duplicated_header_is_named_as_such(capsys, small, frames, tmp_path):
    path = tmp_path / "train.csv"
    text = frames["train"].to_csv(index=False).replace("hours_per_week", "age", 1)
    path.write_text(text)
    one_line_error(*run(capsys, small, train=path), "train.csv", "column 'age'",
                   "appears more than once in the header")


def test_compressed_csv_is_read(capsys, small, frames, tmp_path):
    path = write(tmp_path, frames["synthetic"], "synthetic.csv.gz")
    code, out, err = run(capsys, small, "--json", synthetic=path)
    assert code == 3, err
    assert json.loads(out)["inputs"]["synthetic"]["rows"] == 300


def test_ragged_train_rows_are_blamed_on_train(capsys, small, frames, tmp_path):
    path = tmp_path / "train.csv"
    lines = frames["train"].to_csv(index=False).splitlines()
    path.write_text("\n".join([lines[0]] + [line + ",x" for line in lines[1:]]) + "\n")
    one_line_error(*run(capsys, small, train=path), "train.csv", "more fields than the header")


def test_an_all_missing_train_table_is_blamed_on_train(capsys, small, frames, tmp_path):
    path = tmp_path / "train.csv"
    path.write_text(",".join(frames["train"].columns) + "\n" +
                    "," * (frames["train"].shape[1] - 1) + "\n")
    one_line_error(*run(capsys, small, train=path), "train.csv", "every value", "missing")


def test_a_column_empty_only_in_the_synthetic_table(capsys, small, frames, tmp_path):
    path = write(tmp_path, frames["synthetic"].assign(occupation=np.nan), "synthetic.csv")
    one_line_error(*run(capsys, small, synthetic=path), "synthetic.csv", "column 'occupation'",
                   "every value is missing here, but train and holdout has values")


def test_category_levels_sharing_nothing_with_train(capsys, small, frames, tmp_path):
    synthetic = frames["synthetic"].assign(sex=frames["synthetic"]["sex"].str.upper())
    path = write(tmp_path, synthetic, "synthetic.csv")
    one_line_error(*run(capsys, small, synthetic=path), "synthetic.csv", "column 'sex'",
                   "no value here is one of train's", "upper/lower case")


def test_a_synthetic_table_too_small_to_audit(capsys, small, frames, tmp_path):
    path = write(tmp_path, frames["synthetic"].head(1), "synthetic.csv")
    one_line_error(*run(capsys, small, synthetic=path), "synthetic.csv", "1 row(s)",
                   "at least 50")


def test_values_are_shown_as_written(capsys, small, frames, tmp_path):
    synthetic = frames["synthetic"].astype({"age": object})
    synthetic.loc[3, "age"] = "forty"
    path = write(tmp_path, synthetic, "synthetic.csv")
    line = one_line_error(*run(capsys, small, synthetic=path), "synthetic.csv", "'forty'")
    assert "np." not in line


def test_duplicated_train_records_are_warned_about_and_counted(capsys, small, frames, tmp_path):
    train = pd.concat([frames["train"], frames["train"].head(40)], ignore_index=True)
    train["person_id"] = [f"T{i}" for i in range(len(train))]
    path = write(tmp_path, train, "train.csv")
    args = ["audit", "--train", str(path), "--holdout", str(small["holdout"]), "--synthetic",
            str(small["synthetic"]), "--id-column", "person_id", "--attacks", "dcr", "--json"]
    code = main(args)
    captured = capsys.readouterr()
    assert code == 3
    assert "warning: 40 train record(s) repeat an earlier train record" in captured.err
    assert json.loads(captured.out)["inputs"]["train_duplicated_records"] == 40


def _dates(values: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"visit": values, "n": range(len(values))})


def test_dates_are_read_with_one_format_inferred_from_every_value():
    # the first date is ambiguous; a later one (25/12) says the column is day-first
    table = load_table(_dates(["03/04/2020", "25/12/2019", "01/02/2021"]), "train")
    types = decide_types(table, {"columns": {"visit": {"sdtype": "datetime"},
                                             "n": {"sdtype": "numerical"}}})
    decide_datetime_formats(types, table)
    assert types.datetime_formats == {"visit": "%d/%m/%Y"}
    seconds = coerce_table(table, types)["visit"]
    assert pd.to_datetime(seconds.iloc[0], unit="s") == pd.Timestamp("2020-04-03")


def test_ambiguous_dates_are_refused_with_both_readings(capsys, small, frames, tmp_path):
    rng = np.random.default_rng(0)
    dates = [f"{d:02d}/{m:02d}/2020" for d, m in rng.integers(1, 13, size=(300, 2))]
    train = write(tmp_path, frames["train"].assign(visit=dates), "train.csv")
    holdout = write(tmp_path, frames["holdout"].assign(visit=dates), "holdout.csv")
    synthetic = write(tmp_path, frames["synthetic"].assign(visit=dates), "synthetic.csv")
    one_line_error(*run(capsys, small, train=train, holdout=holdout, synthetic=synthetic),
                   "train.csv", "column 'visit'", "ambiguous", "%d/%m/%Y", "%m/%d/%Y")


def test_metadata_datetime_format_decides(frames):
    table = load_table(_dates(["03/04/2020", "05/06/2020"]), "train")
    metadata = {"columns": {"visit": {"sdtype": "datetime", "datetime_format": "%m/%d/%Y"},
                            "n": {"sdtype": "numerical"}}}
    types = decide_types(table, metadata)
    decide_datetime_formats(types, table)
    seconds = coerce_table(table, types)["visit"]
    assert pd.to_datetime(seconds.iloc[0], unit="s") == pd.Timestamp("2020-03-04")


def test_a_nearly_empty_column_may_be_empty_in_one_input_by_chance(frames):
    from synthcheck.inputs.validate import check_filled_columns, check_shared_categories

    train = frames["train"].assign(note=[None] * 299 + ["rare"])
    holdout = frames["holdout"].assign(note=None)
    tables = [load_table(train, "train"), load_table(holdout, "holdout")]
    types = decide_types(tables[0], None, "person_id")
    check_filled_columns(tables, types)  # 1 value in 300: an empty holdout column is chance
    names = pd.Series([f"name{i}" for i in range(300)])
    train_typed = pd.DataFrame({"who": names})
    other = pd.DataFrame({"who": pd.Series([f"other{i}" for i in range(300)])})
    wide = types.__class__(kinds={"who": "categorical"})
    check_shared_categories(train_typed, other, tables[1], wide)  # all singletons: chance
