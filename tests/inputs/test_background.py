"""Fingerprints of large files computed by a child process: the in-process value, always."""
from __future__ import annotations

import os
import pickle
import sys
import threading
from concurrent.futures import Future
from pathlib import Path

import pandas as pd
import pytest

from synthcheck.errors import InputError
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


def _rewrite_keeping_size_and_time(file: Path) -> None:
    """Another writer changes one digit of the file in place and restores its modification
    time: the size, inode and time a stat() sees stay the same."""
    status = file.stat()
    raw = bytearray(file.read_bytes())
    at = raw.index(b"\n") + 1
    while not chr(raw[at]).isdigit():
        at += 1
    raw[at] = ord("1") if raw[at] != ord("1") else ord("2")
    file.write_bytes(bytes(raw))
    os.utime(file, ns=(status.st_atime_ns, status.st_mtime_ns))
    after = file.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == \
        (status.st_size, status.st_mtime_ns, status.st_ino)


@pytest.mark.parametrize("child_reads_first", [True, False])
def test_a_file_rewritten_between_the_two_reads_is_refused(tmp_path, monkeypatch,
                                                         child_reads_first):
    """The audit's frame and the child's fingerprint must come from the same bytes: a file
    rewritten between the two reads is an input error, never a certificate of other bytes,
    even when the writer keeps the file's size and modification time (a stat() cannot tell)."""
    path = tmp_path / "train.csv"
    pd.read_csv(FIXTURES / "adult_train.csv").head(300).to_csv(path, index=False)
    monkeypatch.setattr(background, "BACKGROUND_BYTES", 0)
    in_child, read_bytes = background._in_child, background.read_bytes
    if child_reads_first:  # the child reads, then the file changes, then the audit reads
        gate = threading.Event()

        def child_then_rewrite(file: Path, is_csv: bool):
            found = in_child(file, is_csv)
            _rewrite_keeping_size_and_time(file)
            gate.set()
            return found

        def audit_reads_after(file: Path):
            gate.wait(60)
            return read_bytes(file)

        monkeypatch.setattr(background, "_in_child", child_then_rewrite)
        monkeypatch.setattr(background, "read_bytes", audit_reads_after)
    else:  # the audit reads, then the file changes, then the child reads
        def audit_then_rewrite(file: Path):
            found = read_bytes(file)
            _rewrite_keeping_size_and_time(file)
            return found

        gate = threading.Event()

        def child_after(file: Path, is_csv: bool):
            gate.wait(60)
            return in_child(file, is_csv)

        monkeypatch.setattr(background, "read_bytes", audit_then_rewrite)
        monkeypatch.setattr(background, "_in_child", child_after)
    table = load_table(path, "train")
    if not child_reads_first:
        gate.set()
    with pytest.raises(InputError, match="changed while the audit read it"):
        table.sha256


def test_the_same_bytes_read_twice_are_accepted(tmp_path, monkeypatch):
    """A file touched (new modification time) but not changed between the reads is the same
    input: its fingerprint is the in-process one."""
    path = tmp_path / "train.csv"
    pd.read_csv(FIXTURES / "adult_train.csv").head(300).to_csv(path, index=False)
    expected = load_table(path, "train").sha256
    monkeypatch.setattr(background, "BACKGROUND_BYTES", 0)
    in_child = background._in_child

    def touched_meanwhile(file: Path, is_csv: bool):
        os.utime(file, ns=(1, 1))
        return in_child(file, is_csv)

    monkeypatch.setattr(background, "_in_child", touched_meanwhile)
    assert load_table(path, "train").sha256 == expected
