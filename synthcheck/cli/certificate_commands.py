"""Command-line pieces for certificates: ``keygen``, ``verify``, and the signing options of
``audit``. Importing this module imports no heavy library; the handlers do, when they run.
"""
from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
import os
import sys

from synthcheck.errors import InputError
from synthcheck.exitcodes import ExitCode
from synthcheck.inputs import INPUT_ROLES, OPTIONAL_INPUT_ROLES

EXIT_OK, EXIT_INVALID = ExitCode.PASS, ExitCode.FAIL  # the one table: synthcheck.exitcodes
EXIT_UNTRUSTED = ExitCode.UNTRUSTED
P12_PASSWORD_ENV = "SYNTHCHECK_P12_PASSWORD"
KEY_PASSWORD_ENV = "SYNTHCHECK_KEY_PASSWORD"

KEYGEN_EPILOG = f"""\
examples:
  synthcheck keygen --out issuer/
  synthcheck keygen --out issuer/ --common-name "Acme Data Ltd (demo)" --days 30
  {P12_PASSWORD_ENV}=secret synthcheck keygen --out issuer/ --p12
  {KEY_PASSWORD_ENV}=secret synthcheck keygen --out issuer/ --encrypt-key

writes:
  DIR/key.pem     private key (RSA 3072, PKCS#8, readable by you only; with --encrypt-key
                  encrypted with the passphrase from ${KEY_PASSWORD_ENV} or the prompt)
  DIR/cert.pem    self-signed X.509 certificate for document signing
  DIR/issuer.p12  with --p12: the same key and certificate as PKCS#12, encrypted with the
                  password from ${P12_PASSWORD_ENV} or asked for at the prompt

A self-signed issuer is for trying synthcheck out: readers can only check a signature made with
it against cert.pem itself (synthcheck verify --trust DIR/cert.pem). For certificates others
rely on, sign with a key whose certificate comes from a CA they trust.
"""

VERIFY_EPILOG = """\
examples:
  synthcheck verify cert.pdf --trust issuer-ca.pem
  synthcheck verify cert.pdf --train train.csv --holdout holdout.csv \\
      --synthetic synth.csv --trust ca.pem
  synthcheck verify cert.pdf --train train.csv --holdout holdout.csv \\
      --synthetic synth.csv --reproduce
  synthcheck verify cert.pdf --synthetic synth.parquet --trust issuer-ca.pem --json

checks, one line each (✓ holds, ✗ fails, – not asked for):
  signature   the signature is cryptographically intact (no byte of the signed file changed)
  coverage    the signature covers the whole file (nothing appended after signing)
  signer      who signed: subject and SHA-256 fingerprint of the signing certificate
  trust       with --trust: the signer chains to one of the CA certificates in that file
  results     the embedded results.json matches the visible certificate
  audit-id    the audit id is the hash of the inputs, columns, parameters and policy recorded
  input       each file given matches its certified fingerprint (canonical form, see README)
  reproduce   with --reproduce: the audit re-run on the given files with the recorded
              parameters gives the same verdict and statistics (to half a unit of the last
              printed digit); the shadow attack only with --generator

exit codes:
  0  VALID: every check holds and the issuer chains to a --trust anchor
  1  INVALID: a check fails (changed file, wrong fingerprint, the re-run disagrees, ...)
  2  bad input (e.g. a missing file)
  4  UNTRUSTED: every check holds, but no --trust was given: the document is intact, yet
     anyone can make a key under any name
A valid certificate can still carry a FAIL verdict: read the verdict line.
"""

