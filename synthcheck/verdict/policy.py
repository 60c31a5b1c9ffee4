"""Policies (TOML) and the verdict they give on an audit's results.

Each limit is a check on every attack, read through one-sided confidence bounds:

- FAIL when a lower bound lies above its limit. The false-FAIL rate of the whole verdict is
  ``alpha`` (family-wise): it is shared among the families of checks in ``ALPHA_SHARES`` (the
  only place that does so) and, within a family, equally among its checks (weighted Bonferroni,
  sound however the checks depend on each other). Holm's step-down would not change the verdict:
  it FAILs exactly when the smallest p-value is below its Bonferroni share.
- PASS when every upper bound lies at or below its limit, each at 1 - alpha. PASS needs *all*
  checks to pass, an intersection-union test (Berger 1982): a release beyond any one limit
  PASSes only if that check's upper bound misses, probability <= alpha, however many checks
  there are, so this side needs no multiplicity adjustment (adjusting it would only make honest
  releases INCONCLUSIVE).
- INCONCLUSIVE otherwise; the reason says how likely a release without leakage is to pass that
  check at this size and from how many holdout records it would 95 % of the time.

See docs/statistics.md.
"""
from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from synthcheck.errors import InputError
from synthcheck.measure import stats
from synthcheck.measure.attack_results import FLAG_FPR
from synthcheck.support import formatting as fmt
from synthcheck.verdict.outcome import CannotFail, Outcome, PolicyCheck, Side

DEFAULT_POLICY_TEXT = """\
# synthcheck default policy. Every limit applies to every attack.
name = "default"
alpha = 0.05               # chance that a clean release is wrongly FAILed (family-wise)
multiplicity = "bonferroni"
tail = true                # FAIL on more members than chance at FPR 0.1 % (own alpha share)

[limits]
max_auc = 0.60             # ROC AUC (0.5 = guessing)
max_tpr_at_fpr_1pct = 0.05 # members caught at 1 % false alarms (1 % = guessing)
max_epsilon = 1.0          # empirical lower bound on the DP epsilon (one-run audit)
"""

# limit key -> (metric in results, FPR target for TPR limits, human name)
CHECKS = {
    "max_auc": ("auc", None, "AUC"),
    "max_tpr_at_fpr_10pct": ("tpr", 0.1, "TPR at FPR 10 %"),
    "max_tpr_at_fpr_1pct": ("tpr", 0.01, "TPR at FPR 1 %"),
    "max_tpr_at_fpr_0_1pct": ("tpr", 0.001, "TPR at FPR 0.1 %"),
    "max_epsilon": ("epsilon", None, "epsilon lower bound"),
}

# How the family-wise alpha is shared among the families of checks: the one place that says so.
# Each family present in an audit gets its weight's share of alpha (weights of absent families
# are not spent), split equally among its checks. "attacks": every limit on every attack the
# limits read; "copied_rows": the exact-copy test (one check); "copied_values": one exact-value
# test per column left out of the distances (excluded columns, the id column). A copy check's
# family is its ``CopyCheck.check``. The rows test needs a real share of its own: five verbatim
# train rows against none (1,500 each) give p = 0.0098 (synthcheck.measure.copies), under 0.015 here.
# "tail": one check per attack the limits read, members flagged at FPR 0.1 % against chance
# (issue 16: 30 near-copied members of 1,500 stay under every rate limit but are 15 times what
# chance flags there). Adding it moved the rows test's share from 0.015 to 0.0125 (0.0136
# without value checks), still above that 0.0098.
# "edpb": one check per EDPB risk a [edpb] limit reads (singling out, linkability, inference of
# each secret column), present only when the policy sets such limits. "canary": the claimed-ε
# check of a canary audit (one check).
ALPHA_SHARES = {"attacks": 3.0, "copied_rows": 1.5, "copied_values": 0.5, "tail": 1.0,
                "edpb": 1.0, "canary": 1.0}

#: the canary audit's check of a DP claim (``claimed_epsilon``)
CANARY_CHECK = "claimed_epsilon"

#: the tail check's key in results (``PolicyCheck.check``) and its figure
TAIL_CHECK = "tail"
TAIL_FIGURE = "tail"  # members flagged at FPR 0.1 %, against chance

# A check is called decidable at n records when a release without leakage PASSes it with this
# probability; INCONCLUSIVE reasons give the n that reaches it.
DECIDABLE_POWER = 0.95


