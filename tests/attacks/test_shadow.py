"""The shadow attack: catches leaks, stays quiet on clean releases, sound under DP, identical on
every backend, and survives failing fits."""
from __future__ import annotations

import itertools
import uuid

import numpy as np
import pandas as pd
import pytest

import synthcheck
from synthcheck.attacks.shadow import likelihood_ratio, query_counts, shadow_training_sets
from synthcheck.errors import InputError
from tests.conftest import FIXTURES

pytestmark = pytest.mark.slow  # whole audits (the quick loop is -m 'not slow')

CONTROLS = "synthcheck.generators.controls"
POPULATION = str(FIXTURES / "adult_population.csv")


@pytest.fixture(scope="module")
def small(adult):
    return adult["train"].head(300).copy(), adult["holdout"].head(300).copy()


def run(data, **options):
    train, holdout = data
    options.setdefault("jobs", 1)
    options.setdefault("shadows", 8)
    return synthcheck.audit(train, holdout, id_column="person_id", **options)


def contains_half(interval: dict) -> bool:
    return interval["low"] <= 0.5 <= interval["high"]


# ------------------------------------------------------------------------------------------
# What the attack finds
# ------------------------------------------------------------------------------------------

def test_a_generator_that_memorises_is_caught(small):
    result = run(small, generator=f"{CONTROLS}:NoisyCopies", generator_params={"noise": 0.02},
                 attacks=["shadow"])
    shadow = result.document["attacks"]["shadow"]
    assert shadow["auc"]["value"] >= 0.95, shadow["auc"]
    assert shadow["auc"]["low"] > 0.9
    # the epsilon machinery can exceed a small epsilon: the DP test below could fail
    assert shadow["epsilon_lower_bound"] > 1.0
    details = shadow["details"]
    assert details["shadows_used"] == 8 and details["shadows_failed"] == []
    assert [step["shadows"] for step in details["auc_by_shadows"]] == [4, 8]
    assert details["auc_by_shadows"][-1]["value"] >= 0.95
    assert details["inclusion_rate"] == pytest.approx(0.5)
    assert details["shadow_training_rows"] == 300
    # vulnerability: per record in records.parquet, ids never in results.json
    records = result.records
    assert sorted(records["vulnerability_rank"]) == list(range(1, 601))
    text = result.to_json()
    assert not any(pid in text for pid in small[0]["person_id"])


def test_a_sample_of_candidates_is_scored_while_shadows_train_on_every_record(small):
    result = run(small, generator=f"{CONTROLS}:NoisyCopies", generator_params={"noise": 0.02},
                 attacks=["shadow"], shadows=4, max_candidates=200)
    shadow = result.document["attacks"]["shadow"]
    assert len(result.records) == 200 and result.records["member"].sum() == 100
    assert shadow["details"]["shadow_training_rows"] == 300
    assert shadow["auc"]["value"] >= 0.95


def test_a_generator_that_never_sees_train_is_not_flagged(small):
    result = run(small, generator=f"{CONTROLS}:SampleFrom", generator_params={"path": POPULATION})
    attacks = result.document["attacks"]
    assert contains_half(attacks["shadow"]["auc"]), attacks["shadow"]["auc"]
    for name, attack in attacks.items():  # at the verdict's multiplicity-adjusted level
        assert contains_half(attack["verdict_bounds"]["auc"]), (name, attack["auc"])
    for step in attacks["shadow"]["details"]["auc_by_shadows"]:
        # each K's 95 % interval alone misses 0.5 one time in twenty: allow twice its width
        width = (step["high"] - step["low"]) / 2
        assert abs(step["value"] - 0.5) < 2 * width, step


