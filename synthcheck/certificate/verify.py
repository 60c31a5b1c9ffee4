"""Check a signed certificate: signature, coverage, signer, trust, embedded results, input files.

Each check is one line of the report with its own message, so a reader can tell "a byte was
changed" from "something was appended after signing" from "this is not the file that was
audited". The report's ``ok`` holds only if every check that was run holds; a check that was
not asked for (no ``--trust``) is shown as skipped and does not fail the report.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from synthcheck.auditing.results import AuditResults
from synthcheck.certificate.requirements import Requirements
from synthcheck.certificate.sign import format_fingerprint, read_user_file
from synthcheck.errors import InputError
from synthcheck.inputs import INPUT_ROLES, OPTIONAL_INPUT_ROLES, certified_roles


@dataclass(frozen=True)
class Check:
    """One line of the report."""

    name: str
    ok: bool
    message: str
    skipped: bool = False

    @property
    def mark(self) -> str:
        return "–" if self.skipped else ("✓" if self.ok else "✗")

    def line(self) -> str:
        return f"{self.mark} {self.message}"


@dataclass
class VerifyReport:
    """All checks made on one certificate, and what it certifies (when it could be read)."""

    path: str
    checks: list[Check] = field(default_factory=list)
    results: AuditResults | None = None
    #: True when the signer chains to a trust anchor the reader gave (--trust); False when no
    #: anchor was given or the signer does not chain to it.
    trusted: bool = False
    #: recorded parameters this version does not know (a later version's certificate)
    unknown_parameters: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every check that was run holds (the signer's identity may still be unverified:
        see :attr:`trusted`)."""
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def status(self) -> str:
        """``VALID`` (every check holds, issuer trusted), ``UNTRUSTED`` (every check holds but
        nobody vouches for the issuer) or ``INVALID``."""
        if not self.ok:
            return "INVALID"
        return "VALID" if self.trusted else "UNTRUSTED"

    def add(self, name: str, ok: bool, message: str, skipped: bool = False) -> Check:
        check = Check(name, ok, message, skipped)
        self.checks.append(check)
        return check

    def summary(self) -> str | None:
        """One line on what the certificate says, from its embedded results."""
        if not self.results:
            return None
        r = self.results
        return (f"certificate for audit {r.audit_id}: verdict {r.verdict.value}, "
                f"audit run {r.created}, synthcheck {r.tool_version}")

    def lines(self) -> list[str]:
        return [c.line() for c in self.checks]

    def to_dict(self) -> dict:
        return {
            "certificate": self.path,
            "valid": self.ok,
            "trusted": self.trusted,
            "status": self.status,
            "checks": [{"check": c.name, "ok": c.ok, "skipped": c.skipped, "message": c.message}
                       for c in self.checks],
            "audit_id": None if self.results is None else self.results.audit_id,
            "verdict": None if self.results is None else self.results.verdict.value,
        }


def verify_certificate(pdf_path: str | Path, files: dict[str, str | Path] | None = None,
                       trust: str | Path | None = None, *, reproduce: bool = False,
                       generator: str | None = None, metadata: str | Path | None = None,
                       log=None, requirements: Requirements | None = None) -> VerifyReport:
    """Verify the certificate at ``pdf_path``.

    ``files`` maps roles (train, holdout, synthetic) to files to compare with the certified
    fingerprints; ``trust`` is a PEM file of trust anchors (CA certificates) for the signer.
    With ``reproduce`` the audit is re-run on ``files`` with the recorded parameters and every
    statistic compared (``synthcheck.auditing.reproduce``); ``generator`` re-runs the
    shadow attack too, ``metadata`` gives the column types the issuer used.
    Raises ``InputError`` for arguments that cannot be used (missing files, unreadable trust
    anchors); everything about the certificate itself goes into the report.
    """
    pdf_path = Path(pdf_path)
    data = read_user_file(pdf_path, "certificate")
    files = {role: Path(p) for role, p in (files or {}).items()}
    for role, path in files.items():
        if role not in INPUT_ROLES + OPTIONAL_INPUT_ROLES:
            raise InputError(f"unknown role '{role}' (expected one of "
                             f"{', '.join(INPUT_ROLES + OPTIONAL_INPUT_ROLES)})")
        if not path.is_file():
            raise InputError("file not found", source=str(path))
    roots = load_trust_anchors(trust) if trust is not None else None

    report = VerifyReport(str(pdf_path))
    signature = _check_signature(report, data, roots, trust)
    if signature is None:
        return report
    reader, embedded = signature
    document, report.results = _check_embedded_results(report, reader, embedded, pdf_path)
    if document is not None:
        _check_audit_id(report, document)
        from synthcheck.auditing.results_json import unknown_keys

        report.unknown_parameters = [key.split(".", 1)[1] for key in unknown_keys(document)
                                     if key.startswith("parameters.")]
    _check_files(report, files)
    if reproduce:
        _check_reproduction(report, files, generator, metadata, log)
    if requirements is not None:
        _check_requirements(report, requirements)
    return report


