"""The issuer's signing key, and signing a rendered certificate (PAdES, with pyhanko).

``Signer`` checks everything a user can get wrong before any output exists: a missing file, a
wrong password, a certificate that does not belong to the key, a certificate that has expired
or is not valid yet. ``sign_pdf`` writes the signed PDF to a temporary file beside the target
and moves it into place only once it is complete, so a failure never leaves a partial PDF and
never replaces a good one.
"""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthcheck.errors import InputError
from synthcheck.support.files import write_atomically as _write_atomically

SIGNATURE_FIELD = "SynthcheckIssuer"


@dataclass(frozen=True)
class Signer:
    """A private key and the X.509 certificate that vouches for it (plus any chain certificates).

    Build it with :meth:`from_pem` or :meth:`from_pkcs12`; both raise ``InputError`` for problems
    the user can fix.
    """

    private_key: Any
    certificate: Any
    chain: tuple = field(default=())
    source: str = ""
    #: An RFC 3161 time-stamping authority: the signature then carries a timestamp token
    #: (PAdES B-T) proving it existed at that time, by a clock other than the signer's.
    timestamp_url: str | None = None

    # -- loading ---------------------------------------------------------------------------

    @classmethod
    def from_pem(cls, key_path: str | Path, cert_path: str | Path,
                 passphrase: bytes | None = None) -> Signer:
        """Load a PEM (or DER) private key and a PEM certificate file.

        ``cert_path`` may hold a chain: the certificate matching the key signs, the others are
        embedded so that readers can build the path to their trust anchor.
        """
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization

        key_data = read_user_file(key_path, "private key")
        cert_data = read_user_file(cert_path, "certificate")
        try:
            if b"-----BEGIN" in key_data:
                key = serialization.load_pem_private_key(key_data, passphrase)
            else:
                key = serialization.load_der_private_key(key_data, passphrase)
        except TypeError as exc:
            if passphrase is None:
                raise InputError("the private key is encrypted; a passphrase is needed",
                                 source=str(key_path)) from exc
            raise InputError("the private key is not encrypted, but a passphrase was given",
                             source=str(key_path)) from exc
        except ValueError as exc:
            if passphrase is not None:
                raise InputError("cannot decrypt the private key: wrong passphrase, or not a "
                                 "private key", source=str(key_path)) from exc
            raise InputError("not a readable private key (PEM or DER expected)",
                             source=str(key_path)) from exc
        try:
            if b"-----BEGIN" in cert_data:
                certs = x509.load_pem_x509_certificates(cert_data)
            else:
                certs = [x509.load_der_x509_certificate(cert_data)]
        except ValueError as exc:
            raise InputError("not a readable X.509 certificate (PEM or DER expected)",
                             source=str(cert_path)) from exc
        mine = [c for c in certs if _same_public_key(c, key)]
        if not mine:
            raise InputError(f"the certificate does not belong to the private key {key_path} "
                             "(their public keys differ)", source=str(cert_path))
        others = tuple(c for c in certs if c is not mine[0])
        signer = cls(key, mine[0], others, source=str(cert_path))
        signer.check_usable()
        return signer

    @classmethod
    def from_pkcs12(cls, path: str | Path, password: str | bytes | None) -> Signer:
        """Load a PKCS#12 (``.p12``/``.pfx``) file holding the key, its certificate and chain;
        ``password`` as text (UTF-8) or bytes."""
        from cryptography.hazmat.primitives.serialization import pkcs12

        if isinstance(password, str):
            password = password.encode("utf-8")
        elif password is not None and not isinstance(password, bytes):
            raise InputError(f"the PKCS#12 password must be text or bytes, got "
                             f"{type(password).__name__}", source=str(path))
        data = read_user_file(path, "PKCS#12 file")
        try:
            key, cert, extra = pkcs12.load_key_and_certificates(data, password)
        except ValueError as exc:
            if not password:
                raise InputError("cannot open the PKCS#12 file without a password (or it is "
                                 "not a PKCS#12 file); set SYNTHCHECK_P12_PASSWORD, or run "
                                 "interactively to be asked", source=str(path)) from exc
            raise InputError("cannot open the PKCS#12 file: wrong password, or not a PKCS#12 "
                             "file", source=str(path)) from exc
        if key is None or cert is None:
            raise InputError("the PKCS#12 file must hold both a private key and its certificate",
                             source=str(path))
        if not _same_public_key(cert, key):
            raise InputError("the certificate in the PKCS#12 file does not belong to its "
                             "private key", source=str(path))
        signer = cls(key, cert, tuple(extra or ()), source=str(path))
        signer.check_usable()
        return signer

    # -- facts about the signer -------------------------------------------------------------

    @property
    def common_name(self) -> str:
        """The subject's common name (or the whole subject when it has none)."""
        from cryptography.x509.oid import NameOID

        names = self.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(names[0].value) if names else self.certificate.subject.rfc4514_string()

    @property
    def fingerprint(self) -> str:
        """SHA-256 fingerprint of the signing certificate, as colon-separated hex."""
        from cryptography.hazmat.primitives import hashes

        return format_fingerprint(self.certificate.fingerprint(hashes.SHA256()))

    @property
    def self_signed(self) -> bool:
        """The certificate is its own issuer (as ``synthcheck keygen`` makes them)."""
        return self.certificate.subject == self.certificate.issuer

    def check_usable(self, now: dt.datetime | None = None) -> None:
        """Raise ``InputError`` if the certificate cannot sign now (expired, not yet valid, or
        its key usage forbids signatures)."""
        from cryptography import x509

        now = now or dt.datetime.now(dt.timezone.utc)
        cert = self.certificate
        if now > cert.not_valid_after_utc:
            raise InputError(f"the signing certificate expired on "
                             f"{cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC; issue a new one "
                             "(synthcheck keygen for a demo issuer)", source=self.source)
        if now < cert.not_valid_before_utc:
            raise InputError(f"the signing certificate is not valid before "
                             f"{cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC", source=self.source)
        try:
            usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
        except x509.ExtensionNotFound:
            return
        if not (usage.digital_signature or usage.content_commitment):
            raise InputError("the certificate's key usage does not allow signing documents "
                             "(needs digitalSignature or nonRepudiation)", source=self.source)

    def pyhanko_signer(self):
        """The same key material as a pyhanko ``SimpleSigner``."""
        from asn1crypto import keys as asn1_keys
        from asn1crypto import x509 as asn1_x509
        from cryptography.hazmat.primitives import serialization
        from pyhanko.sign.signers import SimpleSigner
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        def to_asn1(cert):
            return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))

        key_info = asn1_keys.PrivateKeyInfo.load(self.private_key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        registry = SimpleCertificateStore()
        registry.register_multiple([to_asn1(c) for c in self.chain])
        return SimpleSigner(signing_cert=to_asn1(self.certificate), signing_key=key_info,
                            cert_registry=registry)


def sign_pdf(pdf_bytes: bytes, signer: Signer, out_path: str | Path, *,
             reason: str = "synthcheck privacy audit certificate") -> Path:
    """Sign ``pdf_bytes`` and write the result to ``out_path`` atomically.

    The signature is a PAdES (``ETSI.CAdES.detached``) certification signature that permits no
    later changes, so any update appended after signing is reported by validators.
    """
    signed = sign_bytes(pdf_bytes, signer, reason=reason)
    return write_atomically(signed, out_path)


def sign_bytes(pdf_bytes: bytes, signer: Signer, *,
               reason: str = "synthcheck privacy audit certificate") -> bytes:
    """Return the signed PDF (see :func:`sign_pdf`) without writing anything."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers
    from pyhanko.sign.fields import MDPPerm

    signer.check_usable()
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf_bytes))
    timestamper = None
    if signer.timestamp_url:
        from pyhanko.sign.timestamps import HTTPTimeStamper

        timestamper = HTTPTimeStamper(signer.timestamp_url, timeout=30)
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        certify=True,
        docmdp_permissions=MDPPerm.NO_CHANGES,
        reason=reason,
        name=signer.common_name,
    )
    output = io.BytesIO()
    try:
        signers.sign_pdf(writer, meta, signer=signer.pyhanko_signer(), timestamper=timestamper,
                         output=output)
    except Exception as exc:
        from pyhanko.sign.timestamps.common_utils import TimestampRequestError

        if timestamper is not None and isinstance(exc, (TimestampRequestError, OSError)):
            raise InputError(f"the time-stamping authority did not answer with a timestamp "
                             f"({exc})", source=signer.timestamp_url) from exc
        raise
    return output.getvalue()


def write_atomically(data: bytes, out_path: str | Path) -> Path:
    """Write ``data`` to a temporary file beside ``out_path``, then move it into place."""
    out_path = Path(out_path)
    directory = out_path.parent
    if not directory.is_dir():
        raise InputError("the directory for the certificate does not exist", source=str(directory))
    if out_path.is_dir():
        raise InputError("is a directory; give a file name for the certificate",
                         source=str(out_path))
    return _write_atomically(out_path, data)


def format_fingerprint(digest: bytes) -> str:
    """A certificate fingerprint as colon-separated upper-case hex (the one formatter)."""
    return ":".join(f"{b:02X}" for b in digest)


def key_is_encrypted(key_path: str | Path) -> bool:
    """Whether a private key file needs a passphrase (PEM ``ENCRYPTED`` headers, or a DER key
    that does not load without one)."""
    data = read_user_file(key_path, "private key")
    if b"-----BEGIN" in data:
        return b"ENCRYPTED" in data
    from cryptography.hazmat.primitives import serialization

    try:
        serialization.load_der_private_key(data, None)
    except TypeError:
        return True
    except ValueError:
        return False  # not a key at all: from_pem says so
    return False


def read_user_file(path: str | Path, what: str) -> bytes:
    """The bytes of a file the user named; every way it can be unusable is an InputError."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"{what} not found", source=str(path))
    if path.is_dir():
        raise InputError(f"is a directory, expected a {what}", source=str(path))
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the {what}: {exc.strerror}", source=str(path)) from exc


def _same_public_key(cert, key) -> bool:
    from cryptography.hazmat.primitives import serialization

    def spki(public):
        return public.public_bytes(serialization.Encoding.DER,
                                   serialization.PublicFormat.SubjectPublicKeyInfo)

    return spki(cert.public_key()) == spki(key.public_key())

