"""synthcheck verify: a good certificate passes every check, and each kind of tampering is
caught with its own message. pdfsig (poppler) must agree about the signature."""
from __future__ import annotations

import datetime as dt
import io
import json
import subprocess

import pytest

from synthcheck.certificate import issue
from synthcheck.certificate.sign import Signer
from synthcheck.certificate.verify import verify_certificate
from synthcheck.cli.main import main
from synthcheck.errors import InputError
from tests.certificate.conftest import needs_poppler, self_signed, write_pem

NOW = dt.datetime.now(dt.timezone.utc)


def failing(report) -> dict[str, str]:
    return {c.name: c.message for c in report.checks if not c.ok}


def pdfsig(path) -> str:
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True,
                          check=False).stdout


def signed_range_end(data: bytes) -> int:
    from pyhanko.pdf_utils.reader import PdfFileReader

    byte_range = PdfFileReader(io.BytesIO(data)).embedded_signatures[0].byte_range
    return byte_range[1]


@needs_poppler
def test_pdfsig_validates_the_signature(signed_example):
    out = pdfsig(signed_example)
    assert "Signature is Valid." in out
    assert "Total document signed" in out
    assert "ETSI.CAdES.detached" in out
    assert "Test Issuer Ltd" in out


def test_a_good_certificate_passes_every_check(signed_example, issuer_dir):
    report = verify_certificate(signed_example, {}, trust=None)
    assert report.ok, report.lines()
    names = [c.name for c in report.checks]
    assert names == ["signature", "coverage", "signer", "trust", "results", "audit-id"]
    trust = report.checks[3]
    assert trust.skipped and "issuer UNVERIFIED" in trust.message
    assert trust.mark == "–"
    assert report.status == "UNTRUSTED" and not report.trusted
    signer_line = report.checks[2].message
    assert "CN=Test Issuer Ltd" in signer_line
    assert Signer.from_pem(issuer_dir / "key.pem", issuer_dir / "cert.pem").fingerprint in signer_line
    assert "audit id, verdict, input fingerprints and results digest" in report.checks[4].message


def test_trust_anchor_given(signed_example, issuer_dir, tmp_path):
    report = verify_certificate(signed_example, trust=issuer_dir / "cert.pem")
    assert report.ok and "chains to a trust anchor" in report.checks[3].message
    assert report.status == "VALID"
    _, stranger = self_signed("Someone Else CA", not_before=NOW - dt.timedelta(days=1),
                              not_after=NOW + dt.timedelta(days=9), ca=True)
    _, stranger_path = write_pem(tmp_path, "stranger", cert=stranger)
    report = verify_certificate(signed_example, trust=stranger_path)
    assert not report.ok
    assert set(failing(report)) == {"trust"}
    assert "does NOT chain" in failing(report)["trust"]


@pytest.mark.slow
def test_issuer_certified_by_a_ca(example_results, tmp_path):
    """The real-world set-up: a CA certifies the issuer; readers trust the CA only."""
    ca_key, ca_cert = self_signed("Board Root CA", not_before=NOW - dt.timedelta(days=1),
                                  not_after=NOW + dt.timedelta(days=90), ca=True)
    key, cert = self_signed("Vendor Issuer", not_before=NOW - dt.timedelta(days=1),
                            not_after=NOW + dt.timedelta(days=30), issuer_key=ca_key,
                            issuer_cert=ca_cert)
    key_path, cert_path = write_pem(tmp_path, "vendor", key, cert)
    _, ca_path = write_pem(tmp_path, "ca", cert=ca_cert)
    pdf = issue(example_results, tmp_path / "cert.pdf", Signer.from_pem(key_path, cert_path))
    report = verify_certificate(pdf, trust=ca_path)
    assert report.ok, report.lines()
    assert "Board Root CA" in report.checks[3].message


@needs_poppler
def test_changed_byte_is_detected(signed_copy):
    data = signed_copy.read_bytes()
    spot = data.index(b"(synthcheck privacy audit certificate")
    assert spot < signed_range_end(data)
    signed_copy.write_bytes(data[:spot] + b"(synthcheck PRIVACY" + data[spot + 19:])
    report = verify_certificate(signed_copy)
    assert set(failing(report)) == {"signature"}
    assert "changed after signing" in failing(report)["signature"]
    assert "Digest Mismatch" in pdfsig(signed_copy)


def test_changed_byte_inside_a_compressed_stream_is_detected(signed_copy):
    data = bytearray(signed_copy.read_bytes())
    spot = signed_range_end(bytes(data)) // 3
    data[spot] ^= 0x20
    signed_copy.write_bytes(bytes(data))
    report = verify_certificate(signed_copy)
    assert not report.ok
    assert "signature" in failing(report)
    assert "changed after signing" in failing(report)["signature"]


