"""What the command prints (issue 11): at most 100 columns with COLUMNS=80, every check tallied,
files named only when written, no record id unless asked, and `synthcheck records`."""
from __future__ import annotations

import json
import re
import subprocess
import sys

import pandas as pd
import pytest

from synthcheck.cli.main import main
from tests.conftest import FIXTURES
from tests.integration.test_cli_boundary import _env, one_line_error

pytestmark = pytest.mark.slow  # whole audits (the quick loop is -m 'not slow')

TRAIN, HOLDOUT = FIXTURES / "adult_train.csv", FIXTURES / "adult_holdout.csv"


@pytest.fixture(scope="module")
def shadow_run(tmp_path_factory):
    """A generator run with shadows, as CI would see it: COLUMNS=80, stderr not a terminal."""
    out = tmp_path_factory.mktemp("audit") / "audit"
    done = subprocess.run(
        [sys.executable, "-m", "synthcheck.cli", "audit", "--train", str(TRAIN), "--holdout",
         str(HOLDOUT), "--id-column", "person_id", "--generator",
         "synthcheck.generators.controls:NoisyCopies", "--generator-params", '{"noise": 0.05}',
         "--shadows", "4", "--jobs", "1", "--out", str(out)],
        capture_output=True, text=True, env=_env(COLUMNS="80"), timeout=600, check=False)
    return done, out


def test_no_line_over_100_characters_and_no_record_id(shadow_run):
    done, out = shadow_run
    assert done.returncode == 1, done.stderr
    # a line may run past 100 columns only when it is one unbreakable word (a long temp path)
    long = [line for line in (done.stdout + done.stderr).splitlines()
            if len(line) > 100 and len(line.split()) > 1]
    assert long == []
    ids = set(pd.read_parquet(out / "records.parquet")["id"])
    printed = set(re.findall(r"P\d+", done.stdout + done.stderr))
    assert printed.isdisjoint(ids), printed & ids
    said = " ".join(done.stderr.split())  # long lines are wrapped at 100 columns
    assert f"wrote results.json, records.parquet, synthetic.parquet in {out}" in said


def test_every_check_is_tallied(shadow_run):
    done, out = shadow_run
    reasons = json.loads((out / "results.json").read_text())["verdict_reasons"]
    assert f"{len(reasons)} checks: " in done.stdout
    fails = [r for r in reasons if r["outcome"] == "FAIL"]
    assert f"{len(fails)} FAIL" in done.stdout
    assert re.search(r"\d+ members \(chance alone: about \d+\), \d+ non-members", done.stdout)


def test_a_pass_tallies_every_check_and_names_no_file(capsys):
    code = main(["audit", "--train", str(TRAIN), "--holdout", str(HOLDOUT), "--synthetic",
                 str(FIXTURES / "adult_population.csv"), "--id-column", "person_id", "--json"])
    results = json.loads(capsys.readouterr().out)
    assert code == 0
    from synthcheck.auditing.results_json import from_document
    from synthcheck.auditing.summary import summary_text

    summary = summary_text(from_document(results))  # the summary reads the typed results
    checks = len(results["verdict_reasons"])
    assert f"{checks} checks: {checks} PASS" in summary and checks > 1
    assert "parquet" not in summary and "records." not in summary
    assert max(len(line) for line in summary.splitlines()) <= 100


def test_records_lists_the_records_most_at_risk(shadow_run, capsys):
    _, out = shadow_run
    assert main(["records", str(out), "--top", "5"]) == 0
    shown = capsys.readouterr().out
    lines = shown.splitlines()
    assert lines[0].startswith("the 5 of 1500 train records most at risk")
    assert "dcr-ratio" in lines[1] and "shadow" in lines[1]
    assert len([line for line in lines if re.match(r"\s+\d+ train row \d+", line)]) == 5
    assert not re.search(r"P\d+", shown)
    assert main(["records", str(out), "--top", "3", "--show-ids"]) == 0
    records = pd.read_parquet(out / "records.parquet")
    top = records[records["role"] == "train"].sort_values("risk_percentile").iloc[-1]
    assert top["risk_percentile"] >= 99
    assert len(re.findall(r"P\d+", capsys.readouterr().out)) == 3


def test_records_of_a_folder_without_an_audit(capsys, tmp_path):
    code = main(["records", str(tmp_path)])
    captured = capsys.readouterr()
    one_line_error(code, captured.out, captured.err, "no records.parquet here")


@pytest.mark.parametrize("command", [[], ["audit"], ["verify"], ["keygen"], ["records"],
                                     ["demo"]])
def test_help_fits_100_columns(command):
    done = subprocess.run([sys.executable, "-m", "synthcheck.cli", *command, "--help"],
                          capture_output=True, text=True, env=_env(COLUMNS="80"), check=True)
    assert [line for line in done.stdout.splitlines() if len(line) > 100] == []
