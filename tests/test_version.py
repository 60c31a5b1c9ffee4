"""One version, from the package metadata (pyproject.toml): the CLI, the API and results.json
all state it."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import synthcheck

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def project_version() -> str:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def test_version_is_the_package_metadata():
    assert synthcheck.__version__ == project_version() == "0.3.0"


def test_cli_prints_the_version():
    done = subprocess.run([sys.executable, "-m", "synthcheck.cli", "--version"],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == f"synthcheck {project_version()}"


def test_no_module_spells_the_version_out():
    for path in (ROOT / "synthcheck").rglob("*.py"):
        assert f'"{project_version()}"' not in path.read_text(), path


def test_the_audit_id_covers_the_fingerprint_recipe():
    from synthcheck.auditing.results_json import AUDIT_ID_PARTS, audit_id

    assert "fingerprint_recipe" in AUDIT_ID_PARTS
    base = {"tool_version": project_version(), "inputs": {}, "policy": {}}
    assert audit_id(base | {"fingerprint_recipe": "synthcheck-table-2"}) != \
        audit_id(base | {"fingerprint_recipe": "synthcheck-table-3"})


def test_changelog_has_this_version():
    assert f"## {project_version()}" in (ROOT / "CHANGELOG.md").read_text()
