"""Page 1 of the certificate and the CLI summary tell one story (issue 15).

For a PASS, a FAIL on a total leak, a FAIL on a partial leak and two INCONCLUSIVE audits of the
fixture tables (one of 300 rows, whose page 1 is too long for one page), read from the
rendered page 1 (pdftotext): each failing check is named in the verdict text with its figure,
bound and limit; every figure the verdict text quotes appears in a page-1 table; and page 1
and the summary name the same strongest attack (or the same ceiling).
"""
from __future__ import annotations

import re
import subprocess

import pandas as pd
import pytest

import synthcheck
from synthcheck.auditing.results import Outcome, Side
from synthcheck.auditing.story import bound_text, limit_text
from synthcheck.certificate.render import Issuance, render_pdf
from tests.certificate.conftest import needs_poppler
from tests.conftest import FIXTURES, partial_leak

TRAIN, HOLDOUT = FIXTURES / "adult_train.csv", FIXTURES / "adult_holdout.csv"

#: a figure as the verdict text writes it: "8.4 %", "0.652", "1.73", "1e-05"
FIGURE = re.compile(r"\d+(?:\.\d+)?(?:e-\d+)? ?%|\d+\.\d+|\d+e-\d+")


def _release(case: str) -> pd.DataFrame | str:
    adult = {p: pd.read_csv(FIXTURES / f"adult_{p}.csv") for p in ("train", "population")}
    if case == "fail_full":
        return partial_leak(adult, seed=5, share=1.0)
    if case == "fail_partial":
        return partial_leak(adult, seed=3, share=0.3)
    if case == "inconclusive_small":  # page 1 runs long: the inputs' section spills to page 2
        return pd.read_csv(FIXTURES / "adult_population.csv").head(SMALL)
    return FIXTURES / "adult_population.csv"


EXPECTED = {"pass": Outcome.PASS, "fail_full": Outcome.FAIL, "fail_partial": Outcome.FAIL,
            "inconclusive": Outcome.INCONCLUSIVE, "inconclusive_small": Outcome.INCONCLUSIVE}
SMALL = 300


@pytest.fixture(scope="module", params=list(EXPECTED))
def story(request, tmp_path_factory):
    import datetime as dt

    case = request.param
    options = {"max_candidates": 400} if case == "inconclusive" else {}
    train, holdout = TRAIN, HOLDOUT
    if case == "inconclusive_small":
        train, holdout = (pd.read_csv(path).head(SMALL) for path in (TRAIN, HOLDOUT))
    result = synthcheck.audit(train, holdout, synthetic=_release(case), id_column="person_id",
                              **options)
    issuance = Issuance.now(result.results, "Test Issuer Ltd", "AB:" * 31 + "CD",
                            dt.datetime(2026, 5, 14, 10, 0, tzinfo=dt.timezone.utc),
                            # a self-signed issuer (keygen's, the demo's) adds a note to page 1
                            self_signed=case == "inconclusive_small")
    pdf, _ = render_pdf(result.results, issuance)
    path = tmp_path_factory.mktemp(case) / "certificate.pdf"
    path.write_bytes(pdf)
    page1 = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-enc", "UTF-8", str(path), "-"],
                           capture_output=True, check=True).stdout.decode()
    return case, result, " ".join(page1.split())


def _parts(page1: str, policy: str) -> tuple[str, str]:
    """(the verdict text: from the verdict word to the policy line; the rest of page 1)."""
    start = page1.index("VERDICT") if "VERDICT" in page1 else page1.index("Verdict")
    end = page1.index(f"Policy {policy}:")
    return page1[start:end], page1[end:]


@needs_poppler
@pytest.mark.slow
def test_the_verdict_is_the_expected_one(story):
    case, result, _ = story
    assert result.verdict is EXPECTED[case]


@needs_poppler
@pytest.mark.slow
def test_each_failing_check_is_named_with_its_bound_and_limit(story):
    _, result, page1 = story
    verdict_text, _ = _parts(page1, result.results.policy.name)
    for check in result.results.failing():  # grouped by subject: "dcr: AUC at least ..., TPR ..."
        named = re.search(rf"{re.escape(check.subject)}: [^;]*{re.escape(check.figure)}",
                          verdict_text)
        assert named, (check, verdict_text)
        assert bound_text(check) in verdict_text, check
        if check.side is not Side.P_VALUE:  # a copy test's limit is a share of alpha
            assert limit_text(check) in verdict_text, check
    if result.verdict is Outcome.FAIL:  # the first sentence says how many failed
        assert re.search(rf"{len(result.results.failing())} of \d+ checks exceed", verdict_text)


@needs_poppler
@pytest.mark.slow
def test_every_figure_in_the_verdict_text_is_in_a_page_one_table(story):
    _, result, page1 = story
    verdict_text, tables = _parts(page1, result.results.policy.name)
    quoted = FIGURE.findall(verdict_text)
    assert quoted  # the verdict text does quote figures
    missing = [figure for figure in quoted if figure not in tables]
    assert not missing, (missing, verdict_text)


@needs_poppler
@pytest.mark.slow
def test_page_one_and_the_summary_name_the_same_strongest_attack(story):
    _, result, page1 = story
    summary = " ".join(result.summary.split())
    named = re.search(r"strongest attack: (.+?) epsilon lower bound:", summary).group(1)
    assert f"strongest attack: {named}" in page1, (named, page1)
    best = result.results.overall.strongest
    if best.ceiling and len(best.ceiling) > 1:
        assert "at the ceiling" in named and "stands out" not in summary
    assert "no attack stands out" not in summary and "no attack stands out" not in page1


@needs_poppler
@pytest.mark.slow
def test_undecided_checks_say_what_limits_them_and_never_ask_for_fewer_records(story):
    _, result, _ = story
    scored = result.results.counts.non_members
    for check in result.results.inconclusive():
        assert check.limited_by in ("holdout", "max_candidates", "level"), check
        for wanted in re.findall(r"about ([\d,]+) (?:holdout records|needed)", check.reason):
            assert int(wanted.replace(",", "")) > scored, check.reason
    if result.results.parameters.sampled is not None and result.results.inconclusive():
        assert any(c.limited_by == "max_candidates" for c in result.results.inconclusive())
