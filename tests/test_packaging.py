"""The wheel carries every package and the top-level templates/ (as synthcheck/templates)."""
from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def _setuptools_config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_package_directory_is_listed_in_pyproject():
    found = {".".join(init.parent.relative_to(ROOT).parts)
             for init in (ROOT / "synthcheck").rglob("__init__.py")
             if "__pycache__" not in init.parts}
    listed = set(_setuptools_config()["packages"])
    assert found - listed == set(), "add these packages to [tool.setuptools] packages"
    assert listed - found == {"synthcheck.templates"}


def test_templates_are_top_level_and_mapped_into_the_package():
    config = _setuptools_config()
    assert config["package-dir"]["synthcheck.templates"] == "templates"
    assert (ROOT / "templates" / "certificate.html.j2").is_file()
    assert (ROOT / "templates" / "certificate.css").is_file()
    assert not (ROOT / "synthcheck" / "templates").exists()
    assert not (ROOT / "templates").is_symlink()


@pytest.mark.slow
def test_wheel_holds_the_templates(tmp_path):
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", "build", "*.egg-info", "__pycache__", "demo-out", "benchmarks", "tests"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps",
                    "--no-build-isolation", "-q", "-w", str(tmp_path / "dist")], check=True,
                   timeout=300)
    (wheel,) = (tmp_path / "dist").glob("synthcheck-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("synthcheck/templates/certificate.html.j2",
                 "synthcheck/templates/certificate.css",
                 "synthcheck/certificate/render.py", "synthcheck/schema/results.schema.json"):
        assert name in names
