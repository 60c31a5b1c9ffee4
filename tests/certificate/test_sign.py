"""Signing: every key problem is a clear InputError, and no partial or clobbered PDF is left."""
from __future__ import annotations

import datetime as dt

import pytest

from synthcheck.certificate import issue
from synthcheck.certificate.sign import Signer
from synthcheck.cli.main import main
from synthcheck.errors import InputError
from synthcheck.support import files
from tests.certificate.conftest import P12_PASSWORD, self_signed, write_pem

NOW = dt.datetime.now(dt.timezone.utc)
GOOD_PDF = b"%PDF-1.7 an earlier, good certificate"


@pytest.fixture
def target(tmp_path):
    """Two targets: one new, one where a good certificate already exists."""
    existing = tmp_path / "existing.pdf"
    existing.write_bytes(GOOD_PDF)
    return {"new": tmp_path / "new.pdf", "existing": existing}


def assert_nothing_written(target):
    assert not target["new"].exists()
    assert target["existing"].read_bytes() == GOOD_PDF
    leftovers = [p.name for p in target["new"].parent.iterdir()
                 if p.name not in ("new.pdf", "existing.pdf") and p.suffix != ".pem"]
    assert leftovers == [], leftovers


def issue_both(results, target, make_signer):
    for which in ("new", "existing"):
        with pytest.raises(InputError) as caught:
            issue(results, target[which], make_signer())
    return str(caught.value)


def test_wrong_pkcs12_password(example_results, issuer_dir, target):
    message = issue_both(example_results, target,
                         lambda: Signer.from_pkcs12(issuer_dir / "issuer.p12", b"wrong"))
    assert "issuer.p12" in message and "wrong password" in message
    assert_nothing_written(target)


def test_missing_pkcs12_password(issuer_dir):
    with pytest.raises(InputError, match="SYNTHCHECK_P12_PASSWORD"):
        Signer.from_pkcs12(issuer_dir / "issuer.p12", None)


def test_missing_key_file(example_results, issuer_dir, target, tmp_path):
    message = issue_both(example_results, target,
                         lambda: Signer.from_pem(tmp_path / "nokey.pem", issuer_dir / "cert.pem"))
    assert "nokey.pem" in message and "private key not found" in message
    assert_nothing_written(target)


def test_certificate_of_another_key(example_results, issuer_dir, target, tmp_path):
    _other_key, other_cert = self_signed("Other", not_before=NOW - dt.timedelta(days=1),
                                        not_after=NOW + dt.timedelta(days=1))
    _, other_cert_path = write_pem(tmp_path, "other", cert=other_cert)
    message = issue_both(example_results, target,
                         lambda: Signer.from_pem(issuer_dir / "key.pem", other_cert_path))
    assert "does not belong to the private key" in message
    assert_nothing_written(target)


def test_expired_certificate(example_results, target, tmp_path):
    key, cert = self_signed("Expired Issuer", not_before=NOW - dt.timedelta(days=60),
                            not_after=NOW - dt.timedelta(days=1))
    key_path, cert_path = write_pem(tmp_path, "expired", key, cert)
    message = issue_both(example_results, target, lambda: Signer.from_pem(key_path, cert_path))
    assert "expired on" in message and "expired-cert.pem" in message
    assert_nothing_written(target)
    # A Signer built directly (the Python API) is checked again before signing.
    with pytest.raises(InputError, match="expired"):
        issue(example_results, target["existing"], Signer(key, cert))
    assert_nothing_written(target)


def test_not_yet_valid_certificate(tmp_path):
    key, cert = self_signed("Future Issuer", not_before=NOW + dt.timedelta(days=2),
                            not_after=NOW + dt.timedelta(days=60))
    key_path, cert_path = write_pem(tmp_path, "future", key, cert)
    with pytest.raises(InputError, match="not valid before"):
        Signer.from_pem(key_path, cert_path)


def test_encrypted_key_needs_the_right_passphrase(issuer_dir, tmp_path):
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key((issuer_dir / "key.pem").read_bytes(), None)
    encrypted = tmp_path / "enc.pem"
    encrypted.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                            serialization.PrivateFormat.PKCS8,
                                            serialization.BestAvailableEncryption(b"pass")))
    with pytest.raises(InputError, match="a passphrase is needed"):
        Signer.from_pem(encrypted, issuer_dir / "cert.pem")
    with pytest.raises(InputError, match="wrong passphrase"):
        Signer.from_pem(encrypted, issuer_dir / "cert.pem", passphrase=b"nope")
    assert Signer.from_pem(encrypted, issuer_dir / "cert.pem", passphrase=b"pass")


@pytest.mark.slow
def test_failure_while_signing_leaves_no_partial_file(example_results, signer, target,
                                                     monkeypatch):
    """The signed bytes are already in the temporary file when flushing them to disk fails."""
    def broken(*args, **kwargs):
        raise RuntimeError("disk full half-way")

    monkeypatch.setattr(files.os, "fsync", broken)
    for which in ("new", "existing"):
        with pytest.raises(RuntimeError, match="disk full"):
            issue(example_results, target[which], signer)
    assert_nothing_written(target)


def test_cli_wrong_p12_password_exits_2_without_output(capsys, issuer_dir, tmp_path,
                                                      monkeypatch):
    from tests.conftest import FIXTURES

    monkeypatch.setenv("SYNTHCHECK_P12_PASSWORD", "wrong")
    pdf = tmp_path / "cert.pdf"
    code = main(["audit", "--train", str(FIXTURES / "adult_train.csv"),
                 "--holdout", str(FIXTURES / "adult_holdout.csv"),
                 "--synthetic", str(FIXTURES / "adult_population.csv"), "--quiet",
                 "--certificate", str(pdf), "--sign-p12", str(issuer_dir / "issuer.p12")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.strip().count("\n") == 0 and "wrong password" in err
    assert not pdf.exists()
    assert P12_PASSWORD.decode() not in err


def test_a_pkcs12_password_may_be_text(issuer_dir):
    """Issue 19: Signer.from_pkcs12(path, "pw") failed inside cryptography."""
    signer = Signer.from_pkcs12(issuer_dir / "issuer.p12", P12_PASSWORD.decode())
    assert signer.common_name == "Test Issuer Ltd"


def test_importing_the_signer_prints_no_library_warning():
    """pyhanko's import-time DSA deprecation warning reached every signing run's stderr."""
    import subprocess
    import sys

    code = ("from synthcheck.certificate.sign import Signer\n"
            "import pyhanko.sign.signers, pyhanko.sign.validation\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr, done.stderr
