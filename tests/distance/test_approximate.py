"""Approximate neighbours (recall measured against the exact search) and candidate sampling."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import synthcheck
from synthcheck.auditing.pipeline import sample_candidates
from tests.distance.test_neighbours import brute_force, encoded  # noqa: F401 (fixture)

pytest.importorskip("faiss")
from synthcheck.distance.approximate import approximate_nearest, distance_recall


@pytest.mark.slow
def test_approximate_neighbours_reach_the_target_recall_and_report_it_truthfully(encoded):  # noqa: F811
    query, base = encoded["train"], np.vstack([encoded["holdout"], encoded["population"]])
    found = approximate_nearest(query, base, target_recall=0.99)
    exact, _, _ = brute_force(query, base, 1)
    true_recall = np.mean(found.distances[:, 0] <= exact[:, 0] * (1 + 1e-6) + 1e-6)
    assert true_recall >= 0.98
    measured = distance_recall(query, base, found, sample=len(query))
    assert measured["recall"] == pytest.approx(true_recall)
    assert measured["hits"] == round(true_recall * len(query)) and measured["sample"] == len(query)
    recomputed = np.sqrt(((query.astype(np.float64) - base[found.indices[:, 0]]) ** 2).sum(1))
    np.testing.assert_allclose(found.distances[:, 0], recomputed, atol=1e-12)


def test_recall_measurement_sees_a_bad_answer(encoded):  # noqa: F811
    query, base = encoded["train"][:300], encoded["population"]
    exact = approximate_nearest(query, base)
    worse = type(exact)(exact.distances + 0.5, exact.indices, None)
    assert distance_recall(query, base, worse)["recall"] == 0.0


@pytest.mark.slow
def test_approximate_search_respects_groups(encoded):  # noqa: F811
    query, base = encoded["train"], encoded["population"]
    groups = (np.arange(len(query)) % 5, np.arange(len(base)) % 5)
    found = approximate_nearest(query, base, groups=groups)
    assert not (groups[1][found.indices[:, 0]] == groups[0]).any()
    exact, _, _ = brute_force(query, base, 1, *groups)
    assert np.mean(found.distances[:, 0] <= exact[:, 0] + 1e-6) >= 0.98


def test_candidate_sample_is_stratified_seeded_and_recorded():
    members, non_members, info = sample_candidates(3000, 1000, 400, seed=7)
    assert (len(members), len(non_members)) == (300, 100)
    assert info["members"] == 300 and info["of_members"] == 3000 and info["seed"] == 7
    again = sample_candidates(3000, 1000, 400, seed=7)
    assert np.array_equal(again[0], members) and np.array_equal(again[1], non_members)
    other = sample_candidates(3000, 1000, 400, seed=8)
    assert not np.array_equal(other[0], members)
    everything = sample_candidates(30, 10, 400, seed=7)
    assert everything[2] == "all" and len(everything[0]) == 30


@pytest.mark.slow
def test_audit_with_approximate_neighbours_and_max_candidates(adult):
    result = synthcheck.audit(adult["train"], adult["holdout"], synthetic=adult["population"],
                              id_column="person_id", neighbours="approx", max_candidates=1000,
                              density="classifier")
    parameters = result.document["parameters"]
    assert parameters["neighbours"] == "approx"
    assert set(parameters["neighbour_recall"]) == {"synthetic", "reference"}
    assert all(r["recall"] >= 0.95 and r["low"] <= r["recall"] <= r["high"]
               for r in parameters["neighbour_recall"].values())
    assert parameters["candidates"]["members"] == 500
    assert len(result.records) == 1000
    assert result.document["counts"]["members"] == 500
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((Path(synthcheck.__file__).parent / "schema" / "results.schema.json").read_text())
    jsonschema.validate(result.document, schema)


@pytest.mark.slow
def test_approximate_search_is_never_reported_when_exact_ran(adult):
    forced_kde = synthcheck.audit(adult["train"], adult["holdout"], synthetic=adult["population"],
                                  id_column="person_id", neighbours="approx", density="kde")
    assert forced_kde.document["parameters"]["neighbours"] == "exact"
    assert "neighbour_recall" not in forced_kde.document["parameters"]
    approx = synthcheck.audit(adult["train"], adult["holdout"], synthetic=adult["population"],
                              id_column="person_id", neighbours="approx")
    assert approx.document["parameters"]["neighbours"] == "approx"
    assert approx.document["parameters"]["density_estimator"] == "classifier"
    assert approx.document["parameters"]["neighbour_recall"]
