"""Dates (issue 19): every input's date column is read with the format decided from train; a
release that writes train's ISO dates day/month/year is refused naming file, column and row,
never re-guessed value by value (which read 980 of 1,500 copies as other dates)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthcheck.cli.main import main
from synthcheck.inputs.columns import decide_datetime_formats, decide_types
from synthcheck.inputs.load import load_table
from tests.integration.test_cli_boundary import one_line_error


def table(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    days = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 700, rows), unit="D")
    return pd.DataFrame({"opened": days.strftime("%Y-%m-%d"),
                         "amount": rng.integers(10, 5000, rows),
                         "branch": rng.choice(["north", "south", "east"], rows)})


@pytest.fixture
def files(tmp_path):
    train, holdout = table(300, 1), table(300, 2)
    # the release copies every train row, dates written day/month/year, days 1-12 first so a
    # parser guessing from the first value reads them month-first
    release = train.copy()
    stamps = pd.to_datetime(release["opened"])
    release["opened"] = stamps.dt.strftime("%d/%m/%Y")
    release = release.iloc[np.argsort(stamps.dt.day.to_numpy() > 12, kind="stable")]
    paths = {}
    for role, frame in (("train", train), ("holdout", holdout), ("synthetic", release)):
        paths[role] = tmp_path / f"{role}.csv"
        frame.to_csv(paths[role], index=False)
    return paths


def test_iso_train_dates_are_recorded_as_iso(files):
    from synthcheck.inputs.columns import ISO8601

    train = load_table(files["train"], "train")
    types = decide_types(train)
    decide_datetime_formats(types, train)
    assert types.datetime_formats == {"opened": ISO8601}


def test_a_release_in_another_date_format_is_refused_naming_the_row(files, capsys):
    code = main(["audit", "--quiet", "--attacks", "dcr", *(arg for role, path in files.items()
                                                          for arg in (f"--{role}", str(path)))])
    captured = capsys.readouterr()
    line = one_line_error(code, captured.out, captured.err, "synthetic.csv", "column 'opened'",
                          "ISO 8601", "first at data row 1")
    assert "300 value(s)" in line


@pytest.mark.slow
def test_the_same_release_in_train_format_audits(files, tmp_path, capsys):
    release = pd.read_csv(files["synthetic"])
    release["opened"] = pd.to_datetime(release["opened"], format="%d/%m/%Y").dt.strftime("%Y-%m-%d")
    release.to_csv(files["synthetic"], index=False)
    code = main(["audit", "--quiet", "--attacks", "dcr,exact-copy",
                 *(arg for role, path in files.items() for arg in (f"--{role}", str(path)))])
    out = capsys.readouterr().out
    assert code == 1 and "VERDICT: FAIL" in out  # every train row copied: found, not misread