@dataclass
class Policy:
    name: str
    limits: dict[str, float]
    alpha: float = 0.05
    multiplicity: str = "bonferroni"
    text: str = ""
    source: str | None = None
    extra: dict = field(default_factory=dict)
    worst_case: dict[str, int] = field(default_factory=dict)  # WORST_CASE_KEYS: tolerated counts
    tail: bool = True  # the tail check (TAIL_CHECK) on every attack the limits read
    edpb: dict[str, float] = field(default_factory=dict)  # EDPB_KEYS: limits on the risks
    claimed_epsilon: float | None = None  # the DP claim a canary audit checks (CANARY_CHECK)

    def checks_per_attack(self) -> int:
        return len(self.limits)

    def family_alpha(self, family: str, families: dict[str, int]) -> float:
        """The false-FAIL budget of each check in ``family``, given how many checks each family
        present in the audit has (families with no checks spend nothing)."""
        present = {name: count for name, count in families.items() if count > 0}
        if family not in present:
            raise ValueError(f"family {family!r} has no checks")
        unknown = set(present) - set(ALPHA_SHARES)
        if unknown:
            raise ValueError(f"no alpha share for the check families {sorted(unknown)}")
        total = sum(ALPHA_SHARES[name] for name in present)
        return self.alpha * ALPHA_SHARES[family] / total / present[family]

    def pass_level(self) -> float:
        """The level of the upper bounds a PASS reads (intersection-union: unadjusted)."""
        return 1.0 - self.alpha

    def adjusted_confidence(self, attacks: int, copy_checks: dict[str, int] | None = None
                            ) -> float:
        """The one-sided level of every attack lower bound a FAIL reads; ``copy_checks``: how
        many checks each copy family has."""
        families = dict(copy_checks or {}) | {"attacks": max(1, attacks * self.checks_per_attack())}
        return 1.0 - self.family_alpha("attacks", families)

    def describe(self) -> dict:
        described = {"name": self.name, "source": self.source, "limits": dict(self.limits),
                     "alpha": self.alpha, "multiplicity": self.multiplicity, "text": self.text}
        if self.worst_case:
            described["worst_case"] = dict(self.worst_case)
        if not self.tail:  # recorded only when switched off (the default is on)
            described["tail"] = False
        if self.edpb:
            described["edpb"] = dict(self.edpb)
        if self.claimed_epsilon is not None:
            described["claimed_epsilon"] = self.claimed_epsilon
        return described


# What a policy may say: every other key, at any level, is refused (a typo must not leave a
# limit at its default). A new family of checks adds its keys here and its limits to CHECKS.
POLICY_KEYS = ("name", "alpha", "multiplicity", "limits", "worst_case", "tail", "edpb",
               "claimed_epsilon")
# [worst_case]: zero-tolerance counts, not statistics (no share of alpha). A board that will not
# release a table holding even one member's whole record that no other real record in the
# audit shares sets max_unique_rows_copied = 0. Off by default: a release of other real records
# can hold such a row when the population has its twin outside the audit (narrow tables).
WORST_CASE_KEYS = {"max_unique_rows_copied": "member records that no other real record "
                                             "shares, copied verbatim into the release"}
# [edpb]: limits on the EDPB risks (synthcheck.edpb: risk = (attack - control) / (1 - control),
# the holdout the control), each read like an attack's limit: FAIL when the risk's one-sided
# lower bound exceeds it (at the "edpb" family's share of alpha), PASS when its upper bound at
# 1 - alpha is within it. Off by default: a release's EDPB risks are reported whatever the policy.
EDPB_KEYS = {"max_singling_out_risk": "singling out",
             "max_linkability_risk": "linkability",
             "max_inference_risk": "inference (each secret column)"}
ALPHA_RANGE = (0.0, 0.5)  # (exclusive, inclusive): the family-wise false-FAIL rate
LIMIT_RANGES = {"auc": (0.0, 1.0), "tpr": (0.0, 1.0), "epsilon": (0.0, math.inf)}  # inclusive


