"""The ``synthcheck`` command: audit, verify, keygen, demo.

Exit codes: 0 pass / valid, 1 fail / inconclusive / invalid, 2 bad input. Every user mistake
is one line on stderr; anything else is a bug and keeps its traceback.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path

from synthcheck import __version__
from synthcheck.errors import InputError

EXIT_PASS, EXIT_FAIL, EXIT_BAD_INPUT = 0, 1, 2

AUDIT_EPILOG = """\
examples:
  synthcheck audit --train train.csv --holdout holdout.csv --synthetic synth.csv --out audit/
  synthcheck audit ... --id-column person_id --policy board.toml --json > results.json
  synthcheck audit ... --certificate cert.pdf --sign-key issuer/key.pem --sign-cert issuer/cert.pem

inputs:
  train      the real records the generator was fitted on (members)
  holdout    real records from the same population it never saw (non-members);
             at least 1,000 rows are needed to measure TPR at FPR 0.1 %
  synthetic  the released synthetic table (CSV or Parquet)

outputs (with --out DIR):
  DIR/results.json     aggregates only, versioned schema (synthcheck/schema/results.schema.json)
  DIR/records.parquet  one row per real record: id, member flag, each attack's score,
                       percentile among non-members, flagged at FPR 0.1 %. For the data
                       owner only: it names real records.

