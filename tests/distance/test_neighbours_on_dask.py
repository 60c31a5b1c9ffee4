"""Neighbour searches as Dask tasks over query blocks: the same answers as the local search, and
the blocks really ran on the cluster (counted in the scheduler's task stream)."""
from __future__ import annotations

import numpy as np
import pytest

from synthcheck.distance.neighbours import nearest
from tests.conftest import synthcheck_tasks
from tests.distance.test_neighbours import encoded  # noqa: F401 (fixture)

distributed = pytest.importorskip("distributed")


def test_neighbour_searches_on_dask_equal_the_local_ones(encoded, dask_client, monkeypatch):  # noqa: F811
    monkeypatch.setattr("synthcheck.distance.neighbours.QUERY_BLOCK", 256)  # several blocks
    monkeypatch.setattr("synthcheck.distance.neighbours.PRUNED_QUERY_BLOCK", 256)
    query, base = encoded["train"], np.vstack([encoded["holdout"], encoded["population"]])
    groups = (np.arange(len(query)) % 5, np.arange(len(base)) % 5)
    searches = [dict(method="pruned", k=1), dict(method="pruned", k=3, groups=groups),
                dict(method="blocked", k=1, bandwidth=0.3, groups=groups)]
    with distributed.get_task_stream(dask_client) as stream:
        for options in searches:
            local = nearest(query, base, **options)
            remote = nearest(query, base, scheduler=dask_client, **options)
            np.testing.assert_array_equal(local.distances, remote.distances)
            np.testing.assert_array_equal(local.indices, remote.indices)
            if options.get("bandwidth"):
                np.testing.assert_array_equal(local.log_kernel_sum, remote.log_kernel_sum)
    blocks = -(-len(query) // 256)
    assert synthcheck_tasks(stream.data) == {"neighbours": len(searches) * blocks}


def test_approximate_search_on_dask_equals_the_local_one(encoded, dask_client, monkeypatch):  # noqa: F811
    pytest.importorskip("faiss")
    from synthcheck.distance.approximate import approximate_nearest

    monkeypatch.setattr("synthcheck.distance.approximate.QUERY_BLOCK", 400)
    query, base = encoded["train"], np.vstack([encoded["holdout"], encoded["population"]])
    groups = (np.arange(len(query)) % 5, np.arange(len(base)) % 5)
    with distributed.get_task_stream(dask_client) as stream:
        local = approximate_nearest(query, base, groups=groups)
        remote = approximate_nearest(query, base, groups=groups, scheduler=dask_client)
    np.testing.assert_array_equal(local.indices, remote.indices)
    np.testing.assert_array_equal(local.distances, remote.distances)
    assert not (groups[1][remote.indices[:, 0]] == groups[0]).any()
    assert synthcheck_tasks(stream.data) == {"approximate": -(-len(query) // 400)}
