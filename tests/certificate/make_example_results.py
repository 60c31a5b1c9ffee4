"""Build ``example_results.json``: the results of an audit of simulated scores, for certificate
tests that should not run an audit.

The scores are simulated (members a little closer to the synthetic data than non-members, a few
memorised-looking ones); everything else is synthcheck's own: the statistics, the verdict of
the default policy and the ``AuditResults`` written by ``results_json``, so the fixture always
has the current schema. 1,500 members and 900 non-members: TPR at FPR 0.1 % is not measurable
(fewer than 1,000 non-members), as a reader of small audits sees it. Rebuild with
``python -m tests.certificate.make_example_results [members non_members]``; with sizes it prints
the document for that size instead of writing the file.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent


def simulated_scores(members: int, non_members: int, seed: int = 7) -> dict:
    rng = np.random.default_rng(seed)
    d_train = rng.gamma(2.0, 0.58, members)
    d_train[: max(1, members // 300)] *= 0.05  # a few memorised-looking records
    d_holdout = rng.gamma(2.0, 0.6, non_members)
    d_ref_m, d_ref_n = rng.gamma(2.0, 0.6, members), rng.gamma(2.0, 0.6, non_members)
    return {
        "dcr": (-d_train, -d_holdout),
        "dcr-ratio": (-np.log(d_train / d_ref_m), -np.log(d_holdout / d_ref_n)),
        "density-ratio": (rng.normal(0.08, 1, members), rng.normal(0, 1, non_members)),
    }


DESCRIPTIONS = {
    "dcr": "minus the distance to the closest synthetic record",
    "dcr-ratio": "minus the ratio of the distance to the closest synthetic record to the "
                 "distance to the closest reference (holdout) record, cross-fitted",
    "density-ratio": "DOMIAS: log p_synthetic(x) - log p_reference(x), reference densities "
                     "cross-fitted",
}


def build(members: int = 1500, non_members: int = 900, seed: int = 7) -> dict:
    from synthcheck.auditing.figures import attack_figures, overall
    from synthcheck.auditing.results import (
        AuditResults,
        Counts,
        FlaggedUnion,
        InputFile,
        Inputs,
        PolicyRecord,
        RecordedParameters,
    )
    from synthcheck.auditing.results_json import SCHEMA_VERSION, to_document, with_audit_id
    from synthcheck.measure import stats
    from synthcheck.measure.attack_results import attack_result
    from synthcheck.verdict.policy import default_policy, evaluate

    policy = default_policy()
    confidence, delta = 0.95, 1e-5
    is_member = np.r_[np.ones(members, bool), np.zeros(non_members, bool)]
    results = {name: attack_result(np.r_[m, n], is_member, delta=delta, seed=seed + i)
               for i, (name, (m, n)) in enumerate(simulated_scores(members, non_members,
                                                                    seed).items())}
    verdict = evaluate(policy, results)
    epsilon_level = stats.bonferroni_level(confidence, len(results))
    figures = {name: attack_figures(result, description=DESCRIPTIONS[name], details={},
                                    confidence=confidence, epsilon_level=epsilon_level,
                                    verdict_level=verdict.level, pass_level=verdict.pass_level)
               for name, result in results.items()}
    rng = np.random.default_rng(seed)
    distances = np.r_[-simulated_scores(members, non_members, seed)["dcr"][0],
                      -simulated_scores(members, non_members, seed)["dcr"][1]]
    risk = rng.uniform(0, 100, members + non_members)
    columns = {"age": "numeric", "workclass": "categorical", "fnlwgt": "numeric",
               "education": "categorical", "education-num": "numeric",
               "marital_status": "categorical", "occupation": "categorical",
               "relationship": "categorical", "race": "categorical", "sex": "categorical",
               "capital_gain": "numeric", "capital_loss": "numeric",
               "hours_per_week": "numeric", "native_country": "categorical",
               "income_per_year": "categorical"}
    document = AuditResults(
        schema_version=SCHEMA_VERSION, tool_version="0.1.0", audit_id="",
        created="2026-05-14T09:30:00Z", verdict=verdict.outcome,
        verdict_reasons=verdict.reasons, policy=PolicyRecord(**policy.describe()),
        inputs=Inputs(
            train=InputFile("3f0c" + "a1" * 30, members, 16, "adult_train.csv",
                            rows_scored=members),
            holdout=InputFile("9b12" + "c3" * 30, non_members, 16, "adult_holdout.csv",
                              rows_dropped=0, rows_scored=non_members),
            synthetic=InputFile("e7d4" + "5f" * 30, members, 15, "adult_synthetic.csv"),
            id_column="person_id", column_types=columns),
        generator={"name": "sdv:GaussianCopulaSynthesizer", "params": {}},
        parameters=RecordedParameters(seed=seed, confidence=confidence, folds=5, delta=delta,
                                      attacks=tuple(figures)),
        counts=Counts(members=members, non_members=non_members, synthetic=members,
                      flagged_records=0, flagged=FlaggedUnion(0, 0, 0.0)),
        attacks=figures, overall=overall(figures),
        summaries={
            "distance_to_synthetic": stats.histogram(
                {"train": distances[is_member], "holdout": distances[~is_member]}, bins=40),
            "risk": stats.histogram({"members": risk[is_member],
                                     "non_members": risk[~is_member]}, bins=20)},
        notes=("Simulated scores: a fixture for the certificate's tests.",))
    return to_document(with_audit_id(document))


if __name__ == "__main__":
    from synthcheck.auditing.results_json import dumps

    if len(sys.argv) > 2:
        print(dumps(build(int(sys.argv[1]), int(sys.argv[2]))))
    else:
        (HERE / "example_results.json").write_text(dumps(build()) + "\n")
