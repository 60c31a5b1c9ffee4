"""The wheel carries every package and the top-level templates/ (as synthcheck/templates)."""
from __future__ import annotations

import os
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


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel as `pip wheel` builds it from a copy of the source tree (no tests, no venv)."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "demo-out", "benchmarks",
        "tests"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps",
                    "--no-build-isolation", "-q", "-w", str(tmp / "dist")], check=True,
                   timeout=300)
    (built,) = (tmp / "dist").glob("synthcheck-*.whl")
    return built


@pytest.mark.slow
def test_wheel_holds_the_templates_and_schema(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("synthcheck/templates/certificate.html.j2",
                 "synthcheck/templates/certificate.css",
                 "synthcheck/certificate/render.py", "synthcheck/schema/results.schema.json",
                 "synthcheck/demo_data/adult_train.csv"):
        assert name in names
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert wheel.name.startswith(f"synthcheck-{version}-")


def _venv_with_installed_wheel(wheel: Path, where: Path) -> Path:
    """A new venv with the wheel pip-installed in it, seeing this interpreter's packages.

    The dependencies (numpy ... SDV and torch, 2 GB) are taken from this interpreter's
    site-packages rather than downloaded again: they are listed as plain paths in a .pth file,
    after the venv's own site-packages. Plain paths, not ``--system-site-packages``, because
    that would also run this interpreter's .pth files, among them the editable install of
    the source tree, whose import hook would shadow the installed wheel."""
    import site

    venv = where / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; "
                              "print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    (Path(purelib) / "parent-interpreter.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
                    "--no-deps", "--no-index", str(wheel)], check=True, timeout=300)
    return venv


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("pdfsig") is None,
                    reason="poppler-utils not installed (make test installs it)")
def test_installed_wheel_runs_the_demo(wheel, tmp_path):
    """`pip install` of the built wheel into a fresh venv, then `synthcheck demo` from an empty
    directory, as a new user runs it: the certificate opens, poppler's pdfsig validates the
    signature, `synthcheck verify` accepts it, and every file used is the installed one."""
    venv = _venv_with_installed_wheel(wheel, tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    work = tmp_path / "empty"
    work.mkdir()

    def synthcheck(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(venv / "bin" / "synthcheck"), *args], capture_output=True,
                              text=True, timeout=900, cwd=work, env=env)

    located = subprocess.run([str(venv / "bin" / "python"), "-c",
                              "import synthcheck, synthcheck.certificate.render as r; "
                              "print(synthcheck.__file__); print(r.bundled_template_dir())"],
                             capture_output=True, text=True, check=True, cwd=work, env=env)
    for path in located.stdout.split():
        assert Path(path).resolve().is_relative_to(venv.resolve()), located.stdout
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert synthcheck("--version").stdout.strip() == f"synthcheck {version}"

    done = synthcheck("demo", "--out", "demo", "--shadows", "4")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "VERDICT:" in done.stdout and "✗" not in done.stdout
    for line in done.stdout.splitlines():  # a CI log's width, but for an unbreakable path
        assert len(line) <= 100 or any(len(word) > 50 for word in line.split()), line
    assert any(line.startswith("VALID: ") for line in done.stdout.splitlines())
    out = work / "demo"
    certificate = out / "certificate.pdf"
    signature = subprocess.run(["pdfsig", str(certificate)], capture_output=True, text=True)
    assert "Signature is Valid" in signature.stdout
    assert "Total document signed" in signature.stdout
    verified = synthcheck("verify", str(certificate),
                          "--synthetic", str(out / "audit" / "synthetic.parquet"),
                          "--trust", str(out / "issuer" / "cert.pem"))
    assert verified.returncode == 0, verified.stdout
    assert f"synthcheck {version}" in verified.stdout
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(certificate),
                    str(tmp_path / "page")], check=True)
    import numpy as np
    from PIL import Image

    page = np.asarray(Image.open(next(tmp_path.glob("page*.png"))).convert("L"))
    assert (page < 200).mean() > 0.01  # not a blank page
