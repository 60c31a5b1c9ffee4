"""The command line's boundary (issue 11): every user mistake is exit 2 and one line naming the
option, file or column, before any work and without touching earlier outputs; INCONCLUSIVE is
exit 3; output survives a closed pipe and an ASCII console."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from synthcheck.cli.main import main
from synthcheck.exitcodes import ExitCode

pytestmark = pytest.mark.slow  # whole audits (the quick loop is -m 'not slow')

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def small(tmp_path_factory, adult) -> dict[str, Path]:
    """300 members, 300 non-members, 300 synthetic rows: quick, and too few non-members to
    measure TPR at FPR 0.1 %, so the default policy is INCONCLUSIVE."""
    folder = tmp_path_factory.mktemp("small")
    paths = {}
    for role, part in (("train", "train"), ("holdout", "holdout"), ("synthetic", "population")):
        paths[role] = folder / f"{role}.csv"
        adult[part].head(300).to_csv(paths[role], index=False)
    return paths


def run(capsys, small, *extra: str, **roles) -> tuple[int, str, str]:
    files = small | roles
    args = ["audit", "--quiet", "--id-column", "person_id", "--attacks", "dcr"]
    for role in ("train", "holdout", "synthetic"):
        if files.get(role) is not None:
            args += [f"--{role}", str(files[role])]
    code = main(args + list(extra))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_line_error(code: int, out: str, err: str, *fragments: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == ExitCode.BAD_INPUT, (code, err)
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("synthcheck"), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert out == ""
    return lines[0]


def test_inconclusive_exits_3(capsys, small):
    code, out, _ = run(capsys, small)
    assert code == ExitCode.INCONCLUSIVE == 3 and "VERDICT: INCONCLUSIVE" in out


@pytest.mark.parametrize("option, value, fragment", [
    ("--seed", "-1", "--seed: must be an integer from 0"),
    ("--seed", "seven", "--seed: must be an integer from 0 to 4294967295, got 'seven'"),
    ("--folds", "1", "--folds: must be an integer from 2 to 50, got 1"),
    ("--confidence", "95", "--confidence: must be in [0.5, 1), got 95"),
    ("--density", "kernel", "--density: must be one of auto, kde, classifier"),
    ("--max-candidates", "0", "--max-candidates: must be an integer >= 1"),
    ("--max-candidates", "60", "--max-candidates: 60 candidates keep only 30"),
    ("--jobs", "2", "--jobs: applies only with a generator"),
    ("--shadows", "8", "--shadows: applies only with a generator"),
    ("--generator-params", "{}", "--generator-params: applies only with a generator"),
    ("--sign-key", "key.pem", "--sign-key: applies only with --certificate"),
    ("--attacks", "dcr,telepathy", "--attacks: unknown attack 'telepathy'"),
])
def test_bad_option_values_are_one_line(capsys, small, option, value, fragment):
    one_line_error(*run(capsys, small, option, value), fragment)


def test_max_candidates_is_checked_before_the_release_is_made(small):
    """Without --quiet too: the refusal is the only line (no column types printed first)."""
    done = subprocess.run(_command(small, "--max-candidates", "50"), capture_output=True,
                          text=True, env=_env(), timeout=120, check=False)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert "--max-candidates: 50 candidates keep only 25" in lines[0]
    assert "use at least 100" in lines[0]


def test_a_usage_mistake_is_one_line_too(capsys, small):
    with pytest.raises(SystemExit) as caught:
        main(["audit", "--train", str(small["train"])])
    err = capsys.readouterr().err
    assert caught.value.code == 2 and len(err.strip().splitlines()) == 1, err
    assert "--holdout" in err


def test_out_naming_an_existing_file_is_refused_before_the_audit(capsys, small, tmp_path):
    existing = tmp_path / "results.json"
    existing.write_text("earlier")
    one_line_error(*run(capsys, small, "--out", str(existing)), "--out:", "is not a directory")
    assert existing.read_text() == "earlier"


def test_out_that_cannot_be_created_is_refused_before_the_audit(capsys, small, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    one_line_error(*run(capsys, small, "--out", str(blocker / "audit")), "--out:",
                   "is a file, not a directory")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_certificate_path_checked_before_the_audit(capsys, small, tmp_path):
    one_line_error(*run(capsys, small, "--certificate", str(tmp_path), "--out",
                        str(tmp_path / "audit")), "--certificate:", "is a directory")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    one_line_error(*run(capsys, small, "--certificate", str(blocker / "cert.pdf")),
                   "--certificate:", "is a file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_keygen_out_that_cannot_be_created(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code = main(["keygen", "--out", str(blocker / "issuer")])
    captured = capsys.readouterr()
    one_line_error(code, captured.out, captured.err, "--out:", "is a file")


def test_a_later_mistake_leaves_earlier_outputs_untouched(capsys, small, tmp_path):
    out = tmp_path / "audit"
    assert run(capsys, small, "--out", str(out))[0] == ExitCode.INCONCLUSIVE
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    one_line_error(*run(capsys, small, "--out", str(out), "--seed", "-3"), "--seed")
    one_line_error(*run(capsys, small, "--out", str(out), synthetic=tmp_path / "missing.csv"),
                   "missing.csv", "does not exist")
    assert before == {p.name: p.read_bytes() for p in out.iterdir()}


def _command(small: dict, *extra: str) -> list[str]:
    return [sys.executable, "-m", "synthcheck.cli", "audit", "--train", str(small["train"]),
            "--holdout", str(small["holdout"]), "--synthetic", str(small["synthetic"]),
            "--id-column", "person_id", "--attacks", "dcr", *extra]


def _env(**extra: str) -> dict:
    return os.environ | {"PYTHONPATH": str(ROOT)} | extra


def test_a_closed_pipe_exits_quietly(small):
    """`synthcheck audit ... | head -3`: the reader is gone before the summary is printed."""
    process = subprocess.Popen(_command(small), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               env=_env())
    process.stdout.close()  # no reader: every write to stdout is a broken pipe
    err = process.stderr.read().decode()
    assert process.wait(timeout=120) == ExitCode.INCONCLUSIVE
    assert "Traceback" not in err and "BrokenPipe" not in err, err


def test_head_reads_the_first_lines(small):
    shell = " ".join(f"'{part}'" for part in _command(small, "--json")) + " | head -3"
    done = subprocess.run(["bash", "-o", "pipefail", "-c", shell], capture_output=True,
                          text=True, env=_env(), timeout=120, check=False)
    assert len(done.stdout.splitlines()) == 3 and "Traceback" not in done.stderr, done.stderr


def test_help_lists_the_exit_codes():
    done = subprocess.run([sys.executable, "-m", "synthcheck.cli", "--help"], capture_output=True,
                          text=True, env=_env(), check=True)
    for code in ("0  PASS", "1  FAIL", "2  bad input", "3  INCONCLUSIVE"):
        assert code in done.stdout, done.stdout
