"""Certificates of another release series are refused in one line, not checked by this
version's rules; the certificate names the version, schema and fingerprint recipe."""
from __future__ import annotations

import pytest

from synthcheck import SCHEMA_VERSION, __version__
from synthcheck.auditing.results_json import audit_id
from synthcheck.certificate import issue
from synthcheck.certificate.compatibility import incompatibility, release_series
from synthcheck.cli import main
from synthcheck.inputs.fingerprint import RECIPE
from tests.certificate.conftest import needs_poppler, pdftotext


def test_release_series():
    assert release_series("0.3.0") == release_series("0.3.7") == "0.3"
    assert release_series("0.1.0") != release_series("0.3.0")
    assert release_series("1.4.2") == release_series("1.0.0") == "1"
    assert release_series("dev") == "dev"


def test_this_versions_results_are_compatible(example_results):
    assert incompatibility(example_results) is None
    assert example_results["tool_version"] == __version__
    assert example_results["fingerprint_recipe"] == RECIPE


@pytest.mark.parametrize("change", [
    {"tool_version": "0.1.0", "fingerprint_recipe": None},  # 0.1 recorded no recipe
    {"fingerprint_recipe": "synthcheck-table-1"},
    {"schema_version": "2.0"},
])
def test_another_release_is_named(example_results, change):
    results = {k: v for k, v in (example_results | change).items() if v is not None}
    problem = incompatibility(results)
    assert problem is not None
    assert f"made by synthcheck {results['tool_version']}" in problem
    assert f"this is synthcheck {__version__}" in problem


def test_verify_refuses_a_0_1_certificate_in_one_line(example_results, signer, tmp_path, capsys):
    old = dict(example_results, tool_version="0.1.0", schema_version="1.0")
    del old["fingerprint_recipe"]
    old["audit_id"] = audit_id(old)
    path = issue(old, tmp_path / "old.pdf", signer)
    code = main(["verify", str(path)])
    captured = capsys.readouterr()
    assert code == 2
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "made by synthcheck 0.1.0" in lines[0] and "no fingerprint recipe recorded" in lines[0]
    assert str(path) in lines[0]
    assert "VALID" not in captured.out


@needs_poppler
def test_certificate_states_version_schema_and_recipe(signed_example):
    text = " ".join(pdftotext(signed_example).split())
    assert f"synthcheck {__version__}, results schema {SCHEMA_VERSION}" in text
    assert f"fingerprint recipe {RECIPE}" in text
