"""Progress in a CI log (issue 11): a plain line at least every interval, with the stage, the
fits done and the time left; nothing when off."""
from __future__ import annotations

import io
import time

import pytest

import synthcheck
from synthcheck.errors import InputError
from synthcheck.support.progress import Progress


def test_lines_mode_prints_the_stage_the_count_and_the_time_left():
    stream = io.StringIO()
    with Progress("lines", interval=0.05, stream=stream) as meter:
        meter.note("fitting generator sdv:GaussianCopulaSynthesizer on train ...")
        time.sleep(0.12)
        with meter.stage("shadow fits (joblib)", 8) as tick:
            tick(2)
            time.sleep(0.12)
    lines = stream.getvalue().splitlines()
    assert any("fitting generator" in line for line in lines), lines
    assert any("shadow fits (joblib): 2 of 8 done, about" in line and "left" in line
               for line in lines), lines
    assert all(line.startswith("synthcheck: ") for line in lines)
    time.sleep(0.1)
    assert stream.getvalue().splitlines() == lines  # the heartbeat stops with the audit


def test_off_prints_nothing():
    stream = io.StringIO()
    with Progress(False, interval=0.01, stream=stream) as meter:
        with meter.stage("x", 3) as tick:
            tick(1)
            time.sleep(0.05)
    assert stream.getvalue() == ""


def test_audit_refuses_an_unknown_progress_mode(adult):
    with pytest.raises(InputError, match="^progress: must be True, False or one of"):
        synthcheck.audit(adult["train"], adult["holdout"], synthetic=adult["population"],
                         progress="loud")


def test_a_step_with_nothing_counted_yet_says_it_is_running():
    # "distances to reference folds: 0 of 100000 done" read as stuck on a 50k CLI run
    stream = io.StringIO()
    with Progress("lines", interval=0.05, stream=stream) as meter:
        with meter.stage("distances to reference folds", 100_000):
            time.sleep(0.12)
    lines = stream.getvalue().splitlines()
    assert lines and all("0 of 100000 done, step running for" in line for line in lines), lines


def test_auto_is_lines_in_a_log_and_bars_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert Progress("auto", stream=io.StringIO()).mode == "lines"
    assert Progress("auto", stream=Terminal()).mode == "bar"
    assert Progress(False).mode == "off"
