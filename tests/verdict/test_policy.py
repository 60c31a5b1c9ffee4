"""The verdict rule on real score arrays, the sharing of alpha, and the power it is built on."""
from __future__ import annotations

import numpy as np
import pytest

from synthcheck.errors import InputError
from synthcheck.measure import stats
from synthcheck.measure.attack_results import AttackResult
from synthcheck.verdict.policy import CopyCheck, default_policy, evaluate, parse_policy


def scores(shift: float, size: int, seed: int = 0) -> AttackResult:
    """Members N(shift, 1) and non-members N(0, 1), ``size`` of each."""
    rng = np.random.default_rng(seed)
    return AttackResult(members=rng.normal(shift, 1.0, size), non_members=rng.normal(size=size),
                        delta=1e-5, seed=seed)


def test_verdict_rule():
    policy = parse_policy("[limits]\nmax_auc = 0.6\n")
    # AUC of a shift d is Phi(d / sqrt 2): 0 -> 0.5, 1 -> 0.76, 0.38 -> 0.604.
    assert evaluate(policy, {"a": scores(0.0, 3000)}).outcome == "PASS"
    assert evaluate(policy, {"a": scores(1.0, 3000)}).outcome == "FAIL"
    assert evaluate(policy, {"a": scores(0.38, 3000)}).outcome == "INCONCLUSIVE"
    both = evaluate(policy, {"a": scores(0.0, 3000), "b": scores(1.0, 3000, seed=1)})
    assert both.outcome == "FAIL"
    assert [r.outcome for r in both.reasons] == ["PASS", "FAIL"]


def test_verdict_reads_one_sided_bounds_at_its_level():
    policy = parse_policy("alpha = 0.05\n[limits]\nmax_auc = 0.6\nmax_tpr_at_fpr_1pct = 0.06\n")
    result = scores(0.0, 1000)
    verdict = evaluate(policy, {"a": result, "b": scores(0.0, 1000, seed=2)})
    assert verdict.level == pytest.approx(1 - 0.05 / 4)  # FAIL side: Bonferroni over 4 checks
    assert verdict.pass_level == pytest.approx(0.95)  # PASS side: intersection-union
    auc = next(r for r in verdict.reasons if r.subject == "a" and r.check == "max_auc")
    # PASS is read off the one-sided 95 % upper bound = the two-sided 90 % interval's end.
    assert auc.outcome == "PASS"
    assert auc.bound == pytest.approx(stats.roc_auc(result.members, result.non_members,
                                                       0.9).high)


@pytest.mark.slow
def test_a_release_beyond_a_limit_passes_at_most_alpha_of_the_time():
    # The PASS side's guarantee, by simulation: a true TPR at 1 % FPR of 0.07 (10 % of members
    # far out, 1 % of the rest) against a limit of 0.06, with three attacks alike. However many
    # checks there are, PASS needs the offending one's 95 % upper bound below its limit.
    policy = parse_policy("[limits]\nmax_tpr_at_fpr_1pct = 0.06\n")
    passed = 0
    for seed in range(200):
        rng = np.random.default_rng(seed)
        runs = {}
        for name in "abc":
            members = rng.normal(size=1000)
            far = rng.random(1000) < 0.0606  # 0.0606 + 0.9394 x 0.01 = 0.07
            members[far] = rng.normal(6.0, 0.5, far.sum())
            runs[name] = AttackResult(members, rng.normal(size=1000), 1e-5, seed)
        passed += evaluate(policy, runs).outcome == "PASS"
    assert passed <= 10  # at most alpha = 5 % of 200


def test_straddling_bounds_are_inconclusive_and_say_what_would_decide():
    policy = parse_policy("[limits]\nmax_tpr_at_fpr_1pct = 0.06\n")
    # 60 non-members: no point estimate at 1 % FPR, but honest bounds, far too wide to decide.
    verdict = evaluate(policy, {"dcr": scores(0.0, 60)})
    assert verdict.outcome == "INCONCLUSIVE"
    reason = verdict.reasons[0].reason
    needed = int(reason.split("from about ")[1].split(" ")[0].replace(",", ""))
    assert 300 <= needed <= 1200, reason
    assert "PASSes" in reason


