"""Row hashes for the exact-copy check as Dask tasks over blocks of rows: the same rows found."""
from __future__ import annotations

import numpy as np
import pytest

from synthcheck.inputs.rows import found_rows
from tests.conftest import synthcheck_tasks

distributed = pytest.importorskip("distributed")


def test_copies_found_on_dask_equal_the_local_ones(adult, dask_client, monkeypatch):
    monkeypatch.setattr("synthcheck.inputs.rows.HASH_BLOCK", 500)
    candidates = adult["train"]
    release = candidates.sample(frac=1.0, random_state=0).head(700)
    with distributed.get_task_stream(dask_client) as stream:
        remote = found_rows(candidates, release, scheduler=dask_client)
    np.testing.assert_array_equal(remote, found_rows(candidates, release))
    assert remote.sum() >= 700
    assert synthcheck_tasks(stream.data) == {"row": 3 + 2}  # "row-hashes": 1,500 + 700 rows
