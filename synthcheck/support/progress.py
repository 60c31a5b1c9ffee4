"""Progress on stderr for long work: bars on a terminal, a plain line at least every 30 s
otherwise (a CI log must show that a long shadow run is alive and how far it is), or nothing.

The pipeline tells it what is happening (``note``, ``stage``); in ``lines`` mode a background
thread prints ``synthcheck: 4m30s: shadow fits (joblib): 3 of 32 done, about 40m left`` every
``interval`` seconds until the audit ends.
"""
from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import TextIO

MODES = ("off", "bar", "lines", "auto")
INTERVAL = 30.0


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def in_notebook() -> bool:
    """Running inside a Jupyter kernel (where a bar is a widget, not stderr text)."""
    return "ipykernel" in sys.modules


def resolve_mode(mode: bool | str, stream: TextIO | None = None) -> str:
    """``"auto"``: bars on a terminal or in a notebook, otherwise plain lines (a CI log)."""
    if isinstance(mode, bool):
        return "bar" if mode else "off"
    if mode != "auto":
        return mode
    target = stream or sys.stderr
    try:
        terminal = bool(target.isatty())
    except (AttributeError, ValueError):
        terminal = False
    return "bar" if terminal or in_notebook() else "lines"


class Progress:
    """``Progress(False)`` is silent; ``True`` or ``"bar"`` draws bars; ``"lines"`` prints;
    ``"auto"`` picks bars on a terminal or in a notebook and lines otherwise."""

    def __init__(self, mode: bool | str = False, *, interval: float = INTERVAL,
                 stream: TextIO | None = None):
        if not isinstance(mode, bool) and mode not in MODES:
            raise ValueError(f"progress must be True, False or one of {', '.join(MODES)}")
        self.mode = resolve_mode(mode, stream)
        if self.mode not in MODES:
            raise ValueError(f"progress must be True, False or one of {', '.join(MODES)}")
        self.enabled = self.mode == "bar"
        self.interval = interval
        self.stream = stream
        self._label, self._done, self._total, self._stage_start = "starting", 0, 0, 0.0
        self._start = time.monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Progress:
        if self.mode == "lines":
            self._start = time.monotonic()
            self._thread = threading.Thread(target=self._beat, name="synthcheck-progress",
                                            daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def note(self, message: str) -> None:
        """What the audit is doing now (its latest log message, first line)."""
        self._label, self._total = message.splitlines()[0] if message else "", 0

    def line(self) -> str:
        now = time.monotonic()
        label = self._label if len(self._label) <= 60 else self._label[:57] + "..."
        text = f"synthcheck: {_duration(now - self._start)}: {label}"
        if self._total:
            text += f": {self._done} of {self._total} done"
            if self._done:
                left = (now - self._stage_start) / self._done * (self._total - self._done)
                text += f", about {_duration(left)} left"
            else:  # work is counted when a block finishes: say the step is alive
                text += (f", step running for {_duration(now - self._stage_start)} "
                         "(counted as blocks finish)")
        return text

    def _beat(self) -> None:
        while not self._stop.wait(self.interval):
            stream = self.stream or sys.stderr
            try:
                print(self.line(), file=stream, flush=True)
            except (OSError, ValueError):  # the stream went away: stop quietly
                return

    @contextlib.contextmanager
    def stage(self, label: str, total: int) -> Iterator[Callable[[int], None]]:
        """One stage of ``total`` units; yields ``tick(n)`` to advance it by n units."""
        if self.mode == "lines":
            self._label, self._done, self._total = label, 0, int(total)
            self._stage_start = time.monotonic()

            def tick(n: int = 1) -> None:
                self._done += n
            try:
                yield tick
            finally:
                self._total = 0
            return
        if not self.enabled:
            yield lambda n=1: None
            return
        if in_notebook():
            from tqdm.auto import tqdm
        else:
            from tqdm import tqdm

        with tqdm(total=total, desc=label, file=self.stream or sys.stderr, leave=False,
                  unit="rec", dynamic_ncols=True) as bar:
            yield lambda n=1: bar.update(n)