def parse_policy(text: str | dict, source: str | None = None) -> Policy:
    """A policy from TOML text (or, from Python, a dict of the same shape), every key known
    and every limit in its range; ``InputError`` naming the key and ``source`` otherwise."""
    if isinstance(text, dict):
        document, text = text, policy_toml(text)
    else:
        try:
            document = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise InputError(f"policy is not valid TOML: {error}", source=source) from None
    unknown = [k for k in document if k not in POLICY_KEYS]
    if unknown:
        raise InputError(f"unknown policy key '{unknown[0]}'; known: {', '.join(POLICY_KEYS)}",
                         source=source)
    if "limits" not in document:
        raise InputError("policy has no [limits] table", source=source)
    limits = document["limits"]
    if not isinstance(limits, dict):
        raise InputError("[limits] must be a table of limits", source=source)
    if not limits:
        raise InputError(f"the [limits] table is empty: a policy needs at least one limit "
                         f"({', '.join(CHECKS)}; see `synthcheck policy`)", source=source)
    unknown = [k for k in limits if k not in CHECKS]
    if unknown:
        raise InputError(f"unknown limit '{unknown[0]}' in [limits]; known: {', '.join(CHECKS)}",
                         source=source)
    for key, value in limits.items():
        _check_limit(key, value, source)
    worst_case = _worst_case(document.get("worst_case", {}), source)
    edpb = _edpb_limits(document.get("edpb", {}), source)
    alpha = document.get("alpha", 0.05)
    low, high = ALPHA_RANGE
    if not _is_number(alpha) or not low < alpha <= high:
        raise InputError(f"alpha must be a number in ({low:g}, {high:g}] (the chance that a clean "
                         f"release FAILs), got {alpha!r}", source=source)
    multiplicity = document.get("multiplicity", "bonferroni")
    if multiplicity != "bonferroni":
        raise InputError(f"multiplicity must be 'bonferroni', got {multiplicity!r}", source=source)
    claimed = document.get("claimed_epsilon")
    if claimed is not None and (not _is_number(claimed) or claimed <= 0):
        raise InputError(f"claimed_epsilon must be a number above 0 (the ε the generator is "
                         f"claimed to satisfy), got {claimed!r}", source=source)
    tail = document.get("tail", True)
    if not isinstance(tail, bool):
        raise InputError(f"tail must be true or false (the check of members flagged at FPR "
                         f"0.1 % against chance), got {tail!r}", source=source)
    name = document.get("name", Path(source).stem if source and not source.startswith("<")
                        else "custom")
    if not isinstance(name, str):
        raise InputError(f"name must be a string, got {name!r}", source=source)
    return Policy(name=name, limits={k: float(v) for k, v in limits.items()}, alpha=float(alpha),
                  multiplicity=multiplicity, text=text, source=source, worst_case=worst_case,
                  tail=tail, edpb=edpb,
                  claimed_epsilon=None if claimed is None else float(claimed))


def _worst_case(table, source: str | None) -> dict[str, int]:
    if not isinstance(table, dict):
        raise InputError("worst_case must be a table ([worst_case])", source=source)
    for key, value in table.items():
        if key not in WORST_CASE_KEYS:
            raise InputError(f"unknown key '{key}' in [worst_case]; known: "
                             f"{', '.join(WORST_CASE_KEYS)}", source=source)
        if not _is_number(value) or value < 0 or not float(value).is_integer():
            raise InputError(f"worst_case '{key}' must be a whole number >= 0 (a count of "
                             f"records), got {value!r}", source=source)
    return {key: int(value) for key, value in table.items()}


def _edpb_limits(table, source: str | None) -> dict[str, float]:
    if not isinstance(table, dict):
        raise InputError("edpb must be a table ([edpb])", source=source)
    for key, value in table.items():
        if key not in EDPB_KEYS:
            raise InputError(f"unknown key '{key}' in [edpb]; known: {', '.join(EDPB_KEYS)}",
                             source=source)
        if not _is_number(value) or not 0.0 <= value <= 1.0:
            hint = f" (a fraction: {value:g} % is {value / 100:g})" if _is_number(value) \
                and 1 < value <= 100 else ""
            raise InputError(f"edpb limit '{key}' must be a risk in [0, 1], got {value!r}{hint}",
                             source=source)
    return {key: float(value) for key, value in table.items()}


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not math.isnan(value)


def _check_limit(key: str, value, source: str | None) -> None:
    if not _is_number(value):
        raise InputError(f"limit '{key}' must be a number, got {value!r}", source=source)
    low, high = LIMIT_RANGES.get(CHECKS[key][0], (0.0, 1.0))
    if low <= value <= high:
        return
    if math.isinf(high):
        raise InputError(f"limit '{key}' must be at least {low:g}, got {value:g}", source=source)
    hint = (f" (a fraction: {value:g} % is {value / 100:g})"
            if high == 1.0 and 1 < value <= 100 else "")
    raise InputError(f"limit '{key}' must be in [{low:g}, {high:g}], got {value:g}{hint}",
                     source=source)


