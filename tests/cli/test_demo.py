"""`synthcheck demo`, end to end as a new user runs it: the certificate opens, poppler's
pdfsig validates the signature, and `synthcheck verify` accepts it."""
from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.skipif(shutil.which("pdfsig") is None,
                                reason="poppler-utils not installed (make test installs it)")]


def test_demo_end_to_end(tmp_path):
    out = tmp_path / "demo"
    done = subprocess.run([sys.executable, "-m", "synthcheck.cli", "demo", "--out", str(out),
                           "--shadows", "4"], capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "VERDICT:" in done.stdout and "✗" not in done.stdout
    certificate = out / "certificate.pdf"
    signature = subprocess.run(["pdfsig", str(certificate)], capture_output=True, text=True)
    assert "Signature is Valid" in signature.stdout
    assert "Total document signed" in signature.stdout
    verified = subprocess.run(
        [sys.executable, "-m", "synthcheck.cli", "verify", str(certificate),
         "--synthetic", str(out / "audit" / "synthetic.parquet"),
         "--trust", str(out / "issuer" / "cert.pem")], capture_output=True, text=True)
    assert verified.returncode == 0, verified.stdout
    subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(certificate),
                    str(tmp_path / "page")], check=True)
    import numpy as np
    from PIL import Image

    page = np.asarray(Image.open(next(tmp_path.glob("page*.png"))).convert("L"))
    assert (page < 200).mean() > 0.01  # not a blank page
