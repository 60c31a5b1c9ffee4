"""The outcome of a verdict or of one of its checks, and one check of the policy as decided.

Below the policy in the package order, so the policy builds these and every reader (the
results, the summary, the certificate, verify) gets the same typed values.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from synthcheck.support.codec import named, section


class Outcome(str, enum.Enum):
    """A verdict, or the outcome of one check. A ``str`` enum: ``Outcome.PASS == "PASS"``."""

    PASS = "PASS"
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"

    def __str__(self) -> str:
        return self.value

    @classmethod
    def combine(cls, outcomes) -> Outcome:
        """FAIL if any check FAILs, else INCONCLUSIVE if any is, else PASS."""
        found = set(outcomes)
        return cls.FAIL if cls.FAIL in found else (
            cls.INCONCLUSIVE if cls.INCONCLUSIVE in found else cls.PASS)


class Side(str, enum.Enum):
    """Which way a one-sided bound holds: the figure is at least (LOWER) or at most (UPPER)
    the bound; P_VALUE: the bound is a p-value compared with the check's share of alpha; COUNT:
    the bound is a count of records compared with the count the policy tolerates."""

    LOWER = "lower"
    UPPER = "upper"
    P_VALUE = "p-value"
    COUNT = "count"  # the bound is an exact count against a tolerated count (no alpha)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class PolicyCheck:
    """One check of the policy: ``figure`` of ``subject`` (an attack, or a copy check's
    subject) against ``limit``. ``bound`` is the one-sided bound that decided it, on ``side``
    at ``level``; None where it cannot be measured. ``reason`` is the sentence people read."""

    check: str
    subject: str = named("attack")
    limit: float
    bound: float | None
    outcome: Outcome
    reason: str
    level: float | None = section()  # documents before schema 1.1 do not record it
    figure: str | None = section()
    side: Side | None = section()
    #: what limits the decision of an INCONCLUSIVE check: "holdout", "max_candidates", "level"
    limited_by: str | None = section()


@dataclass(frozen=True)
class CannotFail:
    """A limit no attack could FAIL at this audit's size, level and δ: even a perfect attack
    (every member scored above every non-member) would show at most ``ceiling`` of ``figure``
    at ``level``, not above ``limit``. Said before the audit runs, in the summary and on the
    certificate; such a check's PASS means nothing about the release."""

    check: str
    figure: str
    limit: float
    ceiling: float
    level: float
    reason: str
