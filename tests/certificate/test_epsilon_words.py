"""Issue 16: what the ε bound can and cannot show, in the summary and on the certificate."""
from __future__ import annotations

import datetime as dt

from synthcheck.auditing.results_json import from_document
from synthcheck.auditing.summary import summary_text
from synthcheck.certificate.render import Issuance, build_context, render_html

ISSUANCE = Issuance("Test Issuer Ltd", "AB:" * 31 + "CD",
                    dt.datetime(2026, 5, 14, 10, 0, tzinfo=dt.timezone.utc), "sc-test-1")

UNFAILABLE = {"check": "max_tpr_at_fpr_0_1pct", "figure": "TPR at FPR 0.1 %", "limit": 0.05,
              "ceiling": 0.0, "level": 0.9996,
              "reason": "TPR at FPR 0.1 % cannot FAIL here: with 1,500 members, 900 "
                        "non-members and the verdict's level 99.96 %, even a perfect attack "
                        "would show at most 0 %, not above the limit 5.0 %; its PASS says "
                        "nothing about the release"}


def test_a_limit_that_cannot_fail_is_in_the_summary_and_on_page_one(example_results):
    example_results["cannot_fail"] = [UNFAILABLE]
    results = from_document(example_results)
    text = summary_text(results)
    assert "CANNOT FAIL  TPR at FPR 0.1 % cannot FAIL here" in text
    html = render_html(build_context(results, ISSUANCE), "pdf")
    page_one = html.split('id="numbers"')[0]
    assert "Cannot FAIL at this size" in page_one
    assert "TPR at FPR 0.1 % (limit 5.0 %): a perfect attack would show at most 0 %" in page_one


def test_the_table_and_the_verdict_label_their_epsilon_levels(example_results):
    results = from_document(example_results)
    html = render_html(build_context(results, ISSUANCE), "pdf")
    level = next(iter(results.attacks.values())).epsilon_level
    assert f"ε lower bound<br><span class=\"limit\">at {100 * level:.2f} %" in html
    text = " ".join(summary_text(results).split())
    assert f"one-run epsilon lower bound at {100 * level:.2f} %" in text


def test_the_ceiling_stands_beside_every_epsilon(example_results):
    # issue 16: "ε ≥ 0.00" alone reads as "private"; the ceiling says how much the audit could show
    for attack in example_results["attacks"].values():
        attack["epsilon_ceiling"] = 4.5
        attack["verdict_bounds"]["epsilon_ceiling"] = 0.31
        attack["epsilon_lower_bound"] = attack["verdict_bounds"]["epsilon_lower_bound"] = 0.0
    example_results["overall"]["epsilon_ceiling"] = 4.5
    example_results["overall"]["epsilon_lower_bound"] = 0.0
    results = from_document(example_results)
    html = render_html(build_context(results, ISSUANCE), "pdf")
    page_one, numbers = html.split('id="numbers"')[:2]
    assert "no measurable lower bound on ε; this audit could show at most 0.31" in page_one
    assert "limit 1.00, ≤ 0.31 possible" in page_one  # the policy table's ε column
    assert numbers.count("could show ≤ 4.50") == len(results.attacks) + 1  # and the overall row
    text = " ".join(summary_text(results).split())
    assert "epsilon lower bound: 0.00" in text and "this audit could show at most 4.50" in text


def test_attack_figures_carry_the_ceiling_at_both_levels():
    import numpy as np

    from synthcheck.auditing.figures import attack_figures
    from synthcheck.measure.attack_results import AttackResult

    rng = np.random.default_rng(3)
    for shift in (0.0, 3.0):
        result = AttackResult(members=rng.normal(shift, 1, 1200), non_members=rng.normal(size=1000),
                              delta=None, seed=3)
        figures = attack_figures(result, description="x", details={}, confidence=0.95,
                                 epsilon_level=0.9875, verdict_level=0.999, pass_level=0.95)
        assert figures.epsilon_ceiling >= figures.epsilon_lower_bound
        bounds = figures.verdict_bounds
        assert bounds.epsilon_ceiling >= bounds.epsilon_lower_bound
        assert figures.epsilon_ceiling > bounds.epsilon_ceiling > 1.0  # the stricter level, lower
