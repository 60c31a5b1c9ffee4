"""Run independent tasks (shadow fits, blocks of the heavy passes) locally or on a Dask cluster.

The same task function runs on either backend. A task's result depends only on its own
description (which carries its seed) and the shared data, never on the worker, the order of
completion or the number of workers, so both backends give identical results. Each task runs
with one BLAS / torch thread: parallelism comes from processes, and a fixed thread count keeps
floating-point sums in the same order everywhere.

A task that raises is retried once (same seed); if it fails again it is reported as failed
and the others carry on.
"""
from __future__ import annotations

import contextlib
import os
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from synthcheck.errors import InputError

RETRIES = 1
CONNECT_TIMEOUT = "15s"  # to reach a Dask scheduler


@dataclass
class TaskOutcome:
    index: int  # position of the task in the submitted list
    value: Any = None
    error: str | None = None  # "ExceptionType: message" of the last failure, when it failed
    attempts: int = 1
    trace: str | None = None  # the last failure's traceback, for debugging
    seconds: float = 0.0  # wall time of all attempts, in the worker
    cpu_seconds: float = 0.0  # CPU time of all attempts, in the worker (shows contention)

    @property
    def ok(self) -> bool:
        return self.error is None


def cores() -> int:
    """How many local threads the audit's pools use: the machine's CPU count. One place, since
    the pruned search's query blocks are sized by it too (so its last-bit grouping follows it)."""
    return os.cpu_count() or 1


@contextlib.contextmanager
def _single_threaded() -> Iterator[None]:
    from threadpoolctl import threadpool_limits

    torch = sys.modules.get("torch")
    threads = torch.get_num_threads() if torch is not None else None
    try:
        with threadpool_limits(limits=1):
            if torch is not None:
                torch.set_num_threads(1)
            yield
    finally:
        if torch is not None and threads is not None:
            torch.set_num_threads(threads)


def _error_line(error: BaseException) -> str:
    message = str(error).strip().splitlines()
    return f"{type(error).__name__}: {message[0] if message else ''}".rstrip(": ")


def run_task(function: Callable[[Any, Any], Any], task: Any, shared: Any, index: int,
             retries: int = RETRIES) -> TaskOutcome:
    """Run ``function(task, shared)``, retrying a failure ``retries`` times. Never raises for
    an ordinary exception: the outcome says what happened."""
    error = trace = None
    wall, cpu = time.perf_counter(), time.process_time()
    for attempt in range(1, retries + 2):
        try:
            with _single_threaded():
                value = function(task, shared)
            return TaskOutcome(index, value, None, attempt, None, time.perf_counter() - wall,
                               time.process_time() - cpu)
        except Exception as failure:
            error, trace = _error_line(failure), traceback.format_exc()
    return TaskOutcome(index, None, error, retries + 1, trace, time.perf_counter() - wall,
                       time.process_time() - cpu)


def run_tasks(function: Callable[[Any, Any], Any], tasks: Sequence[Any], shared: Any, *,
              jobs: int = -1, scheduler: Any = None,
              on_done: Callable[[TaskOutcome], None] | None = None,
              retries: int = RETRIES) -> list[TaskOutcome]:
    """``function(task, shared)`` for every task; outcomes in task order.

    ``scheduler``: a Dask scheduler address ("tcp://host:8786") or a ``distributed.Client``;
    otherwise joblib on ``jobs`` local processes (-1: every core; 1: in this process).
    ``on_done`` is called in this process as each task completes (progress bars).
    """
    done = on_done or (lambda outcome: None)
    if scheduler is not None:
        outcomes = _run_dask(function, tasks, shared, scheduler, done, retries)
    else:
        outcomes = _run_joblib(function, tasks, shared, jobs, done, retries)
    return sorted(outcomes, key=lambda outcome: outcome.index)


def _run_joblib(function, tasks, shared, jobs, done, retries) -> list[TaskOutcome]:
    from joblib import Parallel, delayed

    outcomes = []
    if jobs == 1 or len(tasks) <= 1:
        for index, task in enumerate(tasks):
            outcomes.append(run_task(function, task, shared, index, retries))
            done(outcomes[-1])
        return outcomes
    runner = Parallel(n_jobs=jobs, backend="loky", return_as="generator_unordered")
    for outcome in runner(delayed(run_task)(function, task, shared, index, retries)
                          for index, task in enumerate(tasks)):
        outcomes.append(outcome)
        done(outcome)
    return outcomes


@contextlib.contextmanager
def _client(scheduler: Any) -> Iterator[Any]:
    from synthcheck.support.dependencies import require

    Client = require("distributed", "scheduler").Client
    if isinstance(scheduler, Client):
        yield scheduler
        return
    address = str(scheduler)
    try:
        client = Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as error:
        raise InputError(f"cannot reach the Dask scheduler at {address}: {_error_line(error)}") \
            from None
    try:
        yield client
    finally:
        client.close()