def policy_toml(document: dict) -> str:
    """TOML text for a policy given as a dict (recorded in results.json and the certificate)."""
    def value(item) -> str:
        return json.dumps(item) if isinstance(item, (str, bool)) or item is None else repr(item)

    top = [f"{k} = {value(v)}" for k, v in document.items() if not isinstance(v, dict)]
    tables = [f"\n[{k}]\n" + "\n".join(f"{key} = {value(v)}" for key, v in table.items())
              for k, table in document.items() if isinstance(table, dict)]
    return "\n".join(top) + "".join(tables) + "\n"


def default_policy() -> Policy:
    return parse_policy(DEFAULT_POLICY_TEXT, source="built-in")


def load_policy(path: str | Path | None) -> Policy:
    if path is None:
        return default_policy()
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        raise InputError("policy file does not exist", source=str(path)) from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read policy: {error}", source=str(path)) from None
    return parse_policy(text, source=str(path))


def records_needed(limit_key: str, limit: float, level: float) -> int | None:
    """Holdout records (with as many members) at which a release without leakage PASSes this
    check with probability ``DECIDABLE_POWER``; None for the epsilon check, which a release
    without leakage always passes (its bound is a lower bound), or when no size would do."""
    metric, fpr, _ = CHECKS[limit_key]
    if metric == "auc":
        return stats.records_needed(lambda n: stats.clean_pass_probability_auc(n, n, limit, level),
                                    DECIDABLE_POWER)
    if metric == "tpr":
        return stats.records_needed(
            lambda n: stats.clean_pass_probability_tpr(n, n, fpr, limit, level), DECIDABLE_POWER)
    return None


@dataclass(frozen=True)
class CopyCheck:
    """One copy test (``check``, its family in ``ALPHA_SHARES``: "copied_rows" for exact
    copies of train rows, "copied_values" for exact values of excluded columns): it FAILs when ``p_value`` (one-sided, "members are copied more than non-members
    explain") is at most the check's share of alpha, and PASSes otherwise. ``statement`` says
    what was counted, in counts only (never a record's values)."""

    check: str
    subject: str
    p_value: float
    statement: str
    limit: float = 0.0


def copy_checks(copies: dict | None) -> tuple[CopyCheck, ...]:
    """The verdict's copy checks from a results "copies" block: the rows
    check ("copied_rows") and one per column whose values were compared ("copied_values")."""
    if not copies:
        return ()

    def counted(entry: dict) -> str:
        return (f"{entry['members_found']} of {entry['members']} members vs "
                f"{entry['non_members_found']} of {entry['non_members']} non-members")

    checks = []
    rows = copies.get("rows")
    if rows is not None and rows.get("p_value") is not None:
        checks.append(CopyCheck("copied_rows", "exact-copy", rows["p_value"],
                                f"{counted(rows)} have their row verbatim in the release"))
    for column, entry in copies.get("columns", {}).items():
        if entry.get("p_value") is not None:
            checks.append(CopyCheck("copied_values", f"column '{column}'", entry["p_value"],
                                    f"values of {counted(entry)} found verbatim in the release"))
    return tuple(checks)


@dataclass(frozen=True)
class Verdict:
    """PASS, FAIL or INCONCLUSIVE, one ``PolicyCheck`` per check, and the one-sided levels at
    which the attacks' lower bounds (``level``, multiplicity-adjusted) and upper bounds
    (``pass_level``) were read."""

    outcome: Outcome
    reasons: tuple[PolicyCheck, ...]
    level: float
    pass_level: float
    cannot_fail: tuple[CannotFail, ...] = ()


