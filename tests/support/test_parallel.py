"""Local block maps: blocks run with one BLAS thread, and the process's own limit survives."""
from __future__ import annotations

import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from synthcheck.support.parallel import map_blocks, map_in_order


def _blas_threads() -> set[int]:
    # An OpenBLAS built on OpenMP (faiss's) reports the calling thread's OpenMP setting, which
    # a process-wide limit does not reach in other threads: only pthreads builds are read.
    return {info["num_threads"] for info in threadpool_info()
            if info["user_api"] == "blas" and info.get("threading_layer") != "openmp"}


def _block(block: int, shared: None) -> set[int]:
    # uneven durations interleave the pool's threads' entries and exits
    time.sleep(0.002 * (block % 3))
    return _blas_threads()


def test_blocks_run_on_one_blas_thread_and_the_limit_is_restored():
    with threadpool_limits(limits=2, user_api="blas"):
        before = _blas_threads()
        assert before == {2}
        for _ in range(5):
            seen = map_blocks(_block, list(range(24)), None, threads=2)
            # every block saw one thread (a limit per block let another block's exit lift it)
            assert all(threads == {1} for threads in seen), seen
            # and the process gets its own limit back (a per-block limit left it at 1)
            assert _blas_threads() == before


def test_threaded_and_serial_maps_give_the_same_blocks_in_order():
    blocks = [np.arange(i, i + 5, dtype=float) for i in range(10)]
    square = lambda block, shared: block @ block + shared  # noqa: E731
    assert map_blocks(square, blocks, 1.0, threads=2) == map_blocks(square, blocks, 1.0)


def test_map_in_order_yields_in_item_order_with_a_bounded_window():
    import threading

    lock, running, most = threading.Lock(), [0], [0]

    def step(item: int) -> int:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.003 * ((7 * item) % 4))  # uneven: later items often finish first
        with lock:
            running[0] -= 1
        return item * item

    found = list(map_in_order(step, range(30), threads=2, window=3))
    assert found == [i * i for i in range(30)]
    assert most[0] <= 2  # never more items at once than threads
    # the window bounds items started and not yet consumed: a slow consumer holds it
    started: list[int] = []
    results = map_in_order(lambda item: started.append(item) or item, range(50), threads=2,
                           window=3)
    assert next(results) == 0
    time.sleep(0.05)
    assert len(started) <= 4
    results.close()


def test_map_in_order_on_one_thread_runs_each_item_when_consumed():
    started: list[int] = []
    results = map_in_order(lambda item: started.append(item) or item, range(5), threads=1)
    assert started == []
    assert next(results) == 0 and started == [0]