def register(subparsers) -> None:
    """Add the ``keygen`` and ``verify`` subcommands to an argparse subparsers object."""
    keygen = subparsers.add_parser(
        "keygen", help="make a self-signed issuer key and certificate, for trying it out",
        description="Create a self-signed issuer: an RSA key and an X.509 certificate with the "
                    "key usages for signing documents (digitalSignature, nonRepudiation).",
        epilog=KEYGEN_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    keygen.add_argument("--out", required=True, metavar="DIR",
                        help="directory for key.pem and cert.pem (created if needed)")
    keygen.add_argument("--common-name", default="synthcheck demo issuer", metavar="NAME",
                        help="the issuer's name shown on certificates (default: %(default)s)")
    keygen.add_argument("--days", type=int, default=365,
                        help="validity of the certificate in days (default: %(default)s)")
    keygen.add_argument("--p12", action="store_true",
                        help=f"also write issuer.p12 (PKCS#12), password from ${P12_PASSWORD_ENV} "
                             "or a prompt")
    keygen.add_argument("--encrypt-key", action="store_true",
                        help=f"encrypt key.pem with a passphrase from ${KEY_PASSWORD_ENV} or a "
                             "prompt (signing then asks for it the same way)")
    keygen.add_argument("--overwrite", action="store_true",
                        help="replace existing key and certificate files in DIR")
    keygen.set_defaults(handler=run_keygen)

    verify = subparsers.add_parser(
        "verify", help="check a certificate's signature, integrity and input fingerprints",
        description="Verify a synthcheck certificate: its signature, that nothing changed "
                    "after signing, who signed it (and, with --trust, that a CA you trust "
                    "vouches for them), that its embedded results match what it shows, and "
                    "that the files you were given are the ones it certifies.",
        epilog=VERIFY_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    verify.add_argument("certificate", metavar="CERT.pdf", help="the signed certificate")
    verify.add_argument("--train", metavar="FILE", help="train table to compare (CSV or Parquet)")
    verify.add_argument("--holdout", metavar="FILE", help="holdout table to compare")
    verify.add_argument("--synthetic", metavar="FILE", help="synthetic table to compare")
    verify.add_argument("--reference", metavar="FILE",
                        help="reference records to compare (when the audit had --reference)")
    verify.add_argument("--trust", metavar="CA.pem",
                        help="PEM file of CA certificates you trust; the signer must chain to one")
    verify.add_argument("--reproduce", action="store_true",
                        help="re-run the audit on --train, --holdout and --synthetic with the "
                             "parameters the certificate records and compare every statistic")
    verify.add_argument("--generator", metavar="NAME",
                        help="with --reproduce: the generator the certificate names, to re-run "
                             "the shadow attack too (otherwise it is reported as not reproduced)")
    verify.add_argument("--metadata", metavar="JSON",
                        help="with --reproduce: the SDV metadata the issuer audited with")
    verify.add_argument("--require-verdict", metavar="LIST",
                        help="accepted verdicts, e.g. PASS or PASS,INCONCLUSIVE: any other is "
                             "INVALID (exit 1), so `verify --require-verdict PASS` is a CI gate")
    verify.add_argument("--require", metavar="TOML",
                        help="a buyer's requirements: accepted verdicts, a minimum policy, "
                             "attacks that must have run, records scored, certificate age "
                             "(README: A buyer's requirements; example in "
                             "docs/requirements.example.toml); exit 1 naming the first unmet")
    verify.add_argument("--json", action="store_true", help="print the report as JSON")
    verify.set_defaults(handler=run_verify)

    fingerprint = subparsers.add_parser(
        "fingerprint", help="print the SHA-256 fingerprint certificates use for a table",
        description="The SHA-256 fingerprint of each table over its exact canonical form, as "
                    "listed on certificates.",
        epilog=FINGERPRINT_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    fingerprint.add_argument("files", nargs="+", metavar="FILE", help="CSV or Parquet table")
    fingerprint.add_argument("--columns", action="store_true",
                             help="also print each column's canonical type")
    fingerprint.set_defaults(handler=run_fingerprint)


FINGERPRINT_EPILOG = """\
examples:
  synthcheck fingerprint train.csv holdout.csv synth.parquet
  synthcheck fingerprint synth.csv --columns

prints one line per file, "SHA256  FILE" as sha256sum does: the SHA-256 of the table's exact
canonical form (recipe synthcheck-table-2: integers of any size exact, explicit column types,
Unicode NFC; independent of row and column order). The README gives the recipe as a stand-alone
Python snippet; certificates list these fingerprints.
"""


def run_fingerprint(args: argparse.Namespace) -> int:
    from synthcheck.inputs.fingerprint import canonical_columns
    from synthcheck.inputs.load import load_table

    for name in args.files:
        digest = load_table(name, "input").sha256  # as the audit reads and fingerprints it
        columns = canonical_columns(name) if args.columns else {}
        print(f"{digest}  {name}")
        for column in sorted(columns):
            print(f"    {columns[column][0]:<9} {column}")
    return EXIT_OK


def run_keygen(args: argparse.Namespace) -> int:
    from synthcheck.certificate.keygen import P12_FILE, generate_issuer
    from synthcheck.support.paths import check_output_dir

    check_output_dir(args.out, "out")
    password = read_p12_password(confirm=True) if args.p12 else None
    if args.p12 and not password:
        raise InputError(f"--p12 needs a password: set {P12_PASSWORD_ENV} or run interactively")
    key_password = read_key_password(confirm=True) if args.encrypt_key else None
    if args.encrypt_key and not key_password:
        raise InputError(f"--encrypt-key needs a passphrase: set {KEY_PASSWORD_ENV} or run "
                         "interactively")
    key_path, cert_path = generate_issuer(args.out, common_name=args.common_name, days=args.days,
                                          p12_password=password, key_password=key_password,
                                          overwrite=args.overwrite)
    print(f"wrote {key_path} (keep it private)")
    print(f"wrote {cert_path}")
    if args.p12:
        print(f"wrote {key_path.parent / P12_FILE}")
    print(f"sign with: synthcheck audit ... --certificate cert.pdf --sign-key {key_path} "
          f"--sign-cert {cert_path}")
    return EXIT_OK


def run_verify(args: argparse.Namespace) -> int:
    from synthcheck.certificate.verify import verify_certificate

    files = {role: getattr(args, role) for role in INPUT_ROLES + OPTIONAL_INPUT_ROLES
             if getattr(args, role)}
    if (args.generator or args.metadata) and not args.reproduce:
        raise InputError("--generator and --metadata apply only with --reproduce")
    if args.reproduce:
        missing = [r for r in INPUT_ROLES if r not in files]
        if missing:
            raise InputError(f"--reproduce needs --{missing[0]}: the certified files to re-run "
                             "the audit on")
    say = (lambda m: None) if args.json else (lambda m: print(m, file=sys.stderr))
    report = verify_certificate(args.certificate, files, trust=args.trust,
                                reproduce=args.reproduce, generator=args.generator,
                                metadata=args.metadata, log=say if args.reproduce else None,
                                requirements=_requirements(args))
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        from synthcheck.support.formatting import fit

        print(args.certificate)
        summary = report.summary()
        if summary:
            print(fit(f"  {summary}"))
        for line in report.lines():
            print(fit(f"  {line}"))  # 100 columns for a CI log
        print(fit(VERDICT_LINES[report.status]))
        if report.ok and report.results is not None and report.results.verdict.value != "PASS":
            # VALID is about the document; a reader skimming a CI log must not take it for a PASS
            print(fit(f"NOTE: this genuine certificate's verdict is "
                      f"{report.results.verdict.value}, not PASS (to gate on the verdict: "
                      f"--require-verdict PASS)"))
    return {"VALID": EXIT_OK, "UNTRUSTED": EXIT_UNTRUSTED}.get(report.status, EXIT_INVALID)


def _requirements(args: argparse.Namespace):
    """The buyer's requirements from --require FILE and/or --require-verdict (which then
    replaces the file's verdicts), or None."""
    import dataclasses

    from synthcheck.certificate.requirements import (
        Requirements,
        load_requirements,
        parse_verdicts,
    )

    if args.require is None and args.require_verdict is None:
        return None
    found = load_requirements(args.require) if args.require else Requirements()
    if args.require_verdict is not None:
        sources = "--require-verdict" + (f" and {args.require}" if args.require else "")
        found = dataclasses.replace(found, verdicts=parse_verdicts(args.require_verdict),
                                    source=sources)
    return found


VERDICT_LINES = {
    "VALID": "VALID: every check holds and the issuer is vouched for by your trust anchor",
    "UNTRUSTED": "UNTRUSTED: the document is intact and matches what it says, but the issuer is "
                 "unverified (exit 4); pass --trust with the issuer's certificate or its CA",
    "INVALID": "INVALID: see the ✗ lines above",
}


def add_signing_arguments(parser) -> None:
    """Add ``--certificate`` and the signing key options to a parser or argument group."""
    parser.add_argument("--certificate", metavar="PDF",
                        help="write a signed PDF certificate of the results here (needs "
                             "--sign-key and --sign-cert, or --sign-p12)")
    parser.add_argument("--sign-key", metavar="PEM",
                        help=f"issuer's private key (PEM; if encrypted, the passphrase comes "
                             f"from ${KEY_PASSWORD_ENV} or a prompt)")
    parser.add_argument("--sign-cert", metavar="PEM",
                       help="issuer's X.509 certificate (PEM; may include the CA chain)")
    parser.add_argument("--sign-p12", metavar="P12",
                       help=f"issuer's key and certificate as PKCS#12 (password from "
                            f"${P12_PASSWORD_ENV} or a prompt)")
    parser.add_argument("--timestamp-url", metavar="URL",
                        help="RFC 3161 time-stamping authority: the signature carries its "
                             "timestamp (PAdES B-T), so the signing time does not rest on the "
                             "issuer's clock")
    parser.add_argument("--template", metavar="DIR",
                        help="the issuer's own certificate template: DIR holds "
                             "certificate.html.j2 (may extend synthcheck/certificate.html.j2), "
                             "certificate.css, or both (default: the bundled templates/)")


def signer_from_args(args: argparse.Namespace):
    """The ``Signer`` the signing options describe, or None when none were given. Checks
    ``--template`` too, so a bad certificate option fails before the audit runs."""
    key, cert, p12 = (getattr(args, name, None) for name in ("sign_key", "sign_cert", "sign_p12"))
    if getattr(args, "template", None):
        from synthcheck.certificate.render import check_template_dir

        check_template_dir(args.template)
    if p12 and (key or cert):
        raise InputError("give either --sign-p12, or --sign-key with --sign-cert, not both")
    if bool(key) != bool(cert):
        raise InputError("--sign-key and --sign-cert go together")
    if not (p12 or key):
        if getattr(args, "timestamp_url", None):
            raise InputError("--timestamp-url applies only when signing a certificate")
        return None
    signer = _signer(key, cert, p12)
    url = getattr(args, "timestamp_url", None)
    if url and not url.startswith(("http://", "https://")):
        raise InputError(f"--timestamp-url must be an http:// or https:// URL, got {url!r}")
    return dataclasses.replace(signer, timestamp_url=url) if url else signer


def _signer(key, cert, p12):
    from synthcheck.certificate.sign import Signer

    if p12:
        return Signer.from_pkcs12(p12, read_p12_password())
    from synthcheck.certificate.sign import key_is_encrypted

    if not key_is_encrypted(key):
        return Signer.from_pem(key, cert)
    passphrase = read_key_password()
    if passphrase is None:
        raise InputError(f"the private key is encrypted: set {KEY_PASSWORD_ENV} or run "
                         "interactively to be asked for its passphrase", source=str(key))
    return Signer.from_pem(key, cert, passphrase)


def read_p12_password(*, confirm: bool = False) -> bytes | None:
    """The PKCS#12 password from the environment, else from a prompt when interactive."""
    return _read_secret(P12_PASSWORD_ENV, "PKCS#12 password: ", confirm)


def read_key_password(*, confirm: bool = False) -> bytes | None:
    """The PEM key's passphrase from the environment, else from a prompt when interactive."""
    return _read_secret(KEY_PASSWORD_ENV, "private key passphrase: ", confirm)


def _read_secret(variable: str, prompt: str, confirm: bool) -> bytes | None:
    value = os.environ.get(variable)
    if value is not None:
        return value.encode("utf-8")
    if not sys.stdin.isatty():
        return None
    first = getpass.getpass(prompt)
    if confirm and getpass.getpass("again: ") != first:
        raise InputError("the two passwords differ")
    return first.encode("utf-8")