def _check_requirements(report: VerifyReport, requirements: Requirements) -> None:
    """The buyer's terms (``--require-verdict``, ``--require FILE``), read from the results
    only once every other check holds: a forged certificate meets nothing."""
    if report.results is None or not report.ok:
        report.add("requirements", True, "requirements not checked: the certificate already "
                   "fails a check above", skipped=True)
        return
    unmet = requirements.first_unmet(report.results)
    if unmet is None:
        report.add("requirements", True, f"meets the requirements ({requirements.source})")
    else:
        report.add("requirements", False, f"requirement NOT met ({requirements.source}): "
                   f"{unmet}")


def _same_release_series(report: VerifyReport, document: dict, pdf_path: Path) -> bool:
    """A certificate of another release series cannot be checked by this one's rules (its
    fingerprints, audit id and parameters may mean something else). An intact one is refused
    in one line (exit 2: use the version that made it); a damaged one is INVALID anyway, and
    the report ends with the same line instead of checks made by the wrong rules."""
    from synthcheck.certificate.compatibility import incompatibility

    problem = incompatibility(document)
    if problem is None:
        return True
    if report.ok:
        raise InputError(f"cannot check this certificate: {problem}", source=str(pdf_path))
    report.add("version", False, f"not checked further: {problem}")
    return False


def _check_audit_id(report: VerifyReport, document: dict) -> None:
    """The audit id recomputed from the embedded document exactly as signed."""
    from synthcheck.auditing.results_json import audit_id

    recomputed = audit_id(document)
    if recomputed == document.get("audit_id"):
        report.add("audit-id", True, f"audit id {recomputed} is the hash of the inputs, "
                   "columns, parameters and policy the results record")
    else:
        report.add("audit-id", False, f"audit id {document.get('audit_id')} does NOT match the "
                   f"inputs, columns, parameters and policy the results record (they hash to "
                   f"{recomputed}); the results were edited or made by another tool")


def _check_reproduction(report: VerifyReport, files: dict[str, Path], generator, metadata,
                        log) -> None:
    from synthcheck.auditing.reproduce import precision_text, reproduce

    if report.results is None:
        report.add("reproduce", False, "cannot re-run the audit: the certificate's results "
                   "could not be read")
        return
    if not report.ok:
        report.add("reproduce", False, "not re-run: the certificate already fails a check "
                   "above", skipped=True)
        return
    outcome = reproduce(report.results, files, generator=generator, metadata=metadata, log=log,
                        unknown_parameters=report.unknown_parameters)
    precision = precision_text()
    if outcome.ok:
        what = ("verdict and " if not outcome.not_reproduced else "") + \
            f"{outcome.compared} reported values agree"
        report.add("reproduce", True, f"re-ran the audit with the recorded parameters: {what}, "
                   f"{precision}")
    else:
        first = outcome.differences[0]
        more = len(outcome.differences) - 1
        report.add("reproduce", False, f"re-run DISAGREES with the certificate: "
                   f"{first.describe()}" + (f" (and {more} more)" if more else "") +
                   f"; compared {precision}")
    for name in outcome.not_reproduced:
        report.add(f"reproduce:{name}", True, f"{name} attack not reproduced (it needs the "
                   "generator: pass --generator with the one the certificate names); the "
                   "verdict, the policy checks and the overall figures depend on it and were "
                   "not compared", skipped=True)
    if outcome.unknown_parameters:
        report.add("reproduce:parameters", True, "recorded parameters this synthcheck does not "
                   f"know, not passed to the re-run: {', '.join(outcome.unknown_parameters)}",
                   skipped=True)


