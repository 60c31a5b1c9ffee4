"""A self-signed issuer key and X.509 certificate, for trying certificates out.

A real issuer's certificate comes from a certification authority the readers trust; this one
signs itself, so a reader can only check it against the very certificate file (``--trust
cert.pem``). It carries the key usages a document-signing certificate needs (digital signature
and non-repudiation), which is what PDF validators look for.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from synthcheck.errors import InputError
from synthcheck.support.files import write_atomically

KEY_FILE = "key.pem"
CERT_FILE = "cert.pem"
P12_FILE = "issuer.p12"
RSA_BITS = 3072


def generate_issuer(
    out_dir: str | Path,
    common_name: str = "synthcheck demo issuer",
    days: int = 365,
    *,
    p12_password: bytes | None = None,
    key_password: bytes | None = None,
    overwrite: bool = False,
) -> tuple[Path, Path]:
    """Write ``key.pem`` and ``cert.pem`` (and ``issuer.p12`` when a password is given) to
    ``out_dir`` and return ``(key_path, cert_path)``.

    The key is RSA 3072, PKCS#8 PEM readable only by its owner, encrypted with
    ``key_password`` when one is given (else unencrypted); the PKCS#12 file,
    when asked for, holds the same key and certificate encrypted with ``p12_password``.
    Existing files are never replaced unless ``overwrite`` is true.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    if days < 1:
        raise InputError(f"--days must be at least 1, got {days}")
    if not common_name.strip():
        raise InputError("the common name must not be empty")
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError("exists and is not a directory", source=str(out_dir))
    key_path, cert_path, p12_path = out_dir / KEY_FILE, out_dir / CERT_FILE, out_dir / P12_FILE
    targets = [key_path, cert_path] + ([p12_path] if p12_password is not None else [])
    existing = [p for p in targets if p.exists()]
    if existing and not overwrite:
        raise InputError("already exists; refusing to overwrite an issuer key "
                         "(choose another --out directory)", source=str(existing[0]))

    key = rsa.generate_private_key(public_exponent=65537, key_size=RSA_BITS)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name.strip())])
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    public = key.public_key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=True, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=False,
                crl_sign=False, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public),
                       critical=False)
        .sign(key, hashes.SHA256())
    )

    out_dir.mkdir(parents=True, exist_ok=True)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.BestAvailableEncryption(key_password)
                                if key_password else serialization.NoEncryption())
    _write_private(key_path, key_pem)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    if p12_password is not None:
        encryption = (serialization.BestAvailableEncryption(p12_password) if p12_password
                      else serialization.NoEncryption())
        p12 = pkcs12.serialize_key_and_certificates(
            common_name.encode("utf-8"), key, cert, None, encryption)
        _write_private(p12_path, p12)
    return key_path, cert_path


def _write_private(path: Path, data: bytes) -> None:
    """A secret, written whole with permissions 0600 from the start (no window where others
    can read it)."""
    write_atomically(path, data, mode=0o600)
