"""synthcheck keygen: a self-signed issuer fit for signing documents, never overwriting keys."""
from __future__ import annotations

import argparse
import shutil
import stat
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12

from synthcheck.certificate import issue
from synthcheck.certificate.keygen import generate_issuer
from synthcheck.certificate.sign import Signer
from synthcheck.cli.certificate_commands import signer_from_args
from synthcheck.errors import InputError
from tests.certificate.conftest import P12_PASSWORD


def test_issuer_is_self_signed_for_document_signing(issuer_dir):
    cert = x509.load_pem_x509_certificate((issuer_dir / "cert.pem").read_bytes())
    assert cert.subject == cert.issuer
    assert cert.subject.rfc4514_string() == "CN=Test Issuer Ltd"
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment
    assert not usage.key_cert_sign
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert 30 <= lifetime.days <= 31


def test_private_files_are_readable_by_owner_only(issuer_dir):
    for name in ("key.pem", "issuer.p12"):
        mode = stat.S_IMODE((issuer_dir / name).stat().st_mode)
        assert mode == 0o600, (name, oct(mode))


def test_pkcs12_holds_the_same_key_and_certificate(issuer_dir):
    from_p12 = Signer.from_pkcs12(issuer_dir / "issuer.p12", P12_PASSWORD)
    from_pem = Signer.from_pem(issuer_dir / "key.pem", issuer_dir / "cert.pem")
    assert from_p12.fingerprint == from_pem.fingerprint
    key, cert, _ = pkcs12.load_key_and_certificates(
        (issuer_dir / "issuer.p12").read_bytes(), P12_PASSWORD)
    assert key is not None and cert is not None


def test_refuses_to_overwrite_an_existing_key(issuer_dir):
    before = (issuer_dir / "key.pem").read_bytes()
    with pytest.raises(InputError, match="already exists"):
        generate_issuer(issuer_dir)
    assert (issuer_dir / "key.pem").read_bytes() == before


def test_overwrite_replaces_when_asked(tmp_path):
    generate_issuer(tmp_path, days=1)
    first = (tmp_path / "cert.pem").read_bytes()
    generate_issuer(tmp_path, days=1, overwrite=True)
    assert (tmp_path / "cert.pem").read_bytes() != first


def test_rejects_nonsense_parameters(tmp_path):
    with pytest.raises(InputError, match="days"):
        generate_issuer(tmp_path / "a", days=0)
    with pytest.raises(InputError, match="common name"):
        generate_issuer(tmp_path / "b", common_name="  ")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


@pytest.mark.slow
def test_an_encrypted_pem_key_signs(tmp_path, capsys, monkeypatch, example_results):
    from synthcheck.certificate.sign import key_is_encrypted
    from synthcheck.certificate.verify import verify_certificate
    from synthcheck.cli.main import main

    monkeypatch.setenv("SYNTHCHECK_KEY_PASSWORD", "pass phrase")
    assert main(["keygen", "--out", str(tmp_path / "iss"), "--encrypt-key"]) == 0
    key, cert = tmp_path / "iss" / "key.pem", tmp_path / "iss" / "cert.pem"
    assert b"BEGIN ENCRYPTED PRIVATE KEY" in key.read_bytes() and key_is_encrypted(key)
    # The audit command's signing options read the passphrase from the environment.
    args = argparse.Namespace(sign_key=str(key), sign_cert=str(cert), sign_p12=None,
                              template=None)
    signer = signer_from_args(args)
    pdf = issue(example_results, tmp_path / "cert.pdf", signer)
    assert verify_certificate(pdf, trust=cert).status == "VALID"
    if shutil.which("pdfsig"):
        done = subprocess.run(["pdfsig", str(pdf)], text=True, capture_output=True, check=False)
        assert "Signature is Valid." in done.stdout
    monkeypatch.setenv("SYNTHCHECK_KEY_PASSWORD", "wrong")
    with pytest.raises(InputError, match="wrong passphrase"):
        signer_from_args(args)
    monkeypatch.delenv("SYNTHCHECK_KEY_PASSWORD")
    with pytest.raises(InputError, match="SYNTHCHECK_KEY_PASSWORD"):
        signer_from_args(args)  # no terminal under pytest: no prompt