# -- signature ---------------------------------------------------------------------------------


def _check_signature(report: VerifyReport, data: bytes, roots, trust):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import SignatureCoverageLevel, validate_pdf_signature
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except Exception as exc:  # noqa: BLE001 - a damaged file can fail anywhere in the parser
        report.add("signature", False, f"the file cannot be read as a PDF ({exc}); it is "
                   "damaged or not a certificate")
        return None
    if not signatures:
        report.add("signature", False, "the PDF carries no signature; it is not a signed "
                   "synthcheck certificate")
        return None
    embedded = signatures[0]
    context = ValidationContext(trust_roots=roots or [], allow_fetching=False)
    usage = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"},
                                match_all_key_usages=False)
    try:
        with _quiet("pyhanko", "pyhanko_certvalidator"):
            status = validate_pdf_signature(embedded, context, key_usage_settings=usage)
    except Exception as exc:  # noqa: BLE001 - pyhanko raises many types for malformed signatures
        report.add("signature", False, f"the signature cannot be validated ({exc}); the "
                   "certificate was damaged or altered")
        return None

    if status.intact and status.valid:
        report.add("signature", True, "signature is cryptographically intact "
                   f"({status.md_algorithm.upper()}, {status.pkcs7_signature_mechanism})")
    else:
        report.add("signature", False, "signature is INVALID: the signed content was changed "
                   "after signing (its digest no longer matches the signature)")

    byte_range = [int(x) for x in embedded.byte_range]
    signed_end = byte_range[2] + byte_range[3]
    extra = len(data) - signed_end
    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE and extra == 0 and len(signatures) == 1:
        report.add("coverage", True, "signature covers the whole file: nothing was added after "
                   "signing")
    elif extra > 0 and reader.xrefs.total_revisions > embedded.signed_revision + 1:
        report.add("coverage", False, f"an incremental update ({extra} bytes) was appended "
                   "after signing; the signature does not cover it, and the issuer's "
                   "signature permits no changes")
    elif extra > 0:
        report.add("coverage", False, f"{extra} bytes were appended after the signed part of "
                   "the file; the signature does not cover them")
    else:
        report.add("coverage", False, "the signature does not cover the file in the standard "
                   "way (unusual byte range); the file may have been manipulated")

    _check_timestamp(report, status, roots)
    cert = embedded.signer_cert
    fingerprint = format_fingerprint(hashlib.sha256(cert.dump()).digest())
    validity = cert["tbs_certificate"]["validity"]
    report.add("signer", True, f"signed by {_subject(cert)}; signing certificate "
               f"SHA-256 {fingerprint}; valid {validity['not_before'].native:%Y-%m-%d} to "
               f"{validity['not_after'].native:%Y-%m-%d}")

    if roots is None:
        self_signed = bool(cert.self_issued)
        report.add("trust", True, "issuer UNVERIFIED: no --trust given, so nothing says who "
                   "the signer is. The signature shows the file is unchanged since signing, "
                   "but anyone can make a key " + ("and a self-signed certificate with any name "
                   "(this one is self-signed)" if self_signed else "under any name") +
                   "; give --trust CA.pem with a certificate you obtained from the issuer or "
                   "its CA", skipped=True)
    elif status.trusted:
        anchor = status.validation_path[0].subject.human_friendly if status.validation_path else ""
        report.trusted = True
        report.add("trust", True, f"signer chains to a trust anchor in {trust} ({anchor})")
    else:
        why = status.trust_problem_indic.name if status.trust_problem_indic else "no valid path"
        report.add("trust", False, f"signer does NOT chain to a trust anchor in {trust} "
                   f"({why.lower().replace('_', ' ')})")
    return reader, embedded


