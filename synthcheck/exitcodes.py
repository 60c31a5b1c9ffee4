"""The exit codes of every ``synthcheck`` command, defined once.

A CI gate reads them: 0 lets a release through; 1 is a finding (leakage beyond the policy, or a
certificate that does not verify); 2 is a mistake in what was given; 3 means the audit could not
measure what the policy asks (too few records), which is neither a pass nor a leak.
Add a code here, with its line in ``TABLE``; the README and ``--help`` show ``TABLE``.
"""
from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    PASS = 0  # verdict PASS; certificate valid; command done
    FAIL = 1  # verdict FAIL; certificate invalid
    BAD_INPUT = 2  # a user mistake: one line on stderr naming the file, column or option
    INCONCLUSIVE = 3  # verdict INCONCLUSIVE: too few records to measure what the policy asks
    UNTRUSTED = 4  # verify: every check holds, but no --trust anchor vouches for the issuer
    INTERRUPTED = 130  # Ctrl-C
    PIPE_CLOSED = 141  # stdout's reader went away before a command other than audit finished


TABLE = (
    (ExitCode.PASS, "PASS (audit), valid (verify), done (other commands)"),
    (ExitCode.FAIL, "FAIL (audit), invalid (verify)"),
    (ExitCode.BAD_INPUT, "bad input: a file, column, option or policy to fix (one line on stderr)"),
    (ExitCode.INCONCLUSIVE, "INCONCLUSIVE (audit): too few records to measure what the policy asks"),
    (ExitCode.UNTRUSTED, "UNTRUSTED (verify): the certificate is intact and consistent, but no "
                         "--trust anchor vouches for its issuer (anyone can make a key)"),
)


def for_verdict(verdict: str) -> ExitCode:
    return {"PASS": ExitCode.PASS, "FAIL": ExitCode.FAIL,
            "INCONCLUSIVE": ExitCode.INCONCLUSIVE}[verdict]


def describe(indent: str = "  ", width: int = 96) -> str:
    """The table as help text, wrapped to ``width`` columns."""
    import textwrap

    return "\n".join(textwrap.fill(meaning, width, initial_indent=f"{indent}{int(code)}  ",
                                    subsequent_indent=indent + "   ")
                      for code, meaning in TABLE)
