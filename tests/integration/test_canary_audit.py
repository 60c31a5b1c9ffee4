"""Issue 16: the canary audit through the API, beside the shadow attack (whole audits)."""
from __future__ import annotations

import pytest

import synthcheck
from tests.conftest import FIXTURES

pytestmark = pytest.mark.slow  # whole audits

TRAIN, HOLDOUT = FIXTURES / "adult_train.csv", FIXTURES / "adult_holdout.csv"


def test_a_memorising_generator_claimed_at_epsilon_1_is_refuted():
    found = synthcheck.audit(TRAIN, HOLDOUT, generator="synthcheck.generators.controls:NoisyCopies",
                             id_column="person_id", canaries=300, claimed_epsilon=1.0,
                             attacks="dcr,shadow", shadows=4, quiet=True)
    block = found.document["canary_audit"]
    for key in ("canaries", "included", "epsilon_lower_bound", "epsilon_ceiling", "level",
                "delta", "attack"):
        assert key in block, key
    assert block["canaries"] == 300 and 100 < block["included"] < 200
    assert block["epsilon_ceiling"] >= block["epsilon_lower_bound"] > 1.0
    refuted = [c for c in found.results.failing() if c.check == "claimed_epsilon"]
    assert refuted and "DP claim refuted" in refuted[0].reason
    assert "DP claim refuted" in found.summary
    # canaries are never records: the per-record table holds train and holdout only
    assert len(found.records) == found.results.counts.members + found.results.counts.non_members
    assert "shadow" in found.results.attacks  # beside the shadow attack in the same run


def test_a_marginal_sampler_is_not_refuted():
    found = synthcheck.audit(TRAIN, HOLDOUT,
                             generator="synthcheck.generators.controls:EmpiricalMarginals",
                             id_column="person_id", canaries=300,
                             policy={"claimed_epsilon": 1.0, "limits": {"max_auc": 0.6}},
                             attacks="dcr", quiet=True)
    check = next(c for c in found.results.checks if c.check == "claimed_epsilon")
    assert check.outcome == "PASS" and "within the claimed ε 1.00" in check.reason
    assert found.results.canary_audit.claimed_epsilon == 1.0