def _check_timestamp(report: VerifyReport, status, roots) -> None:
    """An RFC 3161 signature timestamp, when the issuer asked a TSA for one."""
    stamp = getattr(status, "timestamp_validity", None)
    if stamp is None:
        return
    when = f"{stamp.timestamp:%Y-%m-%d %H:%M:%S %Z}".strip()
    tsa = _subject(stamp.signing_cert) if stamp.signing_cert is not None else "an unknown TSA"
    if not (stamp.intact and stamp.valid):
        report.add("timestamp", False, f"the signature's RFC 3161 timestamp ({when}, {tsa}) is "
                   "INVALID: its token does not match the signature")
    elif roots is not None and stamp.trusted:
        report.add("timestamp", True, f"signature timestamped {when} by {tsa}, which chains to "
                   "your trust anchor")
    else:
        report.add("timestamp", True, f"signature timestamped {when} by {tsa} (the token is "
                   "intact; the time-stamping authority is not checked against a trust "
                   "anchor: add its CA to --trust)", skipped=roots is None)


def _subject(cert) -> str:
    from cryptography import x509

    return x509.load_der_x509_certificate(cert.dump()).subject.rfc4514_string()


def load_trust_anchors(path: str | Path) -> list:
    """Read CA certificates (PEM, several allowed, or one DER) as asn1crypto certificates."""
    from asn1crypto import pem, x509

    data = read_user_file(path, "trust anchor file")
    try:
        if pem.detect(data):
            certs = [x509.Certificate.load(der) for kind, _, der in pem.unarmor(data, multiple=True)
                     if kind == "CERTIFICATE"]
        else:
            certs = [x509.Certificate.load(data)]
            _ = certs[0].native  # parse now, so a bad file fails here
    except Exception as exc:  # asn1crypto parses lazily and raises many types
        raise InputError("not a readable certificate file (PEM or DER expected)",
                         source=str(path)) from exc
    if not certs:
        raise InputError("holds no certificate", source=str(path))
    return certs


# -- embedded results vs visible text ------------------------------------------------------------


def _check_embedded_results(report: VerifyReport, reader, embedded, pdf_path: Path
                            ) -> tuple[dict | None, AuditResults | None]:
    """The embedded results.json as signed (the document, and the results it holds), checked
    against the signed metadata and the visible text; (None, None) when it cannot be read."""
    from synthcheck.auditing.results_json import UnreadableResults, from_document
    from synthcheck.certificate.render import ATTACHMENT_NAME, META_RESULTS_SHA256

    try:
        signed_view = reader.get_historical_resolver(embedded.signed_revision)
        raw = _attachment(signed_view.root, ATTACHMENT_NAME)
        info = _info(signed_view.trailer_view)
    except Exception as exc:  # noqa: BLE001 - a damaged object tree fails in many ways
        report.add("results", False, f"cannot read the embedded {ATTACHMENT_NAME} ({exc})")
        return None, None
    if raw is None:
        report.add("results", False, f"the certificate has no embedded {ATTACHMENT_NAME}")
        return None, None
    try:
        document = json.loads(raw.decode("utf-8"))
        if isinstance(document, dict) and not _same_release_series(report, document, pdf_path):
            return None, None
        results = from_document(document)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        report.add("results", False, f"the embedded {ATTACHMENT_NAME} is not valid JSON ({exc})")
        return None, None
    except UnreadableResults as exc:
        report.add("results", False, f"the embedded {ATTACHMENT_NAME} cannot be read by this "
                   f"synthcheck: {exc}")
        return None, None

    digest = hashlib.sha256(raw).hexdigest()
    problems = []
    recorded = info.get(META_RESULTS_SHA256.lower())
    if recorded != digest:
        problems.append("its SHA-256 differs from the one recorded in the signed metadata")
    expected = _visible_facts(results, digest)
    text = extract_text(pdf_path)
    if text is None:
        compared = "signed metadata only; pdftotext (poppler-utils) is not installed to compare the visible text"
    else:
        squeezed = re.sub(r"\s+", "", text)
        for label, value in expected:
            if re.sub(r"\s+", "", value) not in squeezed:
                problems.append(f"{label} not shown in the document")
        compared = "audit id, verdict, input fingerprints and results digest"
    if problems:
        report.add("results", False, f"the embedded {ATTACHMENT_NAME} does NOT match the visible "
                   "certificate: " + "; ".join(problems))
    else:
        report.add("results", True, f"the embedded {ATTACHMENT_NAME} matches the visible "
                   f"certificate ({compared})")
    return document, results


