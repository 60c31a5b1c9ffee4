"""Policies (TOML) and the verdict they give on an audit's results.

A limit is checked against the multiplicity-adjusted interval of every attack:
FAIL when the whole interval lies above the limit (evidence of leakage beyond it), PASS when
the whole interval lies at or below it, INCONCLUSIVE when it straddles the limit or the metric
is not measurable with this many records. Because the verdict looks at several attacks and
metrics, every interval it reads is at the Bonferroni-adjusted level 1 - alpha / (number of
checks), so a clean release FAILs with probability at most alpha.
"""
from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from synthcheck.errors import InputError

DEFAULT_POLICY_TEXT = """\
# synthcheck default policy. Every limit applies to every attack.
name = "default"
alpha = 0.05               # chance that a clean release is wrongly FAILed (family-wise)
multiplicity = "bonferroni"

[limits]
max_auc = 0.60             # ROC AUC (0.5 = guessing)
max_tpr_at_fpr_1pct = 0.03 # members caught at 1 % false alarms (1 % = guessing)
max_tpr_at_fpr_0_1pct = 0.02 # members caught at 0.1 % false alarms (0.1 % = guessing)
max_epsilon = 1.0          # empirical lower bound on the DP epsilon
"""

# limit key -> (metric in results, FPR key for TPR limits, human name)
CHECKS = {
    "max_auc": ("auc", None, "AUC"),
    "max_tpr_at_fpr_10pct": ("tpr", "0.1", "TPR at FPR 10 %"),
    "max_tpr_at_fpr_1pct": ("tpr", "0.01", "TPR at FPR 1 %"),
    "max_tpr_at_fpr_0_1pct": ("tpr", "0.001", "TPR at FPR 0.1 %"),
    "max_epsilon": ("epsilon", None, "epsilon lower bound"),
}


@dataclass
class Policy:
    name: str
    limits: dict[str, float]
    alpha: float = 0.05
    multiplicity: str = "bonferroni"
    text: str = ""
    source: str | None = None
    extra: dict = field(default_factory=dict)

    def checks_per_attack(self) -> int:
        return len(self.limits)

    def adjusted_confidence(self, attacks: int) -> float:
        """The level of every interval the verdict reads (Bonferroni over all checks)."""
        tests = max(1, attacks * self.checks_per_attack())
        return 1.0 - self.alpha / tests

    def describe(self) -> dict:
        return {"name": self.name, "source": self.source, "limits": dict(self.limits),
                "alpha": self.alpha, "multiplicity": self.multiplicity, "text": self.text}


# What a policy may say: every other key, at any level, is refused (a typo must not leave a
# limit at its default). A new family of checks adds its keys here and its limits to CHECKS.
POLICY_KEYS = ("name", "alpha", "multiplicity", "limits")
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
    limits = document.get("limits", {})
    if not isinstance(limits, dict) or not limits:
        raise InputError("policy has no [limits] table", source=source)
    unknown = [k for k in limits if k not in CHECKS]
    if unknown:
        raise InputError(f"unknown limit '{unknown[0]}' in [limits]; known: {', '.join(CHECKS)}",
                         source=source)
    for key, value in limits.items():
        _check_limit(key, value, source)
    alpha = document.get("alpha", 0.05)
    low, high = ALPHA_RANGE
    if not _is_number(alpha) or not low < alpha <= high:
        raise InputError(f"alpha must be a number in ({low:g}, {high:g}] (the chance that a clean "
                         f"release FAILs), got {alpha!r}", source=source)
    multiplicity = document.get("multiplicity", "bonferroni")
    if multiplicity != "bonferroni":
        raise InputError(f"multiplicity must be 'bonferroni', got {multiplicity!r}", source=source)
    name = document.get("name", Path(source).stem if source and not source.startswith("<")
                        else "custom")
    if not isinstance(name, str):
        raise InputError(f"name must be a string, got {name!r}", source=source)
    return Policy(name=name, limits={k: float(v) for k, v in limits.items()}, alpha=float(alpha),
                  multiplicity=multiplicity, text=text, source=source)


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


def _check(limit_key: str, limit: float, attack: str, bounds: dict) -> dict:
    metric, fpr, label = CHECKS[limit_key]
    entry = {"check": limit_key, "attack": attack, "limit": limit, "bound": None}
    if metric == "epsilon":
        value = bounds["epsilon_lower_bound"]
        entry["bound"] = value
        if value > limit:
            return entry | {"outcome": "FAIL", "reason": f"{attack}: {label} {value:.3g} exceeds {limit:g}"}
        return entry | {"outcome": "PASS", "reason": f"{attack}: {label} {value:.3g} <= {limit:g}"}
    interval = bounds["auc"] if metric == "auc" else bounds["tpr_at_fpr"][fpr]
    if interval is None:
        return entry | {"outcome": "INCONCLUSIVE",
                        "reason": f"{attack}: {label} is not measurable with this few non-members"}
    low, high = interval["low"], interval["high"]
    if low > limit:
        return entry | {"bound": low, "outcome": "FAIL",
                        "reason": f"{attack}: {label} is above {limit:g} (interval {low:.3g}-{high:.3g})"}
    if high <= limit:
        return entry | {"bound": high, "outcome": "PASS",
                        "reason": f"{attack}: {label} is at most {high:.3g} <= {limit:g}"}
    return entry | {"bound": high, "outcome": "INCONCLUSIVE",
                    "reason": f"{attack}: {label} interval {low:.3g}-{high:.3g} straddles {limit:g}"}


def evaluate(policy: Policy, attack_bounds: dict[str, dict]) -> tuple[str, list[dict]]:
    """The verdict and one reason per (attack, limit), from each attack's adjusted bounds."""
    reasons = [_check(key, limit, attack, bounds)
               for attack, bounds in attack_bounds.items()
               for key, limit in policy.limits.items()]
    outcomes = {r["outcome"] for r in reasons}
    verdict = "FAIL" if "FAIL" in outcomes else "INCONCLUSIVE" if "INCONCLUSIVE" in outcomes else "PASS"
    return verdict, reasons
