"""The ``synthcheck`` command: audit, verify, keygen, demo.

Exit codes: 0 pass / valid, 1 fail / inconclusive / invalid, 2 bad input. Every user mistake
is one line on stderr; anything else is a bug and keeps its traceback.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
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
    data.add_argument("--id-column", metavar="NAME",
                      help="column naming each record; outputs refer to records by it "
                           "(default: the metadata's primary key, else row numbers)")
    data.add_argument("--drop-overlap", action="store_true",
                      help="drop holdout rows identical to a train row instead of failing")
    method = parser.add_argument_group("method")
    # Names are checked by audit() against the registry; importing it here would load pandas
    # and make `--help` slow.
    method.add_argument("--attacks", metavar="LIST",
                        help="comma-separated attack names: dcr, dcr-ratio, density-ratio, "
                             "shadow (default: the first three, plus shadow with --generator)")
    method.add_argument("--policy", metavar="TOML", help="limits for the verdict (default: "
                        "the built-in policy; see `synthcheck policy`)")
    method.add_argument("--seed", type=int, default=0, help="seed for every random choice (default 0)")
    method.add_argument("--confidence", type=float, default=0.95,
                        help="confidence level of reported intervals (default 0.95)")
    method.add_argument("--folds", type=_positive_int, default=5,
                        help="holdout folds for cross-fitted references (default 5)")
    method.add_argument("--delta", type=float, default=1e-5,
                        help="delta of (epsilon, delta)-DP for the epsilon lower bound (default 1e-5)")
    method.add_argument("--density", choices=("auto", "kde", "classifier"), default="auto",
                        help="density-ratio estimator (auto: kernel densities on small data, "
                             "a classifier at scale)")
    method.add_argument("--neighbours", choices=("auto", "exact", "approx"), default="auto",
                        help="nearest-neighbour search for the distance attacks: exact, or "
                             "approx (faiss IVF index, recall against the exact search measured "
                             "on a sample and reported); auto: exact up to 2e11 candidate x "
                             "synthetic pairs, approx above (default auto)")
    method.add_argument("--max-candidates", type=_positive_int, metavar="N",
                        help="score a seeded sample of N train + holdout records, stratified by "
                             "membership, for a quicker run (recorded in results.json and on "
                             "the certificate; default: score every record)")
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
    generator.add_argument("--generator-params", metavar="JSON",
                           help="JSON object of parameters for the generator (SDV: constructor "
                                "arguments such as {\"epochs\": 300}; module:callable: keyword "
                                "arguments)")
    generator.add_argument("--synthetic-rows", type=_positive_int, metavar="N",
                           help="rows to sample for the release (default: as many as train)")
    generator.add_argument("--shadows", type=_positive_int, metavar="K",
                           help="shadow generators fitted for the shadow attack (default 32, at "
                                "least 4; each is one fit of the generator)")
    generator.add_argument("--scheduler", metavar="ADDRESS",
                           help="run shadow fits on this Dask scheduler, e.g. tcp://host:8786 "
                                "(needs synthcheck installed on the workers; default: local "
                                "processes)")
    generator.add_argument("--jobs", type=int, metavar="N",
                           help="local processes for shadow fits (default -1: every core; 1: "
                                "no subprocesses)")
    output = parser.add_argument_group("output")
    output.add_argument("--out", metavar="DIR", help="write results.json and records.parquet here")
    output.add_argument("--json", action="store_true",
                        help="print results.json to stdout (messages go to stderr)")
    output.add_argument("--quiet", action="store_true", help="no progress bars or messages")
    add_signing_arguments(output)
    parser.set_defaults(handler=_run_audit)


def _run_audit(args: argparse.Namespace) -> int:
    from synthcheck.certificate.commands import signer_from_args
    from synthcheck.pipeline import audit

    signer = signer_from_args(args)  # a bad key fails before any work is done
    if getattr(args, "certificate", None) and signer is None:
        raise InputError("--certificate needs --sign-key and --sign-cert, or --sign-p12")
    if args.synthetic is None and getattr(args, "generator", None) is None:
        raise InputError("give --synthetic FILE (or --generator to make the release)")
    say = (lambda m: None) if args.quiet else (lambda m: print(m, file=sys.stderr))
    options = {k: getattr(args, k) for k in _extra_audit_options() if getattr(args, k, None) is not None}
    result = audit(args.train, args.holdout, synthetic=args.synthetic,
                   id_column=args.id_column, metadata=args.metadata,
                   attacks=None if args.attacks is None else
                   [a.strip() for a in args.attacks.split(",") if a.strip()],
                   policy=args.policy, seed=args.seed, confidence=args.confidence,
                   folds=args.folds, delta=args.delta, density=args.density,
                   drop_overlap=args.drop_overlap, progress=not args.quiet and sys.stderr.isatty(),
                   log=say, **options)
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


def _extra_audit_options() -> tuple[str, ...]:
    """Options other modules add to `audit` (generator, scale), passed through to audit()."""
    return ("generator", "generator_params", "synthetic_rows", "shadows", "scheduler", "jobs",
            "neighbours", "max_candidates")


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
        print(f"synthcheck: error: {error.one_line()}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("synthcheck: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
