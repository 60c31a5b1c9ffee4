"""The README's commands (issue 19): every `synthcheck` line in its shell blocks is accepted by
the command line, and the certificate story runs as written, in order, on the fixture tables:
keygen, audit with a certificate, verify with --trust, --reproduce, the buyer's gates. (The
fingerprint recipe block runs in tests/inputs/test_fingerprint.py.)"""
from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import pytest

from synthcheck.cli.main import build_parser, main
from tests.conftest import FIXTURES

ROOT = Path(__file__).resolve().parents[1]
#: what "..." stands for in the README's audit lines
AUDIT_INPUTS = "--train train.csv --holdout holdout.csv --synthetic synth.csv"


def readme_commands() -> list[str]:
    """`synthcheck ...` lines of the README's shell blocks, comments cut, "..." filled in."""
    lines, language = [], None  # None: outside a block; "" a plain (shell) block
    for line in (ROOT / "README.md").read_text().splitlines():
        if line.startswith("```"):
            language = line[3:].strip() if language is None else None
            continue
        line = line.split("  #")[0].strip()
        if language == "" and line.startswith("synthcheck "):
            lines.append(line.replace(" ... ", f" {AUDIT_INPUTS} "))
    return lines


def test_the_readme_has_commands():
    assert len(readme_commands()) >= 12


@pytest.mark.parametrize("line", readme_commands())
def test_every_readme_command_is_accepted(line):
    build_parser().parse_args(shlex.split(line)[1:])  # argparse exits 2 on any unknown option


@pytest.mark.slow
def test_the_certificate_story_runs_as_written(tmp_path, monkeypatch, capsys):
    for name, fixture in (("train.csv", "adult_train.csv"), ("holdout.csv", "adult_holdout.csv"),
                          ("synth.csv", "adult_population.csv")):
        shutil.copyfile(FIXTURES / fixture, tmp_path / name)
    shutil.copyfile(ROOT / "docs" / "requirements.example.toml", tmp_path / "buyer.toml")
    monkeypatch.chdir(tmp_path)
    story = [line for line in readme_commands()
             if line.split()[1] in ("keygen", "verify")
             or (line.split()[1] == "audit" and "--certificate" in line)]
    assert [line.split()[1] for line in story] == ["keygen", "audit"] + ["verify"] * 4
    for line in story:
        code = main(shlex.split(line)[1:])
        captured = capsys.readouterr()
        assert code == 0, (line, captured.out[-1500:], captured.err[-1500:])
    assert (tmp_path / "cert.pdf").is_file()
