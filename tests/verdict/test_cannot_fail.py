"""Issue 16, parts 1-2: ε checks that can FAIL at strict levels (δ = 1/m² by default), and a
limit that cannot FAIL at this size said before the audit and in the verdict."""
from __future__ import annotations

import numpy as np
import pytest

from synthcheck.measure import stats
from synthcheck.measure.attack_results import AttackResult
from synthcheck.verdict.policy import (
    CopyCheck,
    cannot_fail,
    evaluate,
    expected_cannot_fail,
    parse_policy,
)

BOARD = parse_policy("alpha = 0.01\n[limits]\nmax_auc = 0.55\nmax_tpr_at_fpr_1pct = 0.05\n"
                     "max_epsilon = 1.0\n")


def total_leak(size: int, seed: int, delta: float | None = None) -> AttackResult:
    """Every member scored above every non-member: a release that copies every record."""
    rng = np.random.default_rng(seed)
    return AttackResult(members=rng.uniform(10, 11, size), non_members=rng.uniform(0, 1, size),
                        delta=delta, seed=seed)


def test_default_delta_keeps_the_bound_at_strict_levels():
    members, non_members = np.arange(1500.0) + 2000, np.arange(1500.0)
    # issue 16: with δ = 1e-5 the δ term floored the p-value, the bound collapsed to 0 from 0.9995
    assert stats.epsilon_lower_bound(members, non_members, 1e-5, 0.9995) == 0.0
    assert stats.default_delta(3000) == pytest.approx(1 / 3000**2)
    for level in (0.99, 0.999, 0.9995, 0.99995):
        assert stats.epsilon_lower_bound(members, non_members, None, level) > 2.0, level


def test_epsilon_ceiling_is_the_perfect_attack_bound_and_never_below_a_bound():
    members, non_members = np.arange(1000.0) + 2000, np.arange(1500.0)
    assert stats.epsilon_ceiling(1000, 1500, None, 0.99) == pytest.approx(
        stats.epsilon_lower_bound(members, non_members, None, 0.99), abs=1e-5)
    rng = np.random.default_rng(0)
    for shift in (0.0, 0.5, 2.0):
        found = stats.epsilon_lower_bound(rng.normal(shift, 1, 800), rng.normal(size=900),
                                          None, 0.95)
        assert found <= stats.epsilon_ceiling(800, 900, None, 0.95) + 1e-9
    assert stats.epsilon_ceiling(300, 300, None, 0.99995) == 0.0  # too few guesses to show any


def test_board_policy_fails_a_total_leak_on_epsilon():
    # issue 16: alpha 0.01, four attacks and the copy test; every ε check read "0 <= 1" before
    attacks = {name: total_leak(1500, seed) for seed, name in enumerate("abcd")}
    verdict = evaluate(BOARD, attacks, (CopyCheck("copied_rows", "exact-copy", 1e-9, "all"),))
    epsilon = [c for c in verdict.reasons if c.check == "max_epsilon"]
    assert len(epsilon) == 4 and all(c.outcome == "FAIL" for c in epsilon)
    assert all(f"(at {100 * verdict.level:.2f} %)" in c.reason for c in epsilon)
    assert verdict.cannot_fail == ()
    # the fixed δ of before still collapses at this level, and the verdict says it cannot FAIL
    fixed = {name: total_leak(1500, seed, delta=1e-5) for seed, name in enumerate("abcd")}
    before = evaluate(BOARD, fixed, (CopyCheck("copied_rows", "exact-copy", 1e-9, "all"),))
    assert [c.check for c in before.cannot_fail] == ["max_epsilon"]
    eps = next(c for c in before.reasons if c.check == "max_epsilon")
    assert eps.outcome == "PASS" and "cannot FAIL at this size" in eps.reason


def test_a_limit_that_cannot_fail_is_said_before_and_after():
    policy = parse_policy("[limits]\nmax_tpr_at_fpr_1pct = 0.05\nmax_tpr_at_fpr_0_1pct = 0.05\n"
                          "max_epsilon = 1.0\n")
    before = expected_cannot_fail(policy, 1500, 1500, 4, {"copied_rows": 1}, None)
    assert [c.check for c in before] == ["max_tpr_at_fpr_0_1pct"]
    assert "cannot FAIL" in before[0].reason and "1,500 non-members" in before[0].reason
    assert before[0].ceiling == 0.0
    attacks = {name: total_leak(1500, seed) for seed, name in enumerate("abcd")}
    after = evaluate(policy, attacks, (CopyCheck("copied_rows", "exact-copy", 1e-9, "all"),),
                     tail=True)
    assert after.cannot_fail == before
    small = cannot_fail(policy, 150, 150, 0.9999, None)
    assert {c.check for c in small} >= {"max_tpr_at_fpr_0_1pct", "max_epsilon"}
    # with enough records the same limit can FAIL
    assert not cannot_fail(policy, 20000, 20000, 0.999, None)
