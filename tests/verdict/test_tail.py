"""Issue 16, part 3: the tail decides. Members flagged at FPR 0.1 % against chance is a check of
its own at its own share of alpha (``ALPHA_SHARES["tail"]``)."""
from __future__ import annotations

import numpy as np
import pytest

from synthcheck.measure.attack_results import AttackResult
from synthcheck.verdict.policy import (
    ALPHA_SHARES,
    TAIL_CHECK,
    default_policy,
    evaluate,
    parse_policy,
)


def few_near_copies(copied: int, size: int = 1500, seed: int = 0) -> AttackResult:
    """``copied`` members far above every non-member, the rest scored like non-members."""
    rng = np.random.default_rng(seed)
    members = rng.normal(size=size)
    members[:copied] = rng.uniform(10, 11, copied)
    return AttackResult(members=members, non_members=rng.normal(size=size), delta=None, seed=seed)


def test_thirty_near_copied_members_fail_the_tail_under_the_default_policy():
    # issue 16: 2 % of 1,500 members near-copied; TPR at 1 % (about 3 %) stays under its 5 %
    # limit, so before the tail check the default policy PASSed this release
    attacks = {name: few_near_copies(30, seed=i) for i, name in enumerate(
        ["dcr", "dcr-ratio", "density-ratio", "query-match"])}
    rates = parse_policy("[limits]\nmax_auc = 0.60\nmax_tpr_at_fpr_1pct = 0.05\n")
    assert evaluate(rates, attacks).outcome != "FAIL"
    assert evaluate(rates, attacks, tail=True).outcome == "FAIL"
    verdict = evaluate(default_policy(), attacks, tail=True)
    assert verdict.outcome == "FAIL"
    tails = [c for c in verdict.reasons if c.check == TAIL_CHECK]
    assert len(tails) == 4 and all(c.outcome == "FAIL" for c in tails)
    first = tails[0]
    assert first.side.value == "p-value" and first.bound < first.limit
    assert "members flagged at FPR 0.1 % where chance alone flags about 2" in first.reason
    # its own share: 1 of 3 + 1 (attacks and tail present), split over four attacks
    total = ALPHA_SHARES["attacks"] + ALPHA_SHARES[TAIL_CHECK]
    assert first.limit == pytest.approx(0.05 * ALPHA_SHARES[TAIL_CHECK] / total / 4)
    off = parse_policy("tail = false\n[limits]\nmax_auc = 0.6\n")
    assert not any(c.check == TAIL_CHECK for c in evaluate(off, attacks, tail=True).reasons)
    assert off.describe()["tail"] is False


def test_no_tail_check_where_fpr_0_1_pct_is_not_measurable():
    verdict = evaluate(default_policy(), {"dcr": few_near_copies(30, size=900)}, tail=True)
    assert not any(c.check == TAIL_CHECK for c in verdict.reasons)


@pytest.mark.slow  # 400 verdicts: a rate, for the full suite
def test_clean_releases_fail_the_tail_at_most_at_its_share():
    # members scored like non-members: the beta-binomial p-value is valid, so the tail check
    # alone (all of alpha = 0.05 on one attack and one limit that cannot fail it) FAILs at most
    # about 5 % of clean releases; 400 draws, binomial 99.9 % upper end 0.09
    policy = parse_policy("alpha = 0.05\n[limits]\nmax_epsilon = 50\n")
    failed = sum(evaluate(policy, {"a": few_near_copies(0, size=1000, seed=seed)},
                          tail=True).outcome == "FAIL" for seed in range(400))
    assert failed / 400 <= 0.09, failed


def test_claimed_epsilon_is_a_policy_key_above_zero():
    from synthcheck.errors import InputError

    policy = parse_policy("claimed_epsilon = 1.5\n[limits]\nmax_auc = 0.6\n")
    assert policy.claimed_epsilon == 1.5 and policy.describe()["claimed_epsilon"] == 1.5
    for bad in ("0", "-1", '"one"'):
        with pytest.raises(InputError, match="claimed_epsilon"):
            parse_policy(f"claimed_epsilon = {bad}\n[limits]\nmax_auc = 0.6\n")