def _visible_facts(results: AuditResults, digest: str) -> list[tuple[str, str]]:
    facts = [(f"audit id {results.audit_id}", f"Audit id: {results.audit_id}"),
             (f"verdict {results.verdict.value}", f"Verdict: {results.verdict.value}"),
             ("results digest", f"Results SHA-256: {digest}")]
    for role in certified_roles(results):
        facts.append((f"{role} fingerprint", results.inputs.role(role).sha256))
    return facts


def extract_text(pdf_path: Path) -> str | None:
    """The document's text as poppler's pdftotext reads it, or None without poppler."""
    exe = shutil.which("pdftotext")
    if exe is None:
        return None
    done = subprocess.run([exe, "-enc", "UTF-8", str(pdf_path), "-"], capture_output=True,
                          timeout=120, check=False)
    if done.returncode != 0:
        return ""
    return done.stdout.decode("utf-8", errors="replace")


def _attachment(root, name: str) -> bytes | None:
    """The bytes of the embedded file called ``name`` (flat or nested name tree)."""
    try:
        tree = root["/Names"]["/EmbeddedFiles"]
    except KeyError:
        return None
    pending = [tree]
    while pending:
        node = pending.pop()
        names = node.get("/Names")
        if names is not None:
            for index in range(0, len(names) - 1, 2):
                if str(names[index]) == name:
                    return names[index + 1]["/EF"]["/F"].data
        kids = node.get("/Kids")
        if kids is not None:
            pending.extend(kids[index] for index in range(len(kids)))
    return None


def _info(trailer) -> dict[str, str]:
    try:
        info = trailer["/Info"]
    except KeyError:
        return {}
    return {str(k).lstrip("/").lower(): str(v) for k, v in info.items()}


# -- input files ---------------------------------------------------------------------------------


def _check_files(report: VerifyReport, files: dict[str, Path]) -> None:
    if not files:
        return
    from synthcheck.inputs.fingerprint import fingerprint_file

    for role in INPUT_ROLES + OPTIONAL_INPUT_ROLES:
        if role not in files:
            continue
        path = files[role]
        certified = None if report.results is None else report.results.inputs.role(role)
        if report.results is not None and certified is None:
            report.add(f"input:{role}", False, f"{role}: the certificate's audit had no {role} "
                       f"file, so {path} cannot be one of its inputs")
            continue
        expected = None if certified is None else certified.sha256
        if expected is None:
            report.add(f"input:{role}", False, f"{role}: cannot compare {path}; the certificate's "
                       "results could not be read")
            continue
        try:
            actual = fingerprint_file(path)
        except InputError:
            raise
        except Exception as exc:
            raise InputError(f"cannot read the table to fingerprint it ({exc})",
                             source=str(path)) from exc
        if actual == expected:
            report.add(f"input:{role}", True, f"{role}: {path} matches the certified fingerprint "
                       f"({expected[:16]}…)")
        else:
            report.add(f"input:{role}", False, f"{role}: {path} does NOT match the certified "
                       f"fingerprint (file {actual[:16]}…, certificate {expected[:16]}…); it is "
                       "not the table that was audited")


@contextlib.contextmanager
def _quiet(*names: str):
    """Silence library loggers that report expected failures (an untrusted signer, a tampered
    file) with tracebacks; the report says what went wrong."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)