def _run_dask(function, tasks, shared, scheduler, done, retries) -> list[TaskOutcome]:
    import uuid

    from distributed import as_completed

    outcomes = []
    run_id = uuid.uuid4().hex[:12]
    with _client(scheduler) as client:
        shared_future = client.scatter(shared, broadcast=True, hash=False)

        def submit(index: int):
            return client.submit(run_task, function, tasks[index], shared_future, index, retries,
                                 key=f"synthcheck-task-{run_id}-{index}", pure=False)

        futures = {submit(index): index for index in range(len(tasks))}
        lost: set[int] = set()
        pending = as_completed(list(futures), loop=client.loop)
        for future in pending:
            index = futures[future]
            try:
                outcome = future.result()
            except Exception as failure:
                if index not in lost:
                    lost.add(index)
                    again = client.submit(run_task, function, tasks[index], shared_future, index,
                                          retries, key=f"synthcheck-task-{run_id}-{index}-again",
                                          pure=False)
                    futures[again] = index
                    pending.add(again)
                    continue
                outcome = TaskOutcome(index, None, _error_line(failure), 2)
            outcomes.append(outcome)
            done(outcome)
    return outcomes


def map_blocks(function: Callable[[Any, Any], Any], blocks: Sequence[Any], shared: Any, *,
               scheduler: Any = None, threads: int = 1, name: str = "block",
               on_done: Callable[[int], None] | None = None) -> list[Any]:
    """``function(block, shared)`` for every block; results in block order.

    The heavy passes (distances, densities, copies) are cut into blocks of query rows whose
    results do not depend on each other. Locally the blocks run in this process, on ``threads``
    threads (numpy releases the GIL in its kernels). With ``scheduler`` (an address or a
    ``distributed.Client``) each block is one Dask task: ``shared`` (the index or table every
    block reads) is scattered to the workers once, each task receives only its own block, so a
    worker holds ``shared`` plus the blocks it is running. Either way every block runs the same
    function on the same inputs with one BLAS thread, so the results are identical.
    Exceptions propagate (a failed block is a bug, not an outcome); Dask retries a task once
    when its worker is lost. ``on_done(index)`` is called in this process as each block ends.
    """
    done = on_done or (lambda index: None)
    if scheduler is not None:
        return _map_blocks_dask(function, blocks, shared, scheduler, name, done)
    from threadpoolctl import threadpool_limits

    results: list[Any] = [None] * len(blocks)
    # One limit around the whole map, entered and left by this thread. A limit per block
    # entered in the pool's threads would race: threadpoolctl's limits are process-wide, and
    # the last block to finish restores what it saw on entry (the other block's 1), leaving
    # BLAS and OpenMP (faiss) on one thread for the rest of the audit.
    with threadpool_limits(limits=1, user_api="blas"):
        if threads <= 1 or len(blocks) <= 1:
            for index, block in enumerate(blocks):
                results[index] = function(block, shared)
                done(index)
            return results
        from concurrent.futures import ThreadPoolExecutor, as_completed

        with ThreadPoolExecutor(min(threads, len(blocks))) as pool:
            futures = {pool.submit(function, block, shared): index
                       for index, block in enumerate(blocks)}
            for future in as_completed(futures):
                results[futures[future]] = future.result()
                done(futures[future])
    return results


def map_in_order(function: Callable[[Any], Any], items: Iterable[Any], threads: int,
                 window: int | None = None) -> Iterator[Any]:
    """``function(item)`` for every item, on ``threads`` threads, yielded in item order.

    For loops whose steps are independent but whose results are combined in order (a running
    sum stays bit-identical only when it is added up in the same order): the steps run
    concurrently (numpy and pandas release the GIL in their kernels), the caller combines
    their results one by one as before. At most ``window`` (default ``threads``) items are
    started and not yet consumed, so memory stays a few steps' results whatever the count.
    With one thread the items run in this thread, one at a time, when they are consumed.
    """
    if threads <= 1:
        yield from (function(item) for item in items)
        return
    from concurrent.futures import ThreadPoolExecutor

    ahead = max(1, window or threads)
    source = iter(items)
    with ThreadPoolExecutor(threads) as pool:
        pending: deque = deque()
        try:
            for item in source:
                pending.append(pool.submit(function, item))
                if len(pending) >= ahead:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:  # a consumer that stops early (or an error): start nothing more
            for future in pending:
                future.cancel()


def run_block(function: Callable[[Any, Any], Any], block: Any, shared: Any) -> Any:
    """One Dask task's block with one BLAS thread, as ``map_blocks`` runs its local blocks.
    (Locally the limit is held once around the whole map: see there.)"""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return function(block, shared)


def _map_blocks_dask(function, blocks, shared, scheduler, name, done) -> list[Any]:
    """At most two blocks per worker thread are in flight: memory on the workers stays bounded
    by the block size, whatever the number of blocks."""
    import uuid

    from distributed import as_completed

    results: list[Any] = [None] * len(blocks)
    run_id = uuid.uuid4().hex[:12]
    with _client(scheduler) as client:
        shared_future = client.scatter(shared, broadcast=True, hash=False)
        window = max(2, 2 * sum(client.nthreads().values()))
        futures: dict[Any, int] = {}

        def submit(index: int):
            block = client.scatter(blocks[index], hash=False)
            future = client.submit(run_block, function, block, shared_future, pure=False,
                                   retries=1, key=f"synthcheck-{name}-{run_id}-{index}")
            futures[future] = index
            return future

        waiting = iter(range(len(blocks)))
        pending = as_completed([submit(index) for _, index in zip(range(window), waiting)],
                               loop=client.loop)
        for future in pending:
            index = futures.pop(future)
            results[index] = future.result()
            future.release()
            done(index)
            following = next(waiting, None)
            if following is not None:
                pending.add(submit(following))
        client.cancel([shared_future])
    return results
