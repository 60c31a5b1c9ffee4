"""Issue 16's must-show: under the default policy, a release where 2 % of 1,500 members are
near-copies (1 % noise) and the rest other real records FAILs on two corpus tables, by the tail
check (the release is benchmarks/tail_leak.py's)."""
from __future__ import annotations

import pytest

import synthcheck
from benchmarks.tail_leak import corpus, tail_release

pytestmark = [pytest.mark.slow,  # whole audits (the quick loop is -m 'not slow')
              pytest.mark.usefixtures("verdict_only")]  # verdicts only: no owner's extras


@pytest.mark.parametrize("table", ["randhie", "loans"])
def test_two_percent_near_copies_fail_under_the_default_policy(table):
    tables = corpus(table)
    found = synthcheck.audit(tables["train"], tables["holdout"],
                             synthetic=tail_release(tables, 0.02, seed=0), seed=0)
    assert found.verdict == "FAIL"
    tails = [c for c in found.results.failing() if c.check == "tail"]
    assert tails, [c.reason for c in found.results.failing()]
    assert "tail p " in " ".join(found.summary.split())  # named in the verdict sentence
    # issue 16: every attack's ε has its ceiling beside it in results.json, never below it
    for attack in found.document["attacks"].values():
        assert attack["epsilon_ceiling"] >= attack["epsilon_lower_bound"]
        assert attack["verdict_bounds"]["epsilon_ceiling"] >= \
            attack["verdict_bounds"]["epsilon_lower_bound"]