def test_gaussian_copula_shadow_reported_next_to_dcr_and_density_ratio(adult):
    data = adult["train"].head(500), adult["holdout"].head(500)
    result = run(data, generator="sdv:GaussianCopulaSynthesizer", jobs=2)
    attacks = result.document["attacks"]
    assert {"dcr", "density-ratio", "shadow"} <= set(attacks)
    for name in ("dcr", "density-ratio", "shadow"):
        tpr = attacks[name]["tpr_at_fpr"]["0.01"]
        assert tpr is not None and tpr["low"] <= tpr["value"] <= tpr["high"]
        assert tpr["fpr_achieved"] <= 0.01
    summary = result.summary
    rows = {line.split()[0]: line for line in summary.splitlines() if line.split()}
    assert "TPR% @FPR 1%" in rows["attack"]  # the table's rates are in percent
    for name in ("dcr", "density-ratio", "shadow"):
        assert name in rows and len(rows[name].split()) >= 6, rows.get(name)
    print("\n" + summary)  # the side-by-side table (run pytest -s to see it)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_differentially_private_generator_never_exceeds_its_epsilon(small, seed):
    epsilon = 1.0
    result = run(small, generator=f"{CONTROLS}:LaplaceMarginals",
                 generator_params={"epsilon": epsilon, "public": POPULATION}, seed=seed)
    assert "shadow" in result.document["attacks"]
    assert result.document["overall"]["epsilon_lower_bound"] <= epsilon
    for attack in result.document["attacks"].values():
        assert attack["epsilon_lower_bound"] <= epsilon
        assert attack["verdict_bounds"]["epsilon_lower_bound"] <= epsilon


# ------------------------------------------------------------------------------------------
# Backends, retries, failures
# ------------------------------------------------------------------------------------------

def test_joblib_and_a_dask_cluster_give_identical_results(adult):
    distributed = pytest.importorskip("distributed")
    data = adult["train"].head(200), adult["holdout"].head(200)
    options = {"generator": f"{CONTROLS}:NoisyCopies", "generator_params": {"noise": 0.1},
               "attacks": ["shadow"], "shadows": 4, "seed": 3}
    local = run(data, jobs=2, **options)
    in_process = run(data, jobs=1, **options)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        remote = run(data, scheduler=cluster.scheduler_address, **options)
    assert remote.document["attacks"]["shadow"]["details"]["backend"] == "dask"
    assert local.document["attacks"]["shadow"]["details"]["backend"] == "joblib"
    for other in (in_process, remote):
        np.testing.assert_array_equal(local.records["score_shadow"], other.records["score_shadow"])
        assert (local.document["attacks"]["shadow"]["details"]["auc_by_shadows"]
                == other.document["attacks"]["shadow"]["details"]["auc_by_shadows"])


def test_an_unreachable_scheduler_is_an_input_error(small, monkeypatch):
    monkeypatch.setattr("synthcheck.support.parallel.CONNECT_TIMEOUT", "2s")
    with pytest.raises(InputError, match="cannot reach the Dask scheduler"):
        run(small, generator=f"{CONTROLS}:NoisyCopies", attacks=["shadow"], shadows=4,
            scheduler="tcp://127.0.0.1:9")


def test_a_failed_fit_is_retried_once(small, adult):
    token = uuid.uuid4().hex
    result = run(small, synthetic=adult["population"].head(300), attacks=["shadow"],
                 generator="tests.generators.toys:FailsFirstTry", generator_params={"token": token})
    details = result.document["attacks"]["shadow"]["details"]
    assert details["shadows_used"] == 8 and details["retried"] == 8
    assert details["shadows_failed"] == []


def test_fits_that_keep_failing_are_reported_and_the_audit_completes(small, adult):
    messages: list[str] = []
    value = int(small[0]["fnlwgt"].iloc[0])
    assert (pd.concat(small)["fnlwgt"] == value).sum() == 1
    result = run(small, synthetic=adult["population"].head(300), attacks=["dcr", "shadow"],
                 generator="tests.generators.toys:FailsWithValue",
                 generator_params={"column": "fnlwgt", "value": value}, log=messages.append)
    details = result.document["attacks"]["shadow"]["details"]
    # complementary halves: the one record that breaks the generator is in one shadow per pair
    assert details["shadows_requested"] == 8 and details["shadows_used"] == 4
    assert len(details["shadows_failed"]) == 4
    assert all(f"fnlwgt={value}" in failure["error"] for failure in details["shadows_failed"])
    assert any("4 of 8 fit(s) failed after a retry" in m and "the 4 that succeeded" in m
               for m in messages), messages
    assert result.records["score_shadow"].notna().all()


