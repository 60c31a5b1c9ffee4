"""Shared fixtures for certificate tests: the example results, a demo issuer, signed PDFs."""
from __future__ import annotations

import copy
import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from synthcheck.certificate import issue
from synthcheck.certificate.keygen import generate_issuer
from synthcheck.certificate.sign import Signer

HERE = Path(__file__).resolve().parent
EXAMPLE = HERE / "example_results.json"
P12_PASSWORD = b"correct horse"

needs_poppler = pytest.mark.skipif(
    not all(shutil.which(tool) for tool in ("pdfsig", "pdftoppm", "pdftotext", "pdfdetach")),
    reason="poppler-utils is not installed (make system-deps)")


def pdftotext(path: Path) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                          capture_output=True).stdout.decode("utf-8")


def load_example() -> dict:
    """The example results as this version writes them: the file's numbers, stamped with this
    tool version, schema version and fingerprint recipe and the audit id they hash to (so a
    version bump does not need the file rebuilt)."""
    from synthcheck import SCHEMA_VERSION, __version__
    from synthcheck.auditing.results_json import audit_id
    from synthcheck.inputs.fingerprint import RECIPE

    results = json.loads(EXAMPLE.read_text())
    results["tool_version"], results["fingerprint_recipe"] = __version__, RECIPE
    results["schema_version"] = SCHEMA_VERSION
    results["audit_id"] = audit_id(results)
    return results


@pytest.fixture
def example_results() -> dict:
    return load_example()


@pytest.fixture(scope="session")
def issuer_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("issuer")
    generate_issuer(out, common_name="Test Issuer Ltd", days=30, p12_password=P12_PASSWORD)
    return out


@pytest.fixture(scope="session")
def signer(issuer_dir) -> Signer:
    return Signer.from_pem(issuer_dir / "key.pem", issuer_dir / "cert.pem")


@pytest.fixture(scope="session")
def signed_example(tmp_path_factory, signer) -> Path:
    """One certificate issued from the example results, shared read-only by many tests."""
    path = tmp_path_factory.mktemp("cert") / "certificate.pdf"
    issue(load_example(), path, signer)
    return path


@pytest.fixture
def signed_copy(tmp_path, signed_example) -> Path:
    """A private copy of the signed example, for tests that modify it."""
    path = tmp_path / "certificate.pdf"
    shutil.copyfile(signed_example, path)
    return path


def scaled_results(results: dict, rows: int) -> dict:
    """The same audit summaries for an audit of ``rows`` members and ``rows`` non-members:
    counts scale, every curve and histogram keeps its size."""
    scaled = copy.deepcopy(results)
    factor = rows / results["counts"]["members"]
    scaled["counts"] = {"members": rows, "non_members": rows, "synthetic": rows}
    for role in ("train", "holdout", "synthetic"):
        scaled["inputs"][role]["rows"] = rows
    for attack in scaled["attacks"].values():
        hist = attack["curves"]["score_histogram"]
        for key in ("members", "non_members"):
            hist[key] = [int(c * factor) for c in hist[key]]
        if attack["flagged"]:
            attack["flagged"] = {k: int(v * factor) for k, v in attack["flagged"].items()}
    for name, keys in (("distance_to_synthetic", ("train", "holdout")),
                       ("risk", ("members", "non_members"))):
        for key in keys:
            scaled["summaries"][name][key] = [int(c * factor)
                                              for c in scaled["summaries"][name][key]]
    return scaled


def self_signed(common_name: str, *, not_before: dt.datetime, not_after: dt.datetime,
                key=None, ca: bool = False, issuer_key=None, issuer_cert=None):
    """A key and certificate made directly with cryptography (for expired / CA-chain cases)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = key or ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (x509.CertificateBuilder()
               .subject_name(name)
               .issuer_name(issuer_cert.subject if issuer_cert else name)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(not_before)
               .not_valid_after(not_after)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(
                   digital_signature=True, content_commitment=not ca, key_encipherment=False,
                   data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
                   encipher_only=False, decipher_only=False), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                              critical=False))
    if issuer_cert is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False)
    cert = builder.sign(issuer_key or key, hashes.SHA256())
    return key, cert


def write_pem(directory: Path, stem: str, key=None, cert=None) -> tuple[Path | None, Path | None]:
    from cryptography.hazmat.primitives import serialization

    key_path = cert_path = None
    if key is not None:
        key_path = directory / f"{stem}-key.pem"
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    if cert is not None:
        cert_path = directory / f"{stem}-cert.pem"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


@pytest.fixture(scope="session")
def real_audit(tmp_path_factory):
    """An audit of the fixture tables by the real pipeline (a release that leaks 10 % of
    train), with the files on disk so fingerprints can be checked."""
    import pandas as pd

    import synthcheck
    from tests.conftest import FIXTURES, partial_leak

    adult = {part: pd.read_csv(FIXTURES / f"adult_{part}.csv")
             for part in ("train", "holdout", "population")}
    directory = tmp_path_factory.mktemp("real")
    synthetic = directory / "synthetic.csv"
    partial_leak(adult, seed=3).to_csv(synthetic, index=False)
    result = synthcheck.audit(str(FIXTURES / "adult_train.csv"),
                              str(FIXTURES / "adult_holdout.csv"),
                              synthetic=str(synthetic), id_column="person_id", seed=0)
    return result, {"train": FIXTURES / "adult_train.csv",
                    "holdout": FIXTURES / "adult_holdout.csv", "synthetic": synthetic}


@pytest.fixture(scope="session")
def real_certificate(tmp_path_factory, real_audit, signer):
    result, _files = real_audit
    path = tmp_path_factory.mktemp("real-cert") / "certificate.pdf"
    result.certificate(path, signer)
    return path, result.document