def test_undecided_checks_name_what_limits_them_never_fewer_records_than_scored():
    policy = parse_policy("[limits]\nmax_tpr_at_fpr_1pct = 0.06\nmax_auc = 0.6\n")
    # 60 scored of a 3,000-row holdout: the --max-candidates sample limits it.
    sampled = evaluate(policy, {"dcr": scores(0.0, 60)}, holdout_available=3000)
    tpr = next(c for c in sampled.reasons if c.check == "max_tpr_at_fpr_1pct")
    assert tpr.limited_by == "max_candidates" and "leave out --max-candidates" in tpr.reason
    # AUC 0.604 at 3,000 a side: a clean release would PASS at this size; the figure is close
    # to the limit, so it is the closeness at the policy's levels, and the records it names
    # are more than were scored.
    close = next(c for c in evaluate(policy, {"a": scores(0.38, 3000)}).reasons
                 if c.check == "max_auc")
    assert close.outcome == "INCONCLUSIVE" and close.limited_by == "level", close.reason
    wanted = int(close.reason.split("about ")[-1].split(" holdout")[0].replace(",", ""))
    assert wanted > 3000, close.reason
    assert "close to the limit" in close.reason and "100 % of the time" in close.reason


def test_reasons_give_rates_in_percent_with_their_side_and_level():
    policy = parse_policy("[limits]\nmax_tpr_at_fpr_1pct = 0.05\n")
    leak = scores(0.0, 3000)
    leak.members[:600] += 8  # 20 % of members far out
    check = evaluate(policy, {"dcr": leak}).reasons[0]
    assert check.outcome == "FAIL" and check.side.value == "lower"
    assert "TPR at FPR 1 % is at least" in check.reason and "above the limit 5.0 %" in check.reason
    assert "(one-sided 95 % lower bound)" in check.reason  # one check: all of alpha


def test_epsilon_limit():
    policy = parse_policy("[limits]\nmax_epsilon = 1.0\n")
    assert evaluate(policy, {"a": scores(3.0, 3000)}).outcome == "FAIL"
    assert evaluate(policy, {"a": scores(0.0, 3000)}).outcome == "PASS"


def test_copy_checks_spend_their_share_of_alpha():
    policy = parse_policy("alpha = 0.05\n[limits]\nmax_auc = 0.6\n")
    attacks = {"a": scores(0.0, 1000)}
    # Weights 3 : 1.5 : 0.5 -> copied rows 0.015, copied values 0.005 split between two columns.
    copies = (CopyCheck("copied_rows", "exact-copy", 0.0098, "5 of 1,500 train rows copied"),
              CopyCheck("copied_values", "ssn", 0.2, "1 of 1,500 train values found"),
              CopyCheck("copied_values", "email", 0.003, "3 of 1,500 train values found"))
    verdict = evaluate(policy, attacks, copies)
    assert verdict.outcome == "FAIL"
    assert [r.outcome for r in verdict.reasons] == ["PASS", "FAIL", "PASS", "PASS"]
    assert verdict.reasons[1].level == pytest.approx(1 - 0.015)
    assert verdict.reasons[3].level == pytest.approx(1 - 0.0025)
    assert verdict.level == pytest.approx(1 - 0.03)  # the attacks keep 3/5 of alpha
    # The conditional test's p = (1/2)^5 = 0.031 for 5 copies vs 0 is not enough at this share.
    weak = (CopyCheck("copied_rows", "exact-copy", 0.5 ** 5, "5 of 1,500 vs 0 of 1,500"),)
    assert evaluate(policy, attacks, weak).outcome == "PASS"


def test_clean_pass_probability_matches_simulation():
    # The beta-binomial formula against brute force: 1,000 members and non-members scored alike.
    level, limit = 1 - 0.05 / 12, 0.05
    exact = stats.clean_pass_probability_tpr(1000, 1000, 0.01, limit, level)
    rng = np.random.default_rng(9)
    passes = [stats.tpr_upper_bound(rng.normal(size=1000), rng.normal(size=1000), 0.01, level)
              <= limit for _ in range(400)]
    assert abs(np.mean(passes) - exact) < 3 * np.sqrt(exact * (1 - exact) / 400) + 0.01


