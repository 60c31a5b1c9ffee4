"""AuditResults: figures taken once from the statistics, results.json written and read back
equal, older documents read, and the readers (summary, certificate, records) fed from it."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from synthcheck.auditing import figures
from synthcheck.auditing.results import FPR_TARGETS, AuditResults, Outcome, Side
from synthcheck.auditing.results_json import (
    UnreadableResults,
    audit_id,
    dumps,
    from_document,
    loads,
    to_document,
    unknown_keys,
)
from synthcheck.measure.attack_results import AttackResult

EXAMPLE = Path(__file__).resolve().parents[1] / "certificate" / "example_results.json"


def attack(shift: float, size: int, seed: int, leaked: float = 0.0) -> AttackResult:
    """Non-members N(0, 1); members N(shift, 1), a ``leaked`` share of them at N(6, 0.5)."""
    rng = np.random.default_rng(seed)
    members = rng.normal(shift, 1.0, size)
    copies = rng.random(size) < leaked
    members[copies] = rng.normal(6.0, 0.5, copies.sum())
    return AttackResult(members=members, non_members=rng.normal(size=size), delta=1e-5, seed=seed)


def figures_of(result: AttackResult) -> figures.AttackFigures:
    return figures.attack_figures(result, description="test", details={"k": [1, 2]},
                                  confidence=0.95, epsilon_level=0.98, verdict_level=0.99,
                                  pass_level=0.95)


@pytest.fixture(scope="module")
def example() -> AuditResults:
    return from_document(json.loads(EXAMPLE.read_text()))


def test_figures_carry_their_level_and_every_fpr_target():
    result = attack(0.5, 1500, 1)
    shown = figures_of(result)
    assert set(shown.tpr_at_fpr) == set(FPR_TARGETS)
    assert shown.auc.level == 0.95 and shown.tpr(0.01).level == 0.95
    assert shown.auc.value == result.auc(0.95).value
    assert shown.epsilon_level == 0.98 and shown.epsilon_lower_bound == result.epsilon(0.98)
    assert shown.verdict_bounds.level == 0.99
    assert shown.verdict_bounds.auc.low == result.auc_bounds(0.99).low
    assert shown.verdict_bounds.auc.high == result.auc_bounds(0.95).high
    document = json.loads(dumps(to_document_of(shown)))
    assert set(document["tpr_at_fpr"]) == {"0.001", "0.01", "0.1"}
    assert all(type(v) is float for v in document["auc"].values())


def to_document_of(value):
    from synthcheck.support.codec import encode

    return encode(value)


def test_overall_names_the_attack_behind_each_figure():
    runs = {"weak": attack(0.2, 3000, 4), "copies": attack(0.0, 3000, 5, leaked=0.05),
            "broad": attack(0.8, 3000, 6)}
    shown = {name: figures_of(result) for name, result in runs.items()}
    row = figures.overall(shown)
    # A 5 % far-out leak wins at low FPR; a broad shift wins the AUC.
    assert row.from_attack["auc"] == "broad"
    assert row.from_attack["tpr_at_fpr"]["0.001"] == "copies"
    assert row.auc == shown["broad"].auc
    assert row.epsilon_lower_bound == max(r.epsilon(0.98) for r in runs.values())


def test_strongest_is_one_rule_and_says_when_every_attack_is_at_the_ceiling():
    clean = {name: figures_of(attack(0.0, 1500, seed)) for seed, name in enumerate("abc")}
    best = figures.strongest(clean)
    assert best.attack in clean and not best.stands_out and not best.ceiling
    assert figures.overall(clean).strongest_attack is None
    clean["leaky"] = figures_of(attack(0.0, 1500, 9, leaked=0.1))
    best = figures.strongest(clean)
    assert (best.attack, best.stands_out) == ("leaky", True)
    total = {name: figures_of(attack(20.0, 1500, seed)) for seed, name in enumerate("xyz")}
    best = figures.strongest(total)
    assert best.all_at_ceiling and not best.stands_out and len(best.ceiling) == 3
    assert best.describe().startswith("every attack at the ceiling (TPR at FPR 1 % = 100 %")


def test_the_example_reads_back_equal_and_writes_back_the_same_document(example):
    document = json.loads(EXAMPLE.read_text())
    assert to_document(example) == document
    assert from_document(to_document(example)) == example
    assert loads(dumps(example)) == example
    assert example.verdict is Outcome.PASS
    assert all(isinstance(c.side, Side) for c in example.checks)
    assert unknown_keys(document) == []


@pytest.mark.slow
def test_a_real_audit_reads_back_equal():
    import pandas as pd

    import synthcheck
    from tests.conftest import FIXTURES, partial_leak

    adult = {part: pd.read_csv(FIXTURES / f"adult_{part}.csv") for part in ("train", "population")}
    result = synthcheck.audit(FIXTURES / "adult_train.csv", FIXTURES / "adult_holdout.csv",
                              synthetic=partial_leak(adult, seed=3), id_column="person_id")
    again = loads(result.to_json())
    assert again == result.results
    assert again.audit_id == audit_id(result.document)
    for field in dataclasses.fields(AuditResults):  # every part, not only the whole
        assert getattr(again, field.name) == getattr(result.results, field.name), field.name


def test_a_schema_1_1_document_is_read(example):
    """What 0.2 wrote: no levels, no strongest, no figure or side on the checks."""
    document = json.loads(EXAMPLE.read_text())
    document["schema_version"] = "1.1"
    for block in document["attacks"].values():
        del block["auc"]["level"], block["epsilon_level"]
        for entry in block["tpr_at_fpr"].values():
            if entry is not None:
                del entry["level"]
    del document["overall"]["strongest"]
    for check in document["verdict_reasons"]:
        del check["figure"], check["side"]
    old = from_document(document)
    assert old.attacks["dcr"].auc.level is None and old.overall.strongest is None
    assert old.checks[0].side is None and old.verdict == example.verdict
    assert to_document(old) == document  # nothing invented on the way back


def test_unknown_keys_are_named_and_broken_documents_refused():
    document = json.loads(EXAMPLE.read_text())
    document["parameters"]["future_knob"] = 3
    document["future_section"] = {"risk": 0.1}
    assert set(unknown_keys(document)) == {"parameters.future_knob", "future_section"}
    del document["counts"]
    with pytest.raises(UnreadableResults, match="counts"):
        from_document(document)
    with pytest.raises(UnreadableResults):
        loads("[1, 2]")
