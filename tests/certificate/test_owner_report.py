"""The data owner's HTML report: self-contained, and rendered by a real headless Chromium."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from html import unescape as html_unescape
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synthcheck
from tests.conftest import partial_leak

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run")


def chromium() -> str:
    """The Debian Chromium (the Makefile's system-deps installs it); CI must have it."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: `make system-deps` installs it")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


def run_chromium(page: Path, profile: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr",
         "--v=0", *arguments, page.resolve().as_uri()],
        capture_output=True, text=True, timeout=180, check=False)


@pytest.fixture(scope="module")
def leaky_audit(tmp_path_factory, adult) -> Path:
    folder = tmp_path_factory.mktemp("audit")
    result = synthcheck.audit(adult["train"], adult["holdout"],
                              synthetic=partial_leak(adult, 1, 0.2), id_column="person_id",
                              seed=0)
    result.write(folder)
    return folder


@pytest.fixture(scope="module")
def report(leaky_audit, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    done = subprocess.run([sys.executable, "-m", "synthcheck.cli", "report", str(leaky_audit),
                           "--out", str(out), "--top", "10"], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert "do not share" in done.stderr
    return out


@pytest.mark.slow
def test_the_report_is_one_file_that_loads_nothing(report):
    html = report.read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    references = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']|url\(\s*["']?([^)"']*)""",
                            html, flags=re.IGNORECASE)
    for reference in (a or b for a, b in references):
        assert reference.startswith(("data:", "#")), reference
    top = html[html.index("<body"):][:600]  # the first thing on the page
    assert "CONFIDENTIAL" in top and "Do not share" in top


@pytest.mark.slow
def test_the_report_names_the_records_and_why(report, leaky_audit):
    html = report.read_text(encoding="utf-8")
    from synthcheck.certificate.owner_report import ranked_records

    records = pd.read_parquet(leaky_audit / "records.parquet")
    attacks = [c.removeprefix("score_") for c in records.columns if c.startswith("score_")]
    top = ranked_records(records, attacks, 10)
    assert (top["risk_percentile"] > 99).all()  # a leak: the top ten beat every non-member
    for name in top["id"]:
        assert f"<td>{name}</td>" in html  # for the data owner: records by id
    assert "Matches exactly" in html and "Which columns carry the leak" in html
    assert "FAIL" in html
    # the verdict box opens with the certificate's sentence: which checks failed, and by how much
    from synthcheck.auditing.story import verdict_sentence
    from synthcheck.certificate.owner_report import read_audit_dir

    sentence = verdict_sentence(read_audit_dir(leaky_audit)[0])
    assert "exceed the policy's limits" in sentence
    box = html[html.index('<div class="verdict'):html.index('<h2 id="checks">')]
    assert sentence in html_unescape(box)


@pytest.mark.slow
def test_chromium_renders_the_report_without_errors(report, tmp_path):
    from PIL import Image

    shot = tmp_path / "report.png"
    done = run_chromium(report, tmp_path / "profile", "--window-size=1280,2000",
                        f"--screenshot={shot}")
    assert done.returncode == 0, done.stderr[-2000:]
    console = [line for line in done.stderr.splitlines() if ":CONSOLE" in line]
    assert console == []  # the page runs no script: any console line is an error
    pixels = np.asarray(Image.open(shot).convert("RGB"), dtype=np.int16)
    assert pixels.shape[:2] == (2000, 1280)
    ink = (pixels.sum(axis=2) < 600).mean()  # anything not near-white
    assert ink > 0.05, ink  # not blank
    banner = pixels[5:40, 100:1100].reshape(-1, 3).mean(axis=0)
    assert banner[0] > banner[1] + 40  # the dark red warning is drawn on top
    dom = run_chromium(report, tmp_path / "profile2", "--dump-dom")
    assert dom.returncode == 0
    assert "CONFIDENTIAL" in dom.stdout and "Records most at risk" in dom.stdout


def test_chromium_test_can_fail_on_a_console_error(tmp_path):
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><html><body><p>x</p>"
                    "<script>undefinedFunction();</script></body></html>")
    done = run_chromium(page, tmp_path / "profile", "--dump-dom")
    assert any(":CONSOLE" in line and "undefinedFunction" in line
               for line in done.stderr.splitlines())
