"""One audit step beside the main sequence, on a thread, to fill the core the main step leaves
idle (issue 20: the 50k audit used ~1.5 of 2 cores in its EDPB and attribution steps).

``beside(step, ...)`` starts ``step`` on a thread; ``result()`` waits for it and returns its
value or raises its exception (the same object, so an ``InputError`` still reaches the CLI as
its one line and exit 2). Used as a context manager, it never leaves the thread behind: when
the main sequence raises, the side step is waited for and its outcome dropped, and the main
sequence's error is the one raised (the error the audit would have met first, run in order).

While a side step runs, BLAS is held at one thread for the whole process (``threadpoolctl``'s
limits are process-wide): two steps' BLAS pools on two cores would share them four ways, and
the heavy passes' own one-thread limits (``parallel.map_blocks``), entered and left by both
steps' threads, then only ever restore 1 (they cannot leave the other step's pool at a count
it did not ask for). Held for the whole side-by-side stretch, the setting is the same whatever
the two steps' timing, so results do not depend on it.

``enabled=False`` runs the step in the calling thread when its result is asked for (no
thread, no limit): the audit in order, one step at a time.
"""
from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from synthcheck.support.progress import Progress

T = TypeVar("T")


class SideStep(Generic[T]):
    """A step started on its own thread (or, disabled, run in this one when asked for)."""

    def __init__(self, step: Callable[[], T], meter: Progress, label: str, enabled: bool):
        self._value: Any = None
        self._error: BaseException | None = None
        self._limit: contextlib.ExitStack | None = None
        self._thread: threading.Thread | None = None
        self._meter, self._label = meter, label
        self._deferred: Callable[[], T] | None = None
        if not enabled:
            self._deferred = step
            return
        from threadpoolctl import threadpool_limits

        self._limit = contextlib.ExitStack()
        self._limit.enter_context(threadpool_limits(limits=1, user_api="blas"))
        # daemon: an interrupted audit (Ctrl-C) exits without waiting; every other path joins
        self._thread = threading.Thread(target=self._run, args=(step, True),
                                        name=f"synthcheck-{label}", daemon=True)
        self._thread.start()

    def _run(self, step: Callable[[], T], lane: bool) -> None:
        try:
            if lane:
                self._meter.note(self._label)
            self._value = step()
        except BaseException as error:  # handed to the caller of result()
            self._error = error
        finally:
            if lane:
                self._meter.end_lane()

    def wait(self) -> None:
        """Until the step has ended; then BLAS gets back its thread count."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._limit is not None:
            self._limit.close()
            self._limit = None

    def result(self) -> T:
        """The step's value, or its exception raised here."""
        if self._deferred is not None:
            step, self._deferred = self._deferred, None
            self._run(step, lane=False)
        elif self._thread is not None and self._thread.is_alive():
            self._meter.note(f"waiting for {self._label}")
        self.wait()
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        return self._value

    def __enter__(self) -> SideStep[T]:
        return self

    def __exit__(self, *exc) -> None:
        # the main sequence failed (or returned early): a started step ends first, a deferred
        # one never starts
        self._deferred = None
        self.wait()


def beside(step: Callable[[], T], meter: Progress, label: str, *, enabled: bool = True
           ) -> SideStep[T]:
    """Start ``step`` beside the caller's sequence (its progress lane labelled ``label``)."""
    return SideStep(step, meter, label, enabled)
