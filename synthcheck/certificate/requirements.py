"""A buyer's requirements on a certificate: what audit it accepts, checked by ``verify``.

A signature proves who issued the numbers; it does not say the audit was one the buyer would
accept (a vendor may choose a lenient policy, a weak attack set or a small sample). A
requirements file states the buyer's terms once, for a CI gate (``verify --require FILE``)::

    verdicts = ["PASS"]              # accepted verdicts
    attacks = ["dcr", "dcr-ratio", "density-ratio", "exact-copy"]   # must all have run
    min_records_scored = 1000        # members + non-members scored
    max_age_days = 365               # from the audit's run date to today

    [policy]                         # every limit at least as strict as these, alpha at most
    alpha = 0.05
    [policy.limits]
    max_auc = 0.60
    max_tpr_at_fpr_1pct = 0.05
    max_epsilon = 1.0

Every key is optional; an unknown key is refused. ``--require-verdict PASS`` alone is the
``verdicts`` line.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthcheck.errors import InputError

VERDICTS = ("PASS", "FAIL", "INCONCLUSIVE")
KEYS = ("verdicts", "attacks", "min_records_scored", "max_age_days", "policy")
POLICY_KEYS = ("alpha", "limits")


@dataclass(frozen=True)
class Requirements:
    """The buyer's terms; None (or empty) for a term not stated."""

    verdicts: tuple[str, ...] = ()
    attacks: tuple[str, ...] = ()
    min_records_scored: int | None = None
    max_age_days: float | None = None
    max_alpha: float | None = None
    limits: dict[str, float] = field(default_factory=dict)
    source: str = "--require-verdict"

    def first_unmet(self, results: Any, now: dt.datetime | None = None) -> str | None:
        """The first requirement ``results`` (an ``AuditResults``) does not meet, in words,
        or None when it meets them all."""
        verdict = getattr(results.verdict, "value", results.verdict)
        if self.verdicts and verdict not in self.verdicts:
            return f"verdict {verdict} is not one of the accepted {', '.join(self.verdicts)}"
        missing = [name for name in self.attacks if name not in results.attacks]
        if missing:
            return (f"attack {missing[0]} did not run (the certificate's attacks: "
                    f"{', '.join(results.attacks)})")
        scored = results.counts.members + results.counts.non_members
        if self.min_records_scored is not None and scored < self.min_records_scored:
            return f"{scored} records scored, fewer than the required {self.min_records_scored}"
        if self.max_age_days is not None:
            created = dt.datetime.strptime(results.created, "%Y-%m-%dT%H:%M:%SZ").replace(
                tzinfo=dt.timezone.utc)
            age = ((now or dt.datetime.now(dt.timezone.utc)) - created).total_seconds() / 86400
            if age > self.max_age_days:
                return (f"the audit ran {age:.0f} days ago ({results.created}), more than the "
                        f"accepted {self.max_age_days:g}")
        policy = results.policy
        if self.max_alpha is not None and policy.alpha > self.max_alpha:
            return f"the policy's alpha {policy.alpha:g} is above the accepted {self.max_alpha:g}"
        for name, ceiling in self.limits.items():
            limit = policy.limits.get(name)
            if limit is None:
                return f"the policy has no {name} limit (required: at most {ceiling:g})"
            if limit > ceiling:
                return f"the policy's {name} = {limit:g} is less strict than the required {ceiling:g}"
        return None


def parse_verdicts(text: str) -> tuple[str, ...]:
    """``PASS`` or ``PASS,INCONCLUSIVE`` (any case) as a tuple; InputError otherwise."""
    verdicts = tuple(v.strip().upper() for v in text.split(",") if v.strip())
    wrong = [v for v in verdicts if v not in VERDICTS]
    if not verdicts or wrong:
        raise InputError(f"must be one or more of {', '.join(VERDICTS)} (comma-separated), got "
                         f"'{text}'", parameter="require_verdict")
    return verdicts


def load_requirements(path: str | Path) -> Requirements:
    """Read and check a requirements TOML file (module docstring); InputError naming the file
    and the key for anything wrong."""
    from synthcheck.verdict.policy import CHECKS, tomllib

    source = str(path)
    try:
        document = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("requirements file does not exist", source=source) from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read the requirements file: {error}", source=source) from None
    except tomllib.TOMLDecodeError as error:
        raise InputError(f"requirements are not valid TOML: {error}", source=source) from None

    def wrong(key: str, what: str) -> InputError:
        return InputError(f"'{key}' must be {what}", source=source)

    unknown = [k for k in document if k not in KEYS]
    if unknown:
        raise InputError(f"unknown key '{unknown[0]}'; known: {', '.join(KEYS)}", source=source)
    verdicts = document.get("verdicts", [])
    if not isinstance(verdicts, list) or any(v not in VERDICTS for v in verdicts):
        raise wrong("verdicts", f"a list of {', '.join(VERDICTS)}")
    attacks = document.get("attacks", [])
    if not isinstance(attacks, list) or not all(isinstance(a, str) for a in attacks):
        raise wrong("attacks", "a list of attack names")
    records = document.get("min_records_scored")
    if records is not None and (not isinstance(records, int) or isinstance(records, bool)
                                or records < 0):
        raise wrong("min_records_scored", "a whole number >= 0")
    age = document.get("max_age_days")
    if age is not None and (not isinstance(age, (int, float)) or isinstance(age, bool) or age < 0):
        raise wrong("max_age_days", "a number of days >= 0")
    policy = document.get("policy", {})
    if not isinstance(policy, dict):
        raise wrong("policy", "a table")
    unknown = [k for k in policy if k not in POLICY_KEYS]
    if unknown:
        raise InputError(f"unknown key 'policy.{unknown[0]}'; known: alpha, limits",
                         source=source)
    alpha = policy.get("alpha")
    if alpha is not None and (not isinstance(alpha, (int, float)) or not 0 < alpha <= 0.5):
        raise wrong("policy.alpha", "a number in (0, 0.5]")
    limits = policy.get("limits", {})
    if not isinstance(limits, dict):
        raise wrong("policy.limits", "a table")
    for name, value in limits.items():
        if name not in CHECKS:
            raise InputError(f"unknown limit 'policy.limits.{name}'; known: {', '.join(CHECKS)}",
                             source=source)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise wrong(f"policy.limits.{name}", "a number")
    return Requirements(verdicts=tuple(verdicts), attacks=tuple(attacks),
                        min_records_scored=records, max_age_days=age, max_alpha=alpha,
                        limits={k: float(v) for k, v in limits.items()}, source=source)
