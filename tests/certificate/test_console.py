"""`synthcheck verify` on a console that cannot encode ✓ (LANG=C, cp1252): ASCII stand-ins,
no UnicodeEncodeError (issue 11)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_verify_on_an_ascii_stdout(signed_example, issuer_dir):
    done = subprocess.run(
        [sys.executable, "-m", "synthcheck.cli", "verify", str(signed_example), "--trust",
         str(issuer_dir / "cert.pem")], capture_output=True, timeout=120, check=False,
        env=os.environ | {"PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "ascii"})
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    out = done.stdout.decode("ascii")
    assert "ok signature is cryptographically intact" in out and "Traceback" not in out
