"""Fingerprints of large files computed by a child process: the in-process value, always."""
from __future__ import annotations

import pickle
import sys
from concurrent.futures import Future
from pathlib import Path

import pandas as pd
import pytest

from synthcheck.inputs import background
from synthcheck.inputs.load import load_table

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


@pytest.fixture
def files(tmp_path: Path) -> list[Path]:
    frame = pd.read_csv(FIXTURES / "adult_train.csv").head(300)
    frame.to_parquet(tmp_path / "train.parquet", index=False)
    return [FIXTURES / "adult_train.csv", FIXTURES / "loans_gaussiancopula" / "train.csv.gz",
            tmp_path / "train.parquet"]


def test_a_child_process_gives_the_in_process_fingerprint(files, monkeypatch):
    in_process = [load_table(path, "train") for path in files]
    assert all(isinstance(table.fingerprint, str) for table in in_process)
    monkeypatch.setattr(background, "BACKGROUND_BYTES", 0)
    children = [load_table(path, "train") for path in files]
    assert all(isinstance(table.fingerprint, Future) for table in children)
    assert [t.sha256 for t in children] == [t.sha256 for t in in_process]
    for child, own in zip(children, in_process):
        assert child.frame.equals(own.frame)


def test_a_child_that_cannot_run_falls_back_to_this_process(files, monkeypatch):
    expected = load_table(files[0], "train").sha256
    monkeypatch.setattr(background, "BACKGROUND_BYTES", 0)
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    assert load_table(files[0], "train").sha256 == expected


def test_a_table_whose_fingerprint_is_pending_pickles_with_its_value(files, monkeypatch):
    monkeypatch.setattr(background, "BACKGROUND_BYTES", 0)
    table = load_table(files[2], "train")
    copied = pickle.loads(pickle.dumps(table))
    assert copied.fingerprint == table.sha256


def test_a_file_rewritten_between_the_two_reads_is_refused(tmp_path, monkeypatch):
    """The audit's frame and the child's fingerprint must come from the same bytes: a file
    rewritten while the child reads it is an input error, never a certificate of other bytes."""
    from synthcheck.errors import InputError

    path = tmp_path / "train.csv"
    pd.read_csv(FIXTURES / "adult_train.csv").head(300).to_csv(path, index=False)
    monkeypatch.setattr(background, "BACKGROUND_BYTES", 0)
    in_child = background._in_child

    def rewritten_meanwhile(file: Path, is_csv: bool) -> str:
        found = in_child(file, is_csv)
        frame = pd.read_csv(file)
        frame.iloc[:1].to_csv(file, mode="a", header=False, index=False)  # another row
        return found

    monkeypatch.setattr(background, "_in_child", rewritten_meanwhile)
    table = load_table(path, "train")
    with pytest.raises(InputError, match="changed while the audit read it"):
        table.sha256
