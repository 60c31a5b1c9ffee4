"""The ``synthcheck`` command: audit, verify, keygen, demo, policy.

Exit codes are in ``synthcheck.exitcodes``. Every user mistake (including argparse's own) is
one line on stderr and exit code 2; anything else is a bug and keeps its traceback. Output
survives a closed pipe (``| head``) and a console that cannot show ✓ or ε.
"""
from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path

from synthcheck import __version__
from synthcheck.errors import InputError
from synthcheck.exitcodes import ExitCode, describe, for_verdict

HELP_WIDTH = 100  # help and messages fit a 100-column CI log

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

exit codes:
""" + describe() + "\n"


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _option(group, name: str, **options) -> None:
    """An `audit` option for one parameter of the table (synthcheck.auditing.parameters): its type,
    range and help are declared there once; audit() checks the value."""
    from synthcheck.auditing.parameters import declared, option_name

    constraint, default, help = declared(name)
    if default is not None and default is not False:
        help += f" (default {default})"
    if isinstance(default, bool):
        group.add_argument(option_name(name), action="store_true", default=None, help=help)
    else:
        group.add_argument(option_name(name), type=constraint.parse, default=None, help=help,
                           **options)


def _add_audit_parser(subparsers) -> None:
    from synthcheck.cli.certificate_commands import add_signing_arguments

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
    data.add_argument("--reference", metavar="FILE",
                      help="further real records of the same population in neither train nor "
                           "holdout (never scored): used by the reference-based attacks and to "
                           "check that the holdout was never trained on")
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
    _option(method, "known_columns", metavar="LIST")
    _option(method, "secret_columns", metavar="LIST")
    _option(method, "scheduler", metavar="ADDRESS")
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
    _option(generator, "jobs", metavar="N")
    _option(generator, "canaries", metavar="N")
    _option(generator, "claimed_epsilon", metavar="E")
    output = parser.add_argument_group("output")
    output.add_argument("--out", metavar="DIR", help="write results.json and records.parquet here")
    output.add_argument("--report", metavar="FILE",
                        help="write the data owner's HTML report here (names real records: "
                             "not for sharing)")
    output.add_argument("--json", action="store_true",
                        help="print results.json to stdout (messages go to stderr)")
    output.add_argument("--quiet", action="store_true",
                        help="no progress or messages (default: bars on a terminal, otherwise a "
                             "plain progress line at least every 30 s)")
    add_signing_arguments(output)
    parser.set_defaults(handler=_run_audit)


def _run_audit(args: argparse.Namespace) -> int:
    from synthcheck.api import audit
    from synthcheck.auditing.parameters import AuditParameters
    from synthcheck.cli.certificate_commands import signer_from_args

    _check_outputs(args)
    signer = signer_from_args(args)  # a bad key fails before any work is done
    if args.certificate and signer is None:
        raise InputError("--certificate needs --sign-key and --sign-cert, or --sign-p12")
    if args.synthetic is None and args.generator is None:
        raise InputError("give --synthetic FILE (or --generator to make the release)")
    say = (lambda m: None) if args.quiet else (lambda m: print(_fit(m), file=sys.stderr))
    given = {f.name: getattr(args, f.name) for f in fields(AuditParameters)
             if getattr(args, f.name, None) is not None}
    result = audit(args.train, args.holdout, synthetic=args.synthetic, generator=args.generator,
                   reference=args.reference, metadata=args.metadata, progress=_progress_mode(args.quiet),
                   log=say, **given)
    if args.out:
        paths = result.write(args.out)
        say(f"wrote {', '.join(p.name for p in paths.values())} in {args.out}")
    if args.certificate:
        path = result.certificate(args.certificate, signer, args.template)
        say(f"wrote signed certificate {path}")
    if args.report:
        path = result.report(args.report)
        say(f"wrote the owner's report {path} (names real records: do not share it)")
    emit(result.to_json() if args.json else result.summary)
    return for_verdict(result.verdict)


def _fit(message: str, width: int = HELP_WIDTH) -> str:
    """A message's lines wrapped to ``width`` columns (continuations indented), for CI logs."""
    import textwrap

    out = []
    for line in message.splitlines():
        if len(line) <= width:
            out.append(line)
            continue
        lead = " " * (len(line) - len(line.lstrip()))
        out += textwrap.wrap(line.strip(), width, initial_indent=lead,
                             subsequent_indent=lead + "    ", break_on_hyphens=False,
                             break_long_words=False)  # a path stays whole
    return "\n".join(out)


def _progress_mode(quiet: bool) -> str:
    """Bars on a terminal; in a CI log, a plain line at least every 30 s; none with --quiet."""
    if quiet:
        return "off"
    return "bar" if sys.stderr.isatty() else "lines"


