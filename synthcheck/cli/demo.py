"""`synthcheck demo`: the whole flow on bundled data, as a new user would run it.

Bundled UCI Adult slices -> a GaussianCopula release made by the tool -> audit (with shadow
generators) -> a fresh self-signed issuer -> signed certificate -> verification.
"""
from __future__ import annotations

import sys
from pathlib import Path

from synthcheck.exitcodes import ExitCode

DATA = Path(__file__).resolve().parent.parent / "demo_data"  # synthcheck/demo_data


def run_demo(out: Path, seed: int = 0, shadows: int = 8) -> int:
    from synthcheck.api import audit
    from synthcheck.certificate.keygen import generate_issuer
    from synthcheck.certificate.sign import Signer
    from synthcheck.certificate.verify import verify_certificate

    def say(message: str) -> None:
        print(message, file=sys.stderr)

    from synthcheck.support.paths import check_output_dir

    check_output_dir(out, "out")
    out.mkdir(parents=True, exist_ok=True)
    issuer = out / "issuer"
    if (issuer / "key.pem").exists() and (issuer / "cert.pem").exists():
        key, cert = issuer / "key.pem", issuer / "cert.pem"
        say(f"using the existing demo issuer in {issuer}")
    else:
        key, cert = generate_issuer(issuer, overwrite=True)
        say(f"made a self-signed demo issuer: {key}, {cert}")
    train, holdout = DATA / "adult_train.csv", DATA / "adult_holdout.csv"
    say("fitting sdv:GaussianCopulaSynthesizer on the bundled train slice and auditing its release ...")
    result = audit(train, holdout, generator="sdv:GaussianCopulaSynthesizer",
                   id_column="person_id", seed=seed, shadows=shadows,
                   progress="bar" if sys.stderr.isatty() else "lines", log=say)
    paths = result.write(out / "audit")
    certificate = result.certificate(out / "certificate.pdf", Signer.from_pem(key, cert))
    print(result.summary)
    print(f"\nwrote {paths['results']}, {paths['records']}, {paths['synthetic']}")
    print(f"wrote signed certificate {certificate}\n")
    report = verify_certificate(certificate, {"train": train, "holdout": holdout,
                                              "synthetic": paths["synthetic"]}, trust=cert)
    from synthcheck.cli.certificate_commands import VERDICT_LINES
    from synthcheck.support.formatting import fit

    print(fit(f"synthcheck verify {certificate} --train {train} --holdout {holdout} "
              f"--synthetic {paths['synthetic']} --trust {cert}"))
    for line in report.lines():
        print(fit(f"  {line}"))  # 100 columns, as verify prints them
    print(fit(VERDICT_LINES[report.status]))
    print("\nalso check the signature with poppler: pdfsig " + str(certificate))
    return ExitCode.PASS if report.ok else ExitCode.FAIL