def _attack_check(limit_key: str, limit: float, attack: str, result, level: float,
                  pass_level: float, holdout_available: int | None = None) -> PolicyCheck:
    """One limit on one attack (an ``AttackResult``): its lower bound at ``level`` for FAIL,
    its upper bound at ``pass_level`` for PASS. Reasons give rates in percent and name the
    bound's side and level; an INCONCLUSIVE one says what limits the decision."""
    metric, fpr, label = CHECKS[limit_key]
    check = partial(PolicyCheck, check=limit_key, subject=attack, limit=limit, figure=label)
    shown, limit_text = partial(fmt.figure, metric), fmt.figure(metric, limit)
    if metric == "epsilon":
        value = result.epsilon(level)
        fails = value > limit
        return check(bound=value, level=level, side=Side.LOWER,
                     outcome=Outcome.FAIL if fails else Outcome.PASS,
                     reason=f"{attack}: {label} {shown(value)} (at {fmt.level(level)}) "
                            + (f"exceeds the limit {limit_text}" if fails
                               else f"is within the limit {limit_text}"))
    if metric == "auc":
        estimate = result.auc().value
        low, high = result.auc_bounds(level).low, result.auc_bounds(pass_level).high
    else:
        estimate = result.tpr_bounds(fpr, level).value
        low, high = result.tpr_bounds(fpr, level).low, result.tpr_bounds(fpr, pass_level).high
    if low > limit:
        return check(bound=low, level=level, side=Side.LOWER, outcome=Outcome.FAIL,
                     reason=f"{attack}: {label} is at least {shown(low)} (one-sided "
                            f"{fmt.level(level)} lower bound), above the limit {limit_text}")
    if high <= limit:
        return check(bound=high, level=pass_level, side=Side.UPPER, outcome=Outcome.PASS,
                     reason=f"{attack}: {label} is at most {shown(high)} (one-sided "
                            f"{fmt.level(pass_level)} upper bound), within the limit "
                            f"{limit_text}")
    limited_by, why = _what_limits(limit_key, limit, result, estimate, low, high, level,
                                   pass_level, holdout_available)
    return check(bound=high, level=pass_level, side=Side.UPPER, outcome=Outcome.INCONCLUSIVE,
                 limited_by=limited_by,
                 reason=f"{attack}: {label} between {shown(low)} and {shown(high)} (one-sided "
                        f"bounds at {fmt.level(level)} and {fmt.level(pass_level)}) straddles "
                        f"the limit {limit_text}; {why}")


