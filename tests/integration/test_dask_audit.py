"""A whole audit without a generator on a Dask LocalCluster of two worker processes: the
distance, density and copy passes run there as tasks, and the results and every record's scores
are identical to the local run. With --reference records (the second case), they join the
reference passes and the holdout check there too."""
from __future__ import annotations

import json

import pytest

import synthcheck
from tests.conftest import synthcheck_tasks

distributed = pytest.importorskip("distributed")
pytestmark = pytest.mark.slow  # whole audits (the quick loop is -m 'not slow')


def comparable(result) -> dict:
    document = json.loads(result.to_json())
    document.pop("created", None)
    return document


@pytest.mark.parametrize("options", [{}, {"density": "classifier", "neighbours": "approx"}])
def test_an_audit_without_a_generator_on_a_local_cluster_equals_the_local_audit(adult, options):
    if options.get("neighbours") == "approx":
        pytest.importorskip("faiss")
    data = adult["train"], adult["holdout"]
    release = adult["population"]
    if options:  # --reference records: half the population, the release the other half
        release = adult["population"].iloc[:600]
        options = {**options, "reference": adult["population"].iloc[600:]}
    local = synthcheck.audit(*data, synthetic=release, seed=4, **options)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client, \
            distributed.get_task_stream(client) as stream:
        remote = synthcheck.audit(*data, synthetic=release, seed=4,
                                  scheduler=cluster.scheduler_address, **options)
    ran = synthcheck_tasks(stream.data)
    workers = {task["worker"] for task in stream.data if str(task["key"]).startswith("synthcheck-")}
    assert comparable(remote) == comparable(local)
    assert remote.records.equals(local.records)
    assert ran["row"] >= 2  # the copy hashing
    if options:  # one fit per fold, in the audit and in the holdout check; searches
        assert ran["density"] == 10 and ran["approximate"] >= 2
        assert remote.document["holdout_check"] == local.document["holdout_check"] is not None
    else:
        assert ran["neighbours"] >= 2  # distances and kernel sums
    assert len(workers) == 2