exit codes: 0 PASS, 1 FAIL or INCONCLUSIVE, 2 bad input.
"""


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _option(group, name: str, **options) -> None:
    """An `audit` option for one parameter of the table (synthcheck.parameters): its type,
    range and help are declared there once; audit() checks the value."""
    from synthcheck.parameters import declared, option_name

    constraint, default, help = declared(name)
    if default is not None and default is not False:
        help += f" (default {default})"
    if isinstance(default, bool):
        group.add_argument(option_name(name), action="store_true", default=None, help=help)
    else:
        group.add_argument(option_name(name), type=constraint.parse, default=None, help=help,
                           **options)


def _add_audit_parser(subparsers) -> None:
    from synthcheck.certificate.commands import add_signing_arguments

    parser = subparsers.add_parser(
        "audit", help="run membership inference attacks and give a verdict",
        description="Measure how well membership inference attacks tell the generator's "
                    "training records (train) from unseen records (holdout), using the "
                    "released synthetic table, and judge the result against a policy.",
        epilog=AUDIT_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    data = parser.add_argument_group("data")
    data.add_argument("--train", required=True, metavar="FILE", help="members: CSV or Parquet")
    data.add_argument("--holdout", required=True, metavar="FILE", help="non-members: CSV or Parquet")
    data.add_argument("--synthetic", metavar="FILE", help="the released synthetic table")
    data.add_argument("--metadata", metavar="JSON",
                      help="SDV metadata for column types (otherwise inferred and printed)")
    _option(data, "id_column", metavar="NAME")
    _option(data, "drop_overlap")
    method = parser.add_argument_group("method")
    _option(method, "attacks", metavar="LIST")
    _option(method, "policy", metavar="TOML")
    _option(method, "seed", metavar="N")
    _option(method, "confidence", metavar="LEVEL")
    _option(method, "folds", metavar="K")
    _option(method, "delta", metavar="DELTA")
    _option(method, "density", metavar="{auto,kde,classifier}")
    _option(method, "neighbours", metavar="{auto,exact,approx}")
    _option(method, "max_candidates", metavar="N")
    generator = parser.add_argument_group(
        "generator",
        "  With --generator and no --synthetic, synthcheck fits the generator on train and\n"
        "  audits the release it samples; with both, --synthetic is the release and the\n"
        "  generator only trains the shadow attack's shadow generators. For example:\n"
        "    --generator sdv:GaussianCopulaSynthesizer --shadows 32\n"
        "    --generator mypkg.gen:make_generator --generator-params params.json\n"
        "    --generator sdv:CTGANSynthesizer --shadows 64 --scheduler tcp://host:8786")
    generator.add_argument("--generator", metavar="NAME",
                           help="sdv:<Synthesizer> (GaussianCopulaSynthesizer, CTGANSynthesizer, "
                                "TVAESynthesizer, CopulaGANSynthesizer) or module:callable "
                                "returning an object with fit(DataFrame) and sample(n)")
    _option(generator, "generator_params", metavar="JSON")
    _option(generator, "synthetic_rows", metavar="N")
    _option(generator, "shadows", metavar="K")
    _option(generator, "scheduler", metavar="ADDRESS")
    _option(generator, "jobs", metavar="N")
    output = parser.add_argument_group("output")
    output.add_argument("--out", metavar="DIR", help="write results.json and records.parquet here")
    output.add_argument("--json", action="store_true",
                        help="print results.json to stdout (messages go to stderr)")
    output.add_argument("--quiet", action="store_true", help="no progress bars or messages")
    add_signing_arguments(output)
    parser.set_defaults(handler=_run_audit)


def _run_audit(args: argparse.Namespace) -> int:
    from synthcheck.certificate.commands import signer_from_args
    from synthcheck.parameters import AuditParameters
    from synthcheck.pipeline import audit

    signer = signer_from_args(args)  # a bad key fails before any work is done
    if getattr(args, "certificate", None) and signer is None:
        raise InputError("--certificate needs --sign-key and --sign-cert, or --sign-p12")
    if args.synthetic is None and getattr(args, "generator", None) is None:
        raise InputError("give --synthetic FILE (or --generator to make the release)")
    say = (lambda m: None) if args.quiet else (lambda m: print(m, file=sys.stderr))
    given = {f.name: getattr(args, f.name) for f in fields(AuditParameters)
             if getattr(args, f.name, None) is not None}
    result = audit(args.train, args.holdout, synthetic=args.synthetic, generator=args.generator,
                   metadata=args.metadata, progress=not args.quiet and sys.stderr.isatty(),
                   log=say, **given)
    if args.out:
        paths = result.write(args.out)
        say(f"wrote {paths['results']} and {paths['records']}")
    if getattr(args, "certificate", None):
        path = result.certificate(args.certificate, signer, getattr(args, "template", None))
        say(f"wrote signed certificate {path}")
    if args.json:
        print(result.to_json())
    else:
        print(result.summary)
    return EXIT_PASS if result.verdict == "PASS" else EXIT_FAIL


def _add_policy_parser(subparsers) -> None:
    parser = subparsers.add_parser("policy", help="print the default policy (TOML) to start from")
    parser.set_defaults(handler=lambda args: print(_default_policy_text(), end="") or EXIT_PASS)


def _default_policy_text() -> str:
    from synthcheck.policy import DEFAULT_POLICY_TEXT

    return DEFAULT_POLICY_TEXT


def _add_demo_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo", help="the whole flow on bundled data: audit, signed certificate, verify",
        description="Audit bundled UCI Adult slices against a synthetic release fitted with "
                    "SDV's GaussianCopula, issue a signed certificate with a fresh self-signed "
                    "issuer key, and verify it.")
    parser.add_argument("--out", default="synthcheck-demo", metavar="DIR",
                        help="where to write everything (default ./synthcheck-demo)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shadows", type=_positive_int, default=8,
                        help="shadow generators for the shadow attack (default 8)")
    parser.set_defaults(handler=_run_demo)


def _run_demo(args: argparse.Namespace) -> int:
    from synthcheck.demo import run_demo

    return run_demo(Path(args.out), seed=args.seed, shadows=args.shadows)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="synthcheck",
        description="Certify how much a synthetic dataset leaks about the real records it was "
                    "made from: membership inference attacks, honest statistics, a signed PDF "
                    "certificate.",
        epilog="start with `synthcheck demo`, then `synthcheck audit --help`.")
    parser.add_argument("--version", action="version", version=f"synthcheck {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_audit_parser(subparsers)
    from synthcheck.certificate.commands import register

    register(subparsers)
    _add_demo_parser(subparsers)
    _add_policy_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return EXIT_BAD_INPUT
    try:
        return int(args.handler(args))
    except InputError as error:
        print(f"synthcheck: error: {error.one_line(option=True)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("synthcheck: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