def _two_digits_up(count: int) -> int:
    """``count`` rounded up to two significant digits (19,256 -> 20,000): a rough figure."""
    step = 10 ** max(len(str(count)) - 2, 0)
    return -(-count // step) * step


def _what_limits(limit_key: str, limit: float, result, estimate: float, low: float,
                 high: float, level: float, pass_level: float,
                 holdout_available: int | None) -> tuple[str, str]:
    """What keeps a straddling check from a decision, in words: too few holdout records for a
    release without leakage to PASS ("holdout"), the candidate sample (``--max-candidates``)
    when the whole holdout would do ("max_candidates"), or, when the records scored would
    suffice, a measured figure so close to the limit that the policy's levels leave it
    undecided ("level"). Never asks for fewer records than were scored."""
    metric, fpr, _ = CHECKS[limit_key]
    members, scored = result.members.size, result.non_members.size
    if metric == "auc":
        here = stats.clean_pass_probability_auc(members, scored, limit, pass_level)
    else:
        here = stats.clean_pass_probability_tpr(members, scored, fpr, limit, pass_level)
    needed = records_needed(limit_key, limit, pass_level)
    chance = f"without leakage this check PASSes {fmt.percent(here, 0)} of the time"
    if needed is not None and needed > scored:
        if holdout_available is not None and holdout_available > scored:
            more = (f"95 % from about {needed:,}" if holdout_available >= needed else
                    f"95 % from about {needed:,}, more than the whole holdout")
            return "max_candidates", (f"limited by --max-candidates: {scored:,} of "
                                      f"{holdout_available:,} holdout records scored; {chance} "
                                      f"at this size, {more} (leave out --max-candidates)")
        return "holdout", (f"limited by the holdout size: {chance} with {scored:,} holdout "
                           f"records, 95 % from about {needed:,} (and as many members)")
    shown = fmt.figure(metric, estimate)
    if math.isnan(estimate) or estimate == limit:
        more = "no number of records is sure to decide it"
    else:
        spread = (high - estimate) if estimate < limit else (estimate - low)
        wanted = math.ceil(scored * (spread / abs(limit - estimate)) ** 2)
        more = (f"about {_two_digits_up(max(wanted, scored + 1)):,} holdout records (and as "
                "many members) would decide it at this rate")
    return "level", (f"the measured {shown} is close to the limit for the policy's levels "
                     f"({chance} at this size); {more}")


def _said_cannot_fail(check: PolicyCheck, unfailable: CannotFail | None) -> PolicyCheck:
    """A check the policy could not FAIL at this size says so in its reason."""
    if unfailable is None or check.outcome is Outcome.FAIL:
        return check
    metric = CHECKS[check.check][0]
    shown = fmt.figure(metric, unfailable.ceiling)
    return replace(check, reason=f"{check.reason}; it cannot FAIL at this size (a perfect attack "
                                 f"would show at most {shown} at this level)")


def _with_finding(check: PolicyCheck, finding: str | None) -> PolicyCheck:
    """A FAILed limit's reason, with the attack's plain sentence on what it found."""
    if finding and check.outcome is Outcome.FAIL:
        return replace(check, reason=f"{check.reason}: {finding}")
    return check


def _worst_case_check(key: str, tolerated: int, unique_rows: dict) -> PolicyCheck:
    """A zero-tolerance count (``WORST_CASE_KEYS``): FAIL when more members' records that no
    other real record shares are in the release verbatim than the policy tolerates."""
    copied = int(unique_rows["members_found"])
    one = copied == 1
    return PolicyCheck(check=key, subject="exact copies", limit=float(tolerated),
                       bound=float(copied), level=1.0, side=Side.COUNT,
                       figure="member records no other real record shares, copied",
                       outcome=Outcome.FAIL if copied > tolerated else Outcome.PASS,
                       reason=f"exact copies: {copied:,} member record{'' if one else 's'} that "
                              f"no other real record shares {'is' if one else 'are'} in the "
                              f"release verbatim; the policy tolerates {tolerated:,}")


def _copy_check(check: CopyCheck, alpha: float) -> PolicyCheck:
    fails = check.p_value <= alpha
    relation = "at most" if fails else "above"
    return PolicyCheck(check=check.check, subject=check.subject, limit=check.limit,
                       bound=check.p_value, level=1.0 - alpha,
                       outcome=Outcome.FAIL if fails else Outcome.PASS,
                       figure="p-value of the copy test", side=Side.P_VALUE,
                       reason=f"{check.subject}: {check.statement}; {fmt.p_value(check.p_value)}"
                              f", {relation} its share of alpha {alpha:.3g}")


def perfect_bound(limit_key: str, members: int, non_members: int, level: float,
                  delta: float | None) -> float:
    """The most a perfect attack (every member above every non-member) could show of a limit's
    figure as the verdict reads it for a FAIL: its lower bound at ``level``."""
    metric, fpr, _ = CHECKS[limit_key]
    if metric == "epsilon":
        return stats.epsilon_ceiling(members, non_members, delta, level)
    high, low = [1.0] * members, [0.0] * non_members
    if metric == "auc":
        return float(stats.roc_auc(high, low, 2.0 * level - 1.0).low)
    return float(stats.tpr_lower_bound(high, low, fpr, level))


def cannot_fail(policy: Policy, members: int, non_members: int, level: float,
                delta: float | None) -> tuple[CannotFail, ...]:
    """The policy's limits that no attack could FAIL with ``members`` and ``non_members`` at
    the FAIL ``level`` and ``delta`` (None: the one-run default): a perfect attack's lower
    bound would not exceed them."""
    found = []
    if members < 1 or non_members < 1:
        return ()
    for key, limit in policy.limits.items():
        metric, _, label = CHECKS[key]
        ceiling = perfect_bound(key, members, non_members, level, delta)
        if ceiling > limit:
            continue
        shown = fmt.figure(metric, ceiling)
        at = f"ε ≥ {shown}" if metric == "epsilon" else shown
        delta_text = ""
        if metric == "epsilon":
            used = delta if delta is not None else stats.default_delta(
                stats.one_run_candidates(members, non_members))
            delta_text = f", δ = {used:.2g}"
        found.append(CannotFail(
            check=key, figure=label, limit=limit, ceiling=ceiling, level=level,
            reason=f"{label} cannot FAIL here: with {members:,} members, {non_members:,} "
                   f"non-members{delta_text} and the verdict's level {fmt.level(level)}, even "
                   f"a perfect attack would show at most {at}, not above the limit "
                   f"{fmt.figure(metric, limit)}; its PASS says nothing about the release"))
    return tuple(found)


def attack_families(policy: Policy, attacks: int, copy_counts: dict[str, int] | None = None,
                    tails: int = 0) -> dict[str, int]:
    """Checks per family (``ALPHA_SHARES``) for ``attacks`` attacks read by the limits, the
    copy checks counted in ``copy_counts`` and ``tails`` tail checks."""
    families = {"attacks": attacks * len(policy.limits), TAIL_CHECK: tails}
    for family, count in (copy_counts or {}).items():
        families[family] = families.get(family, 0) + count
    return families


def expected_cannot_fail(policy: Policy, members: int, non_members: int, attacks: int,
                         copy_counts: dict[str, int], delta: float | None
                         ) -> tuple[CannotFail, ...]:
    """``cannot_fail`` before the audit runs, from the number of attacks the limits will read
    and the copy checks expected (the verdict recomputes it with the checks it has)."""
    tails = attacks if policy.tail and tail_measurable(non_members) else 0
    families = attack_families(policy, attacks, copy_counts, tails)
    if not families["attacks"]:
        return ()
    return cannot_fail(policy, members, non_members, 1.0 - policy.family_alpha("attacks", families),
                       delta)


def tail_measurable(non_members: int) -> bool:
    """Whether FPR 0.1 % (the flagging rate) is measurable with this many non-members."""
    return non_members >= stats.minimum_non_members(FLAG_FPR)


def _tail_check(attack: str, flagged, alpha: float) -> PolicyCheck:
    """Members flagged at FPR 0.1 % (an ``AttackResult.flagged()``) against chance: FAIL when
    the beta-binomial p-value of at least that many is at most the check's share of alpha."""
    fails = flagged.p_value <= alpha
    relation = "at most" if fails else "above"
    return PolicyCheck(check=TAIL_CHECK, subject=attack, limit=alpha, bound=flagged.p_value,
                       level=1.0 - alpha, side=Side.P_VALUE, figure=TAIL_FIGURE,
                       outcome=Outcome.FAIL if fails else Outcome.PASS,
                       reason=f"{attack}: {flagged.members:,} members flagged at FPR 0.1 % "
                              f"where chance alone flags about {flagged.expected_members:.0f}; "
                              f"{fmt.p_value(flagged.p_value)}, {relation} its share of alpha "
                              f"{alpha:.3g}")


def edpb_subjects(policy: Policy, edpb) -> list[tuple[str, float, str, object]]:
    """(limit key, limit, subject, risk) of every EDPB risk a [edpb] limit reads, from the
    audit's ``synthcheck.edpb.assess.Edpb`` (None: not assessed)."""
    if edpb is None or not policy.edpb:
        return []
    found = []
    for key, limit in policy.edpb.items():
        if key == "max_singling_out_risk":
            found.append((key, limit, "singling out", edpb.singling_out))
        elif key == "max_linkability_risk" and edpb.linkability is not None:
            found.append((key, limit, "linkability", edpb.linkability))
        elif key == "max_inference_risk":
            found += [(key, limit, f"inference of '{name}'", risk)
                      for name, risk in edpb.inference.items()]
    return found


def _edpb_check(key: str, limit: float, subject: str, risk, level: float,
                pass_level: float) -> PolicyCheck:
    """One [edpb] limit on one risk: its one-sided lower bound at ``level`` for FAIL, its upper
    bound at ``pass_level`` for PASS (``synthcheck.edpb.risk`` at 2 x level - 1 two-sided)."""
    from synthcheck.edpb.risk import risk_of

    def bounds(at: float):
        return risk_of(risk.attack_successes, risk.attacks, risk.control_successes,
                       risk.controls, 2.0 * at - 1.0)

    low, high = bounds(level).low, bounds(pass_level).high
    pct = fmt.percent
    rates = (f"the attack succeeded in {pct(risk.attack_rate)} of {risk.attacks:,} tries on "
             f"members and {pct(risk.control_rate)} on as many holdout records")
    check = partial(PolicyCheck, check=key, subject=subject, limit=limit, figure="EDPB risk")
    if low > limit:
        return check(bound=low, level=level, side=Side.LOWER, outcome=Outcome.FAIL,
                     reason=f"{subject}: risk is at least {pct(low)} (one-sided "
                            f"{fmt.level(level)} lower bound), above the limit {pct(limit)}; "
                            f"{rates}")
    if high <= limit:
        return check(bound=high, level=pass_level, side=Side.UPPER, outcome=Outcome.PASS,
                     reason=f"{subject}: risk is at most {pct(high)} (one-sided "
                            f"{fmt.level(pass_level)} upper bound), within the limit {pct(limit)}")
    return check(bound=high, level=pass_level, side=Side.UPPER, outcome=Outcome.INCONCLUSIVE,
                 limited_by="holdout",
                 reason=f"{subject}: risk between {pct(low)} and {pct(high)} (one-sided bounds "
                        f"at {fmt.level(level)} and {fmt.level(pass_level)}) straddles the "
                        f"limit {pct(limit)}; {rates}; more holdout records (and as many "
                        "members) would narrow it")


def _canary_check(canary, claimed: float, alpha: float) -> PolicyCheck:
    """The canary audit against a DP claim: FAIL ("DP claim refuted") when its ε lower bound
    at 1 - ``alpha`` exceeds the claimed ε."""
    level = 1.0 - alpha
    bound, attack = canary.epsilon(level)
    ceiling = canary.ceiling(level)
    fails = bound > claimed
    shown, limit = fmt.epsilon(bound), fmt.epsilon(claimed)
    reason = (f"canary audit: DP claim refuted: ε lower bound {shown} (at {fmt.level(level)}, "
              f"{attack} on {canary.canaries:,} canaries) exceeds the claimed ε {limit}"
              if fails else
              f"canary audit: ε lower bound {shown} (at {fmt.level(level)}, {canary.canaries:,} "
              f"canaries) is within the claimed ε {limit}; this audit could show at most "
              f"{fmt.epsilon(ceiling)}" + (", so it cannot refute this claim" if ceiling <= claimed
                                          else ""))
    return PolicyCheck(check=CANARY_CHECK, subject="canary audit", limit=claimed, bound=bound,
                       level=level, side=Side.LOWER, figure="canary ε lower bound",
                       outcome=Outcome.FAIL if fails else Outcome.PASS, reason=reason)


def evaluate(policy: Policy, attacks: dict, copy_checks: tuple[CopyCheck, ...] = (),
             findings: dict[str, str | None] | None = None,
             unique_rows: dict | None = None, *,
             holdout_available: int | None = None, tail: bool = False,
             edpb=None, canary=None, claimed_epsilon: float | None = None) -> Verdict:
    """The verdict: every limit on every attack (``AttackResult``s) and every copy check, each
    at its share of alpha (``ALPHA_SHARES``), and the policy's zero-tolerance counts
    (``worst_case``) on ``unique_rows`` (members' whole records that no other real record
    shares, found verbatim: the copies block's "unique_rows"). ``findings``: per attack, a
    plain sentence on what it found, added to the reason of each limit that FAILs on it.
    ``holdout_available``: the holdout records there were to score (more than were scored under
    ``--max-candidates``), for the reasons of undecided checks. ``tail``: also the tail
    check on each attack (``TAIL_CHECK``, its own share of alpha) when the policy has it on and
    FPR 0.1 % is measurable; the audit passes True. ``canary``: a canary audit's result
    (``measure.canary.CanaryResult``), checked against ``claimed_epsilon`` (else the policy's)
    at its own share of alpha when a claim is made."""
    findings = findings or {}
    counts: dict[str, int] = {}
    for check in copy_checks:
        counts[check.check] = counts.get(check.check, 0) + 1
    tails = {name: result.flagged() for name, result in attacks.items()} \
        if tail and policy.tail else {}
    tails = {name: found for name, found in tails.items() if found is not None}
    risks = edpb_subjects(policy, edpb)
    if risks:
        counts["edpb"] = len(risks)
    families = attack_families(policy, len(attacks), counts, len(tails))
    claimed = claimed_epsilon if claimed_epsilon is not None else policy.claimed_epsilon
    if canary is not None and claimed is not None:
        families["canary"] = 1
    reasons = []
    level, pass_level = 1.0, policy.pass_level()
    unfailable: tuple[CannotFail, ...] = ()
    if families["attacks"]:
        level = 1.0 - policy.family_alpha("attacks", families)
        first = next(iter(attacks.values()))
        unfailable = cannot_fail(policy, first.members.size, first.non_members.size, level,
                                 first.delta)
        said = {c.check: c for c in unfailable}
        reasons += [_with_finding(_said_cannot_fail(
            _attack_check(key, limit, name, result, level, pass_level, holdout_available),
            said.get(key)), findings.get(name))
                    for name, result in attacks.items() for key, limit in policy.limits.items()]
    reasons += [_with_finding(_tail_check(name, found, policy.family_alpha(TAIL_CHECK, families)),
                              findings.get(name))
                for name, found in tails.items()]
    reasons += [_copy_check(check, policy.family_alpha(check.check, families))
                for check in copy_checks]
    if families.get("canary"):
        reasons.append(_canary_check(canary, claimed, policy.family_alpha("canary", families)))
    if unique_rows is not None:
        reasons += [_worst_case_check(key, tolerated, unique_rows)
                    for key, tolerated in policy.worst_case.items()]
    if risks:
        edpb_level = 1.0 - policy.family_alpha("edpb", families)
        reasons += [_edpb_check(key, limit, subject, risk, edpb_level, pass_level)
                    for key, limit, subject, risk in risks]
    verdict = Outcome.combine(r.outcome for r in reasons)
    return Verdict(verdict, tuple(reasons), level, pass_level, unfailable)
