"""The heavy passes on a Dask cluster: the same answers as on this machine, and the blocks really
ran as tasks on the cluster (counted in the scheduler's task stream)."""
from __future__ import annotations

import json

import numpy as np
import pytest

import synthcheck
from synthcheck.distance.neighbours import nearest
from synthcheck.inputs.rows import found_rows
from tests.test_neighbours import encoded  # noqa: F401 (fixture)

distributed = pytest.importorskip("distributed")


def synthcheck_tasks(stream: list[dict]) -> dict[str, int]:
    """Tasks of each synthcheck pass in a task stream ("synthcheck-<pass>-<run>-<block>")."""
    counts: dict[str, int] = {}
    for task in stream:
        key = task["key"] if isinstance(task["key"], str) else str(task["key"])
        if key.startswith("synthcheck-"):
            name = key.split("-")[1]
            counts[name] = counts.get(name, 0) + 1
    return counts


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as connected:
        yield connected


def test_neighbour_searches_on_dask_equal_the_local_ones(encoded, client, monkeypatch):  # noqa: F811
    monkeypatch.setattr("synthcheck.distance.neighbours.QUERY_BLOCK", 256)  # several blocks
    monkeypatch.setattr("synthcheck.distance.neighbours.PRUNED_QUERY_BLOCK", 256)
    query, base = encoded["train"], np.vstack([encoded["holdout"], encoded["population"]])
    groups = (np.arange(len(query)) % 5, np.arange(len(base)) % 5)
    searches = [dict(method="pruned", k=1), dict(method="pruned", k=3, groups=groups),
                dict(method="blocked", k=1, bandwidth=0.3, groups=groups)]
    with distributed.get_task_stream(client) as stream:
        for options in searches:
            local = nearest(query, base, **options)
            remote = nearest(query, base, scheduler=client, **options)
            np.testing.assert_array_equal(local.distances, remote.distances)
            np.testing.assert_array_equal(local.indices, remote.indices)
            if options.get("bandwidth"):
                np.testing.assert_array_equal(local.log_kernel_sum, remote.log_kernel_sum)
    blocks = -(-len(query) // 256)
    assert synthcheck_tasks(stream.data) == {"neighbours": len(searches) * blocks}


def test_copies_found_on_dask_equal_the_local_ones(adult, client, monkeypatch):
    monkeypatch.setattr("synthcheck.inputs.rows.HASH_BLOCK", 500)
    candidates = adult["train"]
    release = candidates.sample(frac=1.0, random_state=0).head(700)
    with distributed.get_task_stream(client) as stream:
        remote = found_rows(candidates, release, scheduler=client)
    np.testing.assert_array_equal(remote, found_rows(candidates, release))
    assert remote.sum() >= 700
    assert synthcheck_tasks(stream.data) == {"row": 3 + 2}  # "row-hashes": 1,500 + 700 rows


def comparable(result) -> dict:
    document = json.loads(result.to_json())
    document.pop("created", None)
    return document


@pytest.mark.slow
@pytest.mark.parametrize("options", [{}, {"density": "classifier"}])
def test_an_audit_without_a_generator_on_a_local_cluster_equals_the_local_audit(adult, options):
    """Two worker processes: the distance, density and copy passes run there as tasks; the
    results and every record's scores are identical to the local run."""
    data = adult["train"], adult["holdout"]
    local = synthcheck.audit(*data, synthetic=adult["population"], seed=4, **options)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client, \
            distributed.get_task_stream(client) as stream:
        remote = synthcheck.audit(*data, synthetic=adult["population"], seed=4,
                                  scheduler=cluster.scheduler_address, **options)
    ran = synthcheck_tasks(stream.data)
    workers = {task["worker"] for task in stream.data if str(task["key"]).startswith("synthcheck-")}
    assert comparable(remote) == comparable(local)
    assert remote.records.equals(local.records)
    assert ran["neighbours"] >= 2 and ran["row"] >= 2  # distances (and kde sums), copies
    if options.get("density") == "classifier":
        assert ran["density"] == 5  # one fit per fold
    assert len(workers) == 2