def test_too_few_successful_fits_is_an_input_error(small, adult):
    with pytest.raises(InputError, match=r"only 0 of 4 shadow fits succeeded.*never fits"):
        run(small, synthetic=adult["population"].head(300), attacks=["shadow"], shadows=4,
            generator="tests.generators.toys:AlwaysFails")


# ------------------------------------------------------------------------------------------
# The parts
# ------------------------------------------------------------------------------------------

def test_shadow_training_sets_are_balanced_complementary_and_prefix_stable():
    sets = shadow_training_sets(pool_size=100, training_rows=50, shadows=8, seed=7)
    included = np.zeros((8, 100), dtype=bool)
    for k, rows in enumerate(sets):
        assert len(rows) == 50 and len(set(rows)) == 50
        included[k, rows] = True
    for k in (2, 4, 6, 8):  # every even prefix: each record in exactly half the shadows
        assert (included[:k].sum(axis=0) == k // 2).all()
    shorter = shadow_training_sets(100, 50, 4, seed=7)
    assert all(np.array_equal(a, b) for a, b in zip(shorter, sets))
    assert not np.array_equal(shadow_training_sets(100, 50, 2, seed=8)[0], sets[0])
    # a larger holdout: halves are cut to |train| rows, so inclusion drops below one half
    cut = shadow_training_sets(pool_size=100, training_rows=30, shadows=4, seed=7)
    assert all(len(rows) == 30 for rows in cut)
    assert not set(cut[0]) & set(cut[1])


def test_query_counts_match_counting_by_hand():
    rng = np.random.default_rng(0)
    colours = np.array(["red", "blue", None], dtype=object)
    def table(n):
        size = rng.normal(size=n).round(1)
        size[rng.random(n) < 0.1] = np.nan
        return pd.DataFrame({"colour": rng.choice(colours, n), "shape": rng.choice(["o", "x"], n),
                             "size": size})
    candidates, release = table(60), table(200)
    queries = ((("colour", "shape"), "size"), (("colour",), None), ((), "size"))
    counts = query_counts(candidates, release, queries)
    for i, (_, row) in enumerate(candidates.iterrows()):
        colour = row["colour"]
        same_colour = release["colour"].map(lambda v, c=colour: v == c or (v is None and c is None))
        same_shape = release["shape"] == row["shape"]
        if np.isnan(row["size"]):
            below = release["size"].isna()
        else:
            below = release["size"] <= row["size"]
        assert counts[i, 0] == (same_colour & same_shape & below).sum()
        assert counts[i, 1] == same_colour.sum()
        assert counts[i, 2] == below.sum()


def test_likelihood_ratio_scores_in_like_targets_higher_and_ignores_noise_features():
    rng = np.random.default_rng(1)
    fits, n = 16, 400
    included = np.zeros((fits, n), dtype=bool)
    for pair in range(fits // 2):
        half = rng.permutation(n)[: n // 2]
        included[2 * pair, half] = True
        included[2 * pair + 1] = ~included[2 * pair]
    base = rng.normal(size=n)
    signal = base + 1.0 * included + 0.3 * rng.normal(size=(fits, n))  # in shifts by +1
    noise = rng.normal(size=(fits, n))  # says nothing about membership
    observations = np.stack([signal, noise], axis=2)
    member = rng.random(n) < 0.5
    target = np.column_stack([base + member + 0.3 * rng.normal(size=n), rng.normal(size=n)])
    scores = likelihood_ratio(observations, included, target)
    assert np.isfinite(scores).all()
    assert scores[member].mean() > scores[~member].mean() + 2
    alone = likelihood_ratio(observations[:, :, :1], included, target[:, :1])
    assert np.corrcoef(scores, alone)[0, 1] > 0.95  # the noise feature barely moves scores
    constant = np.zeros((fits, n, 1))
    assert (likelihood_ratio(constant, included, np.zeros((n, 1))) == 0).all()
    assert list(itertools.islice(scores, 0)) == []
