"""--timestamp-url: an RFC 3161 timestamp from a time-stamping authority on 127.0.0.1."""
from __future__ import annotations

import argparse
import datetime as dt
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from synthcheck.certificate import issue
from synthcheck.certificate.verify import verify_certificate
from synthcheck.cli.certificate_commands import signer_from_args
from synthcheck.errors import InputError


def tsa_identity():
    """A key and certificate with the critical timeStamping extended key usage."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # pyhanko's builder: RSA
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Local Test TSA")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=5))
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, key_cert_sign=False, crl_sign=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .sign(key, hashes.SHA256()))
    return key, cert


@pytest.fixture(scope="module")
def tsa(tmp_path_factory):
    """A real RFC 3161 HTTP endpoint on 127.0.0.1 (pyhanko's token builder behind it)."""
    from asn1crypto import keys, tsp
    from asn1crypto import x509 as asn1_x509
    from cryptography.hazmat.primitives import serialization
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    key, cert = tsa_identity()
    stamper = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER)),
        tsa_key=keys.PrivateKeyInfo.load(key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            request = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            body = stamper.request_tsa_response(request).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    cert_path = tmp_path_factory.mktemp("tsa") / "tsa.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    yield f"http://127.0.0.1:{server.server_address[1]}/", cert_path
    server.shutdown()


@pytest.mark.slow
def test_a_timestamped_certificate_verifies(tsa, issuer_dir, example_results, tmp_path):
    url, tsa_cert = tsa
    args = argparse.Namespace(sign_key=str(issuer_dir / "key.pem"),
                              sign_cert=str(issuer_dir / "cert.pem"), sign_p12=None,
                              template=None, timestamp_url=url)
    pdf = issue(example_results, tmp_path / "cert.pdf", signer_from_args(args))
    trust = tmp_path / "trust.pem"
    trust.write_bytes((issuer_dir / "cert.pem").read_bytes() + tsa_cert.read_bytes())
    report = verify_certificate(pdf, trust=trust)
    stamp = next(c for c in report.checks if c.name == "timestamp")
    assert stamp.ok and "timestamped" in stamp.message and "Local Test TSA" in stamp.message
    assert report.status == "VALID", report.lines()
    if shutil.which("pdfsig"):
        out = subprocess.run(["pdfsig", str(pdf)], capture_output=True, text=True,
                             check=False).stdout
        assert "Signature is Valid." in out


@pytest.mark.slow
def test_an_unreachable_tsa_is_a_one_line_error(issuer_dir, example_results, tmp_path):
    args = argparse.Namespace(sign_key=str(issuer_dir / "key.pem"),
                              sign_cert=str(issuer_dir / "cert.pem"), sign_p12=None,
                              template=None, timestamp_url="http://127.0.0.1:9/")
    with pytest.raises(InputError, match="time-stamping authority"):
        issue(example_results, tmp_path / "cert.pdf", signer_from_args(args))
    assert not (tmp_path / "cert.pdf").exists()