def test_default_policy_is_decidable_at_1000_rows():
    # The computed power the default limits were chosen by: a clean 1,000-row release passes
    # each TPR check with probability >= 0.995 (so >= 97 % for six attacks even if independent).
    policy = default_policy()
    level = policy.pass_level()
    tpr = stats.clean_pass_probability_tpr(1000, 1000, 0.01, policy.limits["max_tpr_at_fpr_1pct"],
                                           level)
    auc = stats.clean_pass_probability_auc(1000, 1000, policy.limits["max_auc"], level)
    assert tpr >= 0.995 and auc >= 0.999


def test_bonferroni_level_counts_every_check():
    policy = default_policy()
    assert policy.adjusted_confidence(3) == pytest.approx(1 - 0.05 / (3 * len(policy.limits)))
    # With copy checks present the attacks keep their share (3 of 3 + 1.5 + 0.5) of alpha.
    assert policy.adjusted_confidence(5, {"copied_rows": 1, "copied_values": 2}) == pytest.approx(
        1 - 0.05 * 0.6 / (5 * len(policy.limits)))


def test_alpha_shares_add_up_to_alpha():
    policy = default_policy()
    families = {"attacks": 18, "copied_rows": 1, "copied_values": 3}
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


def test_a_failed_limit_carries_the_attacks_own_sentence_and_a_passed_one_does_not():
    policy = parse_policy("[limits]\nmax_auc = 0.6\n")
    finding = "values or combinations held by one person copied verbatim: 3 columns"
    verdict = evaluate(policy, {"leaky": scores(1.0, 3000), "clean": scores(0.0, 3000, seed=1)},
                       findings={"leaky": finding, "clean": finding})
    leaky, clean = verdict.reasons
    assert leaky.outcome == "FAIL" and leaky.reason.endswith(": " + finding)
    assert clean.outcome == "PASS" and finding not in clean.reason


def test_worst_case_is_a_count_the_policy_may_tolerate_with_no_share_of_alpha():
    unique = {"members": 1500, "members_found": 1, "non_members": 1500, "non_members_found": 0}
    attacks = {"a": scores(0.0, 1500)}
    default = evaluate(default_policy(), attacks, unique_rows=unique)
    assert default.outcome == "PASS"  # the default policy reports it, does not judge it
    assert all(r.check != "max_unique_rows_copied" for r in default.reasons)
    strict = parse_policy("[limits]\nmax_auc = 0.6\n[worst_case]\nmax_unique_rows_copied = 0\n")
    verdict = evaluate(strict, attacks, unique_rows=unique)
    check = next(r for r in verdict.reasons if r.check == "max_unique_rows_copied")
    assert verdict.outcome == "FAIL" and check.outcome == "FAIL" and check.bound == 1
    assert "1 member record that no other real record shares is in the release" in check.reason
    assert verdict.level == evaluate(strict, attacks).level  # alpha untouched
    assert evaluate(strict, attacks, unique_rows=unique | {"members_found": 0}).outcome == "PASS"
    lenient = parse_policy("[limits]\nmax_auc = 0.6\n[worst_case]\nmax_unique_rows_copied = 1\n")
    assert evaluate(lenient, attacks, unique_rows=unique).outcome == "PASS"
    for bad, message in (("max_unique_rows_copied = -1", "whole number >= 0"),
                         ("max_unique_rows_copied = 0.5", "whole number >= 0"),
                         ("max_unique_rows = 0", "unknown key 'max_unique_rows'")):
        with pytest.raises(InputError, match=message):
            parse_policy(f"[limits]\nmax_auc = 0.6\n[worst_case]\n{bad}\n")
    assert strict.describe()["worst_case"] == {"max_unique_rows_copied": 0}
    assert "worst_case" not in default_policy().describe()