@needs_poppler
def test_incremental_update_after_signing_is_detected(signed_copy):
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    with open(signed_copy, "rb") as handle:
        writer = IncrementalPdfFileWriter(io.BytesIO(handle.read()))
    info = writer.trailer["/Info"]
    info[generic.NameObject("/Subject")] = generic.TextStringObject("Verdict: PASS (edited)")
    writer.update_container(info)
    out = io.BytesIO()
    writer.write(out)
    signed_copy.write_bytes(out.getvalue())
    report = verify_certificate(signed_copy)
    assert set(failing(report)) == {"coverage"}
    assert "incremental update" in failing(report)["coverage"]
    assert "Not total document signed" in pdfsig(signed_copy)


def test_bytes_appended_after_signing_are_detected(signed_copy):
    signed_copy.write_bytes(signed_copy.read_bytes() + b"\n% appended\n")
    report = verify_certificate(signed_copy)
    assert set(failing(report)) == {"coverage"}
    assert "appended after the signed part" in failing(report)["coverage"]


def test_not_a_pdf(tmp_path):
    fake = tmp_path / "fake.pdf"
    fake.write_bytes(b"hello")
    report = verify_certificate(fake)
    assert not report.ok and "cannot be read as a PDF" in failing(report)["signature"]


def test_missing_inputs_are_input_errors(signed_example, tmp_path):
    with pytest.raises(InputError, match="certificate not found"):
        verify_certificate(tmp_path / "none.pdf")
    with pytest.raises(InputError, match="file not found"):
        verify_certificate(signed_example, {"synthetic": tmp_path / "none.csv"})
    with pytest.raises(InputError, match="unknown role"):
        verify_certificate(signed_example, {"population": signed_example})


@pytest.mark.slow
def test_real_audit_files_match_and_another_release_does_not(real_audit, real_certificate,
                                                              tmp_path):
    pdf, _results = real_certificate
    _, files = real_audit
    report = verify_certificate(pdf, files)
    assert report.ok, report.lines()
    assert [c.name for c in report.checks][-3:] == ["input:train", "input:holdout",
                                                    "input:synthetic"]
    # A different synthetic file: one row's value changed.
    import pandas as pd

    other = pd.read_csv(files["synthetic"])
    other.loc[0, "age"] = int(other.loc[0, "age"]) + 1
    other_path = tmp_path / "other-synthetic.csv"
    other.to_csv(other_path, index=False)
    report = verify_certificate(pdf, {**files, "synthetic": other_path})
    assert set(failing(report)) == {"input:synthetic"}
    assert "does NOT match the certified fingerprint" in failing(report)["input:synthetic"]
    # The same table re-ordered and re-saved still matches (canonical form).
    shuffled = pd.read_csv(files["synthetic"]).sample(frac=1, random_state=1)
    shuffled_path = tmp_path / "shuffled.csv"
    shuffled[sorted(shuffled.columns)].to_csv(shuffled_path, index=False)
    assert verify_certificate(pdf, {"synthetic": shuffled_path}).ok


def test_cli_exit_codes_and_json(signed_example, signed_copy, capsys, tmp_path, issuer_dir):
    assert main(["verify", str(signed_example), "--trust", str(issuer_dir / "cert.pem")]) == 0
    out = capsys.readouterr().out
    assert "✓ signature is cryptographically intact" in out and "VALID" in out
    assert main(["verify", str(signed_example)]) == 4  # intact, but nobody vouches for the issuer
    lines = capsys.readouterr().out.splitlines()  # the verdict line, wrapped at 100 columns
    assert any(line.startswith("UNTRUSTED") for line in lines[-3:])
    # past 100 columns only a lone unbreakable word (a long temporary path, a fingerprint)
    assert [line for line in lines if len(line) > 100 and len(line.split()) > 1] == []
    signed_copy.write_bytes(signed_copy.read_bytes() + b"\n% appended\n")
    assert main(["verify", str(signed_copy), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False
    assert [c["check"] for c in report["checks"] if not c["ok"]] == ["coverage"]
    assert main(["verify", str(tmp_path / "missing.pdf")]) == 2
    assert "certificate not found" in capsys.readouterr().err


@pytest.mark.slow
def test_cli_keygen_then_verify_with_trust(tmp_path, capsys, example_results, monkeypatch):
    monkeypatch.setenv("SYNTHCHECK_P12_PASSWORD", "s3cret")
    assert main(["keygen", "--out", str(tmp_path / "iss"), "--common-name", "CLI Issuer",
                 "--days", "5", "--p12"]) == 0
    assert "key.pem" in capsys.readouterr().out
    assert main(["keygen", "--out", str(tmp_path / "iss")]) == 2
    assert "already exists" in capsys.readouterr().err
    signer = Signer.from_pkcs12(tmp_path / "iss" / "issuer.p12", b"s3cret")
    pdf = issue(example_results, tmp_path / "c.pdf", signer)
    assert main(["verify", str(pdf), "--trust", str(tmp_path / "iss" / "cert.pem")]) == 0
    assert "CLI Issuer" in capsys.readouterr().out
