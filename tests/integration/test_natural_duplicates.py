"""Natural duplicates (issue 19): in a genuine random split two different records (different
ids) can agree on every audited column. They are audited, counted and left out of the copy
test on both sides; rows identical in every column are still refused, all counted, the first
data rows named."""
from __future__ import annotations

import json

import pytest

from synthcheck.cli.main import main
from synthcheck.inputs.load import load_table
from synthcheck.inputs.validate import overlapping_rows, same_records
from tests.integration.test_cli_boundary import one_line_error

AUDITED_TWINS = (3, 40, 77)  # holdout rows given a train row's audited values, own ids


@pytest.fixture
def frames(adult):
    train, holdout = adult["train"].head(300).copy(), adult["holdout"].head(300).copy()
    columns = [c for c in train.columns if c != "person_id"]
    for k, row in enumerate(AUDITED_TWINS):
        holdout.loc[row, columns] = train.loc[10 + k, columns].to_numpy()
    return {"train": train, "holdout": holdout, "synthetic": adult["population"].head(300)}


def write(tmp_path, frames) -> list[str]:
    args = []
    for role, frame in frames.items():
        frame.to_csv(tmp_path / f"{role}.csv", index=False)
        args += [f"--{role}", str(tmp_path / f"{role}.csv")]
    return args


def test_twins_with_other_ids_are_different_records(frames, tmp_path):
    write(tmp_path, frames)
    from synthcheck.inputs.columns import coerce_table, decide_types

    train, holdout = (load_table(tmp_path / f"{r}.csv", r) for r in ("train", "holdout"))
    types = decide_types(train, id_column="person_id")
    overlap = overlapping_rows(coerce_table(train, types), coerce_table(holdout, types))
    assert sorted(overlap[overlap].index) == list(AUDITED_TWINS)
    assert not same_records(train, holdout, overlap).any()


@pytest.mark.slow
def test_natural_duplicates_are_audited_and_counted(frames, tmp_path, capsys):
    code = main(["audit", "--id-column", "person_id", "--attacks", "dcr,exact-copy", "--json",
                 *write(tmp_path, frames)])
    captured = capsys.readouterr()
    assert code in (0, 1, 3), captured.err
    results = json.loads(captured.out)
    assert results["inputs"]["holdout_natural_duplicates"] == len(AUDITED_TWINS)
    assert results["inputs"]["holdout_rows_dropped_as_overlap"] == 0
    assert results["counts"]["non_members"] == 300  # audited, not dropped
    rows = results["copies"]["rows"]
    assert rows["non_members"] == 300 - len(AUDITED_TWINS)  # the copy test leaves them out
    assert "natural duplicates" in captured.err
    # three twins are what a random split can give (p ~ 1/8): the premise check stays quiet
    assert results["inputs"]["holdout_twins_p"] > 0.05
    assert not any(c["check"] == "holdout_twins" for c in results["verdict_reasons"])


@pytest.mark.slow
def test_train_records_put_into_the_holdout_stop_a_pass(adult, tmp_path, capsys):
    """A vendor who copies train records into the holdout under fresh ids makes members look
    like non-members (every attack drifts toward chance): more train twins in the holdout than
    a random split gives turns the clean release's PASS into INCONCLUSIVE, and says why."""
    train, holdout = adult["train"].copy(), adult["holdout"].copy()
    columns = [c for c in train.columns if c != "person_id"]
    frames = {"train": train, "holdout": holdout, "synthetic": adult["population"]}
    args = ["audit", "--id-column", "person_id", "--json", *write(tmp_path, frames)]
    assert main(args) == 0, capsys.readouterr().err  # honest: PASS
    capsys.readouterr()
    holdout.loc[:11, columns] = train.loc[500:511, columns].to_numpy()  # 12 planted, own ids
    code = main(["audit", "--id-column", "person_id", "--json", *write(tmp_path, frames)])
    captured = capsys.readouterr()
    results = json.loads(captured.out)
    assert code == 3, captured.err
    assert results["verdict"] == "INCONCLUSIVE"
    assert results["inputs"]["holdout_twins_p"] <= 0.05
    first = results["verdict_reasons"][0]
    assert first["check"] == "holdout_twins" and first["outcome"] == "INCONCLUSIVE"
    assert "12 of 1500 holdout records equal a train record" in first["reason"]


def test_rows_identical_in_every_column_are_refused_counting_all(frames, tmp_path, capsys):
    frames = dict(frames)
    train, holdout = frames["train"].drop(columns="person_id"), frames["holdout"].drop(columns="person_id")
    for k, row in enumerate((5, 6, 7, 8, 9, 200, 250)):
        holdout.loc[row] = train.loc[20 + k].to_numpy()
    frames.update(train=train, holdout=holdout,
                  synthetic=frames["synthetic"].drop(columns="person_id"))
    code = main(["audit", "--quiet", "--attacks", "dcr", *write(tmp_path, frames)])
    captured = capsys.readouterr()
    line = one_line_error(code, captured.out, captured.err, "holdout.csv")
    assert "10 holdout row(s) are identical to a train row in every column" in line, line
    assert "data rows 4, 6, 7, 8, 9, ..." in line, line
