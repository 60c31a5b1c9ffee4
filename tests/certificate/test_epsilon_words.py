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
