"""Shared fixtures: the bundled UCI Adult slices and ways to make controlled releases."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
NUMERIC = ["age", "fnlwgt", "education-num", "capital_gain", "capital_loss", "hours_per_week"]


@pytest.fixture(scope="session")
def adult() -> dict[str, pd.DataFrame]:
    return {part: pd.read_csv(FIXTURES / f"adult_{part}.csv")
            for part in ("train", "holdout", "population")}


def near_copies(rows: pd.DataFrame, seed: int, relative_noise: float = 0.01) -> pd.DataFrame:
    """Training rows with small multiplicative noise on numbers, rounded back to whole numbers
    as the columns are (SDV and most generators keep a column's precision): what a
    memorising generator emits."""
    rng = np.random.default_rng(seed)
    copies = rows.copy()
    for column in NUMERIC:
        values = copies[column].to_numpy(dtype=float)
        noisy = values * (1 + relative_noise * rng.standard_normal(len(values)))
        copies[column] = np.round(noisy).astype(int)
    copies["person_id"] = [f"S{i}" for i in range(len(copies))]
    return copies.reset_index(drop=True)


def partial_leak(adult: dict, seed: int, share: float = 0.10) -> pd.DataFrame:
    """share of the release are near-copies of train rows, the rest honest (other real rows)."""
    train, population = adult["train"], adult["population"]
    rng = np.random.default_rng(seed)
    copied = int(round(share * len(train)))
    leaked = near_copies(train.iloc[rng.choice(len(train), copied, replace=False)], seed)
    honest = population.iloc[rng.choice(len(population), len(train) - copied, replace=False)]
    release = pd.concat([leaked, honest], ignore_index=True)
    release["person_id"] = [f"S{i}" for i in range(len(release))]
    return release.sample(frac=1, random_state=seed).reset_index(drop=True)


@pytest.fixture(scope="session", autouse=True)
def _one_blas_thread_per_worker():
    """Under pytest-xdist (`make test` runs one worker per core) each worker keeps to one BLAS /
    OpenMP thread: two workers with a thread pool per core each would fight over the cores."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        yield
        return
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=1):
        yield


@pytest.fixture
def verdict_only(monkeypatch):
    """For tests that run many whole audits and read only the verdict and the attacks' figures
    (the verdict's power and error rates): the data owner's extras, column attribution and the
    EDPB risks, are skipped. Under the default policy (no EDPB limits) neither can change a
    verdict, and together they are about half of an audit at the fixtures' size."""
    from synthcheck.auditing import pipeline

    monkeypatch.setattr(pipeline, "attribute", lambda plan, parameters: None)
    monkeypatch.setattr(pipeline, "assess_edpb", lambda plan, parameters, say=None: None)


@pytest.fixture(autouse=True)
def _whole_audits_are_marked_slow(request, monkeypatch):
    """`pytest -m "not slow"` is the quick loop: a test that completes a whole audit in-process
    without the ``slow`` mark fails here, so the loop stays quick as tests are added. (CLI
    audits in a subprocess are not seen; tests/integration marks its modules slow.)"""
    if request.node.get_closest_marker("slow") is not None:
        yield
        return
    from synthcheck.auditing import pipeline

    real_run, completed = pipeline.run, []

    def counted_run(*args, **kwargs):
        found = real_run(*args, **kwargs)
        completed.append(True)
        return found

    monkeypatch.setattr(pipeline, "run", counted_run)
    yield
    if completed:
        pytest.fail("this test runs a whole audit: mark it @pytest.mark.slow "
                    "(the quick loop, pytest -m 'not slow', must stay under a minute)")


@pytest.fixture(scope="module")
def dask_client():
    """A one-process Dask cluster (two threads) and a client, for the passes run as tasks."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as connected:
        yield connected


def synthcheck_tasks(stream: list[dict]) -> dict[str, int]:
    """Tasks of each synthcheck pass in a Dask task stream (keys "synthcheck-<pass>-...")."""
    counts: dict[str, int] = {}
    for task in stream:
        key = str(task["key"])
        if key.startswith("synthcheck-"):
            name = key.split("-")[1]
            counts[name] = counts.get(name, 0) + 1
    return counts