def emit(text: str) -> None:
    """Print to stdout; if its reader went away (``| head -3``), stop quietly."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        _quiet_closed_stdout()


SIGNING_OPTIONS = ("sign_key", "sign_cert", "sign_p12", "template")


def _check_outputs(args: argparse.Namespace) -> None:
    """Every output location, and options that need another, before any work."""
    from synthcheck.support.paths import check_output_dir, check_output_file

    if args.out:
        check_output_dir(args.out, "out")
    if getattr(args, "report", None):
        check_output_file(args.report, "report")
    if args.certificate:
        check_output_file(args.certificate, "certificate")
    else:
        given = [name for name in SIGNING_OPTIONS if getattr(args, name, None)]
        if given:
            raise InputError("applies only with --certificate", parameter=given[0])


def _add_records_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "records", help="list the records most at risk in an audit's output (data owner only)",
        description="Read AUDIT_DIR/records.parquet (written by `synthcheck audit --out "
                    "AUDIT_DIR`) and list the records most at risk, with each attack's "
                    "percentile among non-members. For the data owner: with --show-ids it names "
                    "real records.")
    parser.add_argument("audit_dir", metavar="AUDIT_DIR", help="an audit's --out directory")
    parser.add_argument("--top", type=_positive_int, default=20, metavar="N",
                        help="how many records to list (default 20)")
    parser.add_argument("--role", choices=("train", "holdout", "all"), default="train",
                        help="members (train, default), non-members (holdout) or all")
    parser.add_argument("--show-ids", action="store_true",
                        help="name records by id instead of their row in the input file")
    parser.set_defaults(handler=_run_records)


def _run_records(args: argparse.Namespace) -> int:
    import pandas as pd

    from synthcheck.auditing.results_json import UnreadableResults, loads
    from synthcheck.auditing.summary import records_text

    folder = Path(args.audit_dir)
    paths = {name: folder / name for name in ("records.parquet", "results.json")}
    for path in paths.values():
        if not path.is_file():
            raise InputError(f"no {path.name} here: give the --out directory of an audit",
                             source=str(folder))
    try:
        results = loads(paths["results.json"].read_text())
        records = pd.read_parquet(paths["records.parquet"])
        attacks = results.attack_names()
    except (OSError, ValueError, UnreadableResults) as error:
        raise InputError(f"cannot read the audit's output: {error}", source=str(folder)) from None
    emit(records_text(records, attacks, args.top, args.show_ids, args.role))
    return ExitCode.PASS


def _add_report_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "report", help="write the data owner's HTML report of an audit (names real records)",
        description="Read AUDIT_DIR (results.json and records.parquet, written by `synthcheck "
                    "audit --out AUDIT_DIR`) and write one self-contained HTML file: verdict "
                    "and checks, metrics, figures, which columns carry the leak, and the "
                    "records most at risk with why. It names real records: for the data owner, "
                    "not for sharing (the certificate is for sharing).")
    parser.add_argument("audit_dir", metavar="AUDIT_DIR", help="an audit's --out directory")
    parser.add_argument("--out", required=True, metavar="FILE", help="the HTML file to write")
    parser.add_argument("--top", type=_positive_int, default=20, metavar="N",
                        help="how many records most at risk to list (default 20)")
    parser.set_defaults(handler=_run_report)


def _run_report(args: argparse.Namespace) -> int:
    from synthcheck.certificate.owner_report import read_audit_dir, write_report
    from synthcheck.support.paths import check_output_file

    check_output_file(args.out, "out")
    results, records = read_audit_dir(args.audit_dir)
    path = write_report(results, records, args.out, args.top)
    print(f"wrote the owner's report {path} (names real records: do not share it)",
          file=sys.stderr)
    return ExitCode.PASS


def _add_policy_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "policy", help="print the default policy (TOML) to start from",
        description="Print the built-in policy as TOML: the limits every attack is held to, "
                    "alpha and the multiplicity rule. Edit a copy and pass it to `synthcheck "
                    "audit --policy FILE`; `synthcheck verify --require FILE` takes a buyer's "
                    "minimum policy in the same form.")
    parser.set_defaults(handler=lambda args: print(_default_policy_text(), end="") or ExitCode.PASS)


def _default_policy_text() -> str:
    """The built-in policy, then the optional keys it leaves off, commented out: the printed
    text parses to the built-in policy, and a board sees every switch it can set."""
    from synthcheck.verdict.policy import DEFAULT_POLICY_TEXT, EDPB_KEYS, WORST_CASE_KEYS

    lines = ["", "# Optional, off by default (remove the '#' to use; claimed_epsilon is a",
             "# top-level key: move it above [limits]):",
             "# claimed_epsilon = 1.0  # a DP claim the canary audit checks (needs --canaries)",
             "# [worst_case]  # zero tolerance: counts, not statistics"]
    lines += [f"# {key} = 0" for key in WORST_CASE_KEYS]
    lines += ["# [edpb]  # limits on the EDPB risks: (attack - control) / (1 - control)"]
    lines += [f"# {key} = 0.10  # {what}" for key, what in EDPB_KEYS.items()]
    return DEFAULT_POLICY_TEXT + "\n".join(lines) + "\n"


def _add_demo_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "demo", help="the whole flow on bundled data: audit, signed certificate, verify",
        description="Audit bundled UCI Adult slices against a synthetic release fitted with "
                    "SDV's GaussianCopula, issue a signed certificate with a fresh self-signed "
                    "issuer key, and verify it.")
    parser.add_argument("--out", default="synthcheck-demo", metavar="DIR",
                        help="where to write everything (default ./synthcheck-demo)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed for every random choice (release, attacks, shadows; "
                             "default 0)")
    parser.add_argument("--shadows", type=_positive_int, default=8,
                        help="shadow generators for the shadow attack (default 8)")
    parser.set_defaults(handler=_run_demo)


def _run_demo(args: argparse.Namespace) -> int:
    from synthcheck.cli.demo import run_demo

    return run_demo(Path(args.out), seed=args.seed, shadows=args.shadows)


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Help at most 100 columns wide (less on a narrower terminal): prose paragraphs are
    wrapped, indented blocks (examples, tables) are kept as written."""

    def __init__(self, prog: str, **options) -> None:
        import shutil

        options["width"] = min(shutil.get_terminal_size().columns, HELP_WIDTH) - 2
        super().__init__(prog, **options)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        import textwrap

        out = []
        for paragraph in text.split("\n\n"):
            lines = paragraph.splitlines()
            if any(line[:1].isspace() for line in lines) or any(":" == line[-1:] for line in lines):
                out.append("\n".join(indent + line for line in lines))
            else:
                out.append(textwrap.fill(" ".join(lines), width, initial_indent=indent,
                                         subsequent_indent=indent))
        return "\n\n".join(out) + ("\n" if text.endswith("\n") else "")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line (and exit 2) like every other mistake, and
    help is wrapped to the terminal (at most 100 columns)."""

    def __init__(self, *args, **options) -> None:
        options["formatter_class"] = _Formatter
        super().__init__(*args, **options)

    def error(self, message: str):
        self.exit(ExitCode.BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="synthcheck",
        description="Certify how much a synthetic dataset leaks about the real records it was "
                    "made from: membership inference attacks, honest statistics, a signed PDF "
                    "certificate.",
        epilog="start with `synthcheck demo`, then `synthcheck audit --help`.\n\nexit codes:\n"
               + describe(), formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"synthcheck {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    _add_audit_parser(subparsers)
    from synthcheck.cli.certificate_commands import register

    register(subparsers)
    _add_demo_parser(subparsers)
    _add_policy_parser(subparsers)
    _add_records_parser(subparsers)
    _add_report_parser(subparsers)
    _add_schema_parser(subparsers)
    return parser


def _add_schema_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "schema", help="print the JSON Schema of results.json",
        description="Print the JSON Schema (draft 2020-12) that every results.json (and the "
                    "copy embedded in a certificate) follows, for validating it in CI.")
    parser.set_defaults(handler=lambda args: print(results_schema_text(), end="")
                        or ExitCode.PASS)


def results_schema_text() -> str:
    """The results schema shipped inside the package (also in an installed wheel)."""
    from importlib.resources import files

    return files("synthcheck").joinpath("schema", "results.schema.json").read_text("utf-8")


_ASCII = {"✓": "ok", "✗": "X", "–": "-", "—": "-", "ε": "eps", "δ": "delta", "α": "alpha",
          "≤": "<=", "≥": ">=", "×": "x", "→": "->", "…": "...", "±": "+/-", "·": "."}


def _ascii_fallback(error: UnicodeEncodeError) -> tuple[str, int]:
    text = error.object[error.start:error.end]
    return "".join(_ASCII.get(char, "?") for char in text), error.end


def _prepare_console() -> None:
    """Streams that cannot encode ✓ or ε (LANG=C, a cp1252 console) get ASCII stand-ins
    instead of a UnicodeEncodeError."""
    import codecs

    codecs.register_error("synthcheck-ascii", _ascii_fallback)
    for stream in (sys.stdout, sys.stderr):
        encoding = getattr(stream, "encoding", None) or "ascii"
        try:
            "✓ε".encode(encoding)
        except (UnicodeEncodeError, LookupError):
            if hasattr(stream, "reconfigure"):
                stream.reconfigure(errors="synthcheck-ascii")


def _quiet_closed_stdout() -> None:
    """The reader of our stdout went away (``| head``): stop writing, without a traceback."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def main(argv: Sequence[str] | None = None) -> int:
    _prepare_console()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return ExitCode.BAD_INPUT
    try:
        code = int(args.handler(args))
        sys.stdout.flush()
        return code
    except InputError as error:
        print(f"synthcheck: error: {error.one_line(option=True)}", file=sys.stderr)
        return ExitCode.BAD_INPUT
    except BrokenPipeError:
        _quiet_closed_stdout()
        return ExitCode.PIPE_CLOSED
    except KeyboardInterrupt:
        print("synthcheck: interrupted", file=sys.stderr)
        return ExitCode.INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
