"""Policy parsing and the verdict rule, on hand-made bounds."""
from __future__ import annotations

import pytest

from synthcheck.errors import InputError
from synthcheck.policy import default_policy, evaluate, parse_policy


def bounds(auc_low, auc_high, tpr=None, epsilon=0.0):
    table = {"0.001": tpr, "0.01": tpr, "0.1": tpr}
    return {"auc": {"value": (auc_low + auc_high) / 2, "low": auc_low, "high": auc_high},
            "tpr_at_fpr": table, "epsilon_lower_bound": epsilon, "level": 0.99}


def test_verdict_rule():
    policy = parse_policy("[limits]\nmax_auc = 0.6\n")
    assert evaluate(policy, {"a": bounds(0.45, 0.55)})[0] == "PASS"
    assert evaluate(policy, {"a": bounds(0.61, 0.7)})[0] == "FAIL"
    assert evaluate(policy, {"a": bounds(0.55, 0.65)})[0] == "INCONCLUSIVE"
    assert evaluate(policy, {"a": bounds(0.45, 0.55), "b": bounds(0.61, 0.7)})[0] == "FAIL"


def test_straddling_bounds_are_inconclusive_and_say_what_would_decide():
    policy = parse_policy("[limits]\nmax_tpr_at_fpr_0_1pct = 0.02\n")
    tpr = {"value": None, "low": 0.0, "high": 0.05}  # too few non-members for a point estimate
    verdict, reasons = evaluate(policy, {"dcr": bounds(0.4, 0.6, tpr=tpr)})
    assert verdict == "INCONCLUSIVE"
    assert "holdout records" in reasons[0]["reason"]


def test_epsilon_limit():
    policy = parse_policy("[limits]\nmax_epsilon = 1.0\n")
    assert evaluate(policy, {"a": bounds(0.4, 0.6, epsilon=1.5)})[0] == "FAIL"
    assert evaluate(policy, {"a": bounds(0.4, 0.6, epsilon=0.5)})[0] == "PASS"


def test_bonferroni_level_counts_every_check():
    policy = default_policy()
    assert policy.adjusted_confidence(3) == pytest.approx(1 - 0.05 / (3 * len(policy.limits)))
    # With copy checks present the attacks keep their share (3 of 4) of alpha.
    assert policy.adjusted_confidence(5, copy_checks=2) == pytest.approx(
        1 - 0.05 * 0.75 / (5 * len(policy.limits)))


def test_alpha_shares_add_up_to_alpha():
    policy = default_policy()
    families = {"attacks": 18, "copies": 3}
    spent = sum(policy.family_alpha(f, families) * n for f, n in families.items())
    assert spent == pytest.approx(policy.alpha)


@pytest.mark.parametrize("text, fragment", [
    ("[limits\n", "not valid TOML"),
    ("name = 'x'\n", "no [limits]"),
    ("[limits]\nmax_fun = 1\n", "unknown limit 'max_fun'"),
    ("alpha = 2\n[limits]\nmax_auc = 0.6\n", "alpha"),
])
def test_bad_policies(text, fragment):
    with pytest.raises(InputError, match=fragment.replace("[", r"\[")):
        parse_policy(text, source="p.toml")
