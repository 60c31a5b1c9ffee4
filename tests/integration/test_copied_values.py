"""Issue 21, whole audits: releases that copy members' values into strangers' rows FAIL (the
column-shuffled table, half of the columns or the four most distinct ones from a member, half of
each row blanked), in release mode and, through the shadow attack's query-match feature, in
generator mode; the verdict's reason names what was copied. Two corpus tables: loans (the
table of the issue) and randhie (fixtures/corpus).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import synthcheck
from synthcheck.generators.controls import blanked_cells, shuffled_columns, stitched_rows

pytestmark = pytest.mark.usefixtures("verdict_only")  # verdicts only: no owner's extras

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "corpus"
ROWS = 600


def corpus(table: str) -> dict[str, pd.DataFrame]:
    return {part: pd.read_csv(CORPUS / f"{table}_{part}.csv.gz", low_memory=False).head(ROWS)
            for part in ("train", "holdout", "population")}


def copying_releases(train: pd.DataFrame, population: pd.DataFrame) -> dict[str, pd.DataFrame]:
    columns = list(train.columns)
    most_distinct = list(train.nunique().sort_values(ascending=False, kind="stable").index[:4])
    return {"shuffled": shuffled_columns(train, 1),
            "half of the columns": stitched_rows(train, population, columns[::2], 2),
            "4 columns": stitched_rows(train, population, most_distinct, 3),
            "half-blanked": blanked_cells(train, 0.5, 4)}


@pytest.mark.slow
@pytest.mark.parametrize("table", ["loans", "randhie"])
def test_releases_that_copy_values_fail_with_a_reason_that_says_so(table):
    data = corpus(table)
    for name, release in copying_releases(data["train"], data["population"]).items():
        audit = synthcheck.audit(data["train"], data["holdout"], synthetic=release,
                                 attacks=["dcr", "query-match"], seed=0)
        document = audit.document if hasattr(audit, "document") else audit.results
        found = document["attacks"]["query-match"]
        assert audit.verdict == "FAIL", (table, name)
        assert found["auc"]["value"] > 0.9, (table, name, found["auc"])
        reasons = [r["reason"] for r in document["verdict_reasons"]
                   if r["attack"] == "query-match" and r["outcome"] == "FAIL"]
        assert reasons and all("held by one person copied verbatim" in r for r in reasons), \
            (table, name, reasons)


@pytest.mark.slow
def test_an_empirical_marginals_generator_fails_in_generator_mode():
    data = corpus("randhie")
    train, holdout = data["train"].head(300), data["holdout"].head(300)
    audit = synthcheck.audit(train, holdout,
                             generator="synthcheck.generators.controls:EmpiricalMarginals",
                             attacks=["shadow"], shadows=8, jobs=1, seed=0)
    document = audit.document if hasattr(audit, "document") else audit.results
    shadow = document["attacks"]["shadow"]
    assert "query_match" in shadow["details"]["features"]
    assert audit.verdict == "FAIL"
    assert shadow["auc"]["value"] > 0.8, shadow["auc"]


@pytest.mark.slow
def test_one_members_unique_record_copied_is_reported_and_a_zero_tolerance_policy_fails(adult):
    train, holdout = adult["train"].head(600), adult["holdout"].head(600)
    release = pd.concat([adult["population"].head(599), train.iloc[[7]]], ignore_index=True)
    audit = synthcheck.audit(train, holdout, synthetic=release, id_column="person_id", seed=0,
                             attacks=["dcr", "exact-copy"])
    assert "worst case: 1 member record that no other real record shares copied verbatim" \
        in audit.summary
    strict = {"limits": {"max_auc": 0.6}, "worst_case": {"max_unique_rows_copied": 0}}
    judged = synthcheck.audit(train, holdout, synthetic=release, id_column="person_id", seed=0,
                              attacks=["dcr", "exact-copy"], policy=strict)
    assert judged.verdict == "FAIL"
    document = judged.document if hasattr(judged, "document") else judged.results
    assert any(r["check"] == "max_unique_rows_copied" and r["outcome"] == "FAIL"
               for r in document["verdict_reasons"])
