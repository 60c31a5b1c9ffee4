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
from synthcheck.distance import approximate  # noqa: E402
from synthcheck.distance.approximate import approximate_nearest, distance_recall  # noqa: E402


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


def test_every_cell_probed_finds_the_exact_nearest_allowed_row(encoded):  # noqa: F811
    """The cell-by-cell products compare a query with every row of its probed cells: with
    all cells probed the answer is the exact one (up to equally near rows), with groups too."""
    query, base = encoded["train"][:400], encoded["population"]
    index = approximate.build_index(base)
    exact, _, _ = brute_force(query, base, 1)
    found = approximate._search(index, query, index.nlist, None)
    got = np.sqrt(((query.astype(np.float64) - base[found]) ** 2).sum(1))
    np.testing.assert_allclose(got, exact[:, 0], rtol=1e-5, atol=1e-5)
    groups = (np.arange(len(query)) % 5, np.arange(len(base)) % 5)
    exact, _, _ = brute_force(query, base, 1, *groups)
    found = approximate._search(index, query, index.nlist, groups)
    assert not (groups[1][found] == groups[0]).any()
    got = np.sqrt(((query.astype(np.float64) - base[found]) ** 2).sum(1))
    np.testing.assert_allclose(got, exact[:, 0], rtol=1e-5, atol=1e-5)


def test_the_exact_reference_is_the_brute_force_nearest_distance(encoded, monkeypatch):  # noqa: F811
    monkeypatch.setattr(approximate, "EXACT_BASE_BLOCK", 250)  # several blocks of base rows
    query, base = encoded["train"], encoded["population"]
    rows = np.arange(0, len(query), 7)
    exact, _, _ = brute_force(query[rows], base, 1)
    np.testing.assert_allclose(approximate._exact_reference(query, base, rows, None),
                               exact[:, 0], rtol=1e-6, atol=1e-6)
    groups = (np.arange(len(query)) % 5, np.arange(len(base)) % 5)
    exact, _, _ = brute_force(query[rows], base, 1, groups[0][rows], groups[1])
    np.testing.assert_allclose(approximate._exact_reference(query, base, rows, groups),
                               exact[:, 0], rtol=1e-6, atol=1e-6)
    alone = (np.zeros(len(query), np.int64), np.zeros(len(base), np.int64))  # all excluded
    assert np.isinf(approximate._exact_reference(query, base, rows[:3], alone)).all()


def test_a_query_whose_cells_hold_only_its_own_group_is_searched_exactly():
    rng = np.random.default_rng(0)
    near = rng.normal(0, 0.1, (4000, 3)).astype(np.float32)  # all of group 0
    far = rng.normal(10, 0.1, (50, 3)).astype(np.float32)  # group 1
    base = np.vstack([near, far])
    base_groups = np.r_[np.zeros(len(near), np.int64), np.ones(len(far), np.int64)]
    query = np.zeros((3, 3), np.float32)
    index = approximate.build_index(base)
    groups = (np.zeros(3, np.int64), base_groups)
    assert (approximate._search(index, query, 1, groups) == -1).all()  # cells: group 0 only
    found = approximate._search(index, query, 1, groups, base)
    _, nearest_allowed, _ = brute_force(query, base, 1, *groups)
    np.testing.assert_array_equal(found, nearest_allowed[:, 0])


def test_the_search_setting_is_reported_and_recall_measured_on_other_rows(encoded):  # noqa: F811
    query, base = encoded["train"], encoded["population"]
    settings: dict = {}
    approximate_nearest(query, base, settings=settings)
    assert settings == {"cells": approximate.cell_count(len(base)),
                        "nprobe": settings["nprobe"]}
    assert settings["nprobe"] in (8, 16, 32) or settings["nprobe"] == settings["cells"]
    # the recall reported is measured on rows drawn apart from the rows that tuned nprobe
    from synthcheck.support.randomness import rng as rng_for
    tuned = rng_for(0, "approx-recall-tuning").choice(1_000_000, 1000, replace=False)
    measured = rng_for(0, "approx-recall").choice(1_000_000, 2000, replace=False)
    assert len(np.intersect1d(tuned, measured)) <= 10  # independent draws, not the same rows


def test_the_recorded_recall_carries_the_search_setting():
    from synthcheck.auditing.pipeline import _recall_interval
    from synthcheck.auditing.results import NeighbourRecall
    from synthcheck.support.codec import encode

    recorded = encode(NeighbourRecall(**_recall_interval(
        {"recall": 0.995, "hits": 1990, "sample": 2000, "cells": 2000, "nprobe": 8})))
    assert recorded["cells"] == 2000 and recorded["nprobe"] == 8
    assert recorded["low"] < 0.995 < recorded["high"]
    schema = json.loads((Path(synthcheck.__file__).parent / "schema" / "results.schema.json").read_text())
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(recorded, schema["properties"]["parameters"]["properties"]
                        ["neighbour_recall"]["additionalProperties"])
    older = encode(NeighbourRecall(**_recall_interval({"recall": 1.0, "hits": 5, "sample": 5})))
    assert "cells" not in older and "nprobe" not in older


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
    assert all(r["cells"] >= 1 and r["nprobe"] >= 1 for r in parameters["neighbour_recall"].values())
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
