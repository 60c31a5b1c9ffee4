"""Progress on stderr for long work: bars on a terminal, a plain line at least every 30 s
otherwise (a CI log must show that a long shadow run is alive and how far it is), or nothing.

The pipeline tells it what is happening (``note``, ``stage``); in ``lines`` mode a background
thread prints ``synthcheck: 4m30s: shadow fits (joblib): 3 of 32 done, about 40m left`` every
``interval`` seconds until the audit ends.

Steps may run side by side (``synthcheck.auditing.lanes``): each thread that notes or opens a
stage has a lane of its own, so a step beside the main one never overwrites its label; a line
shows every open lane, main first (``...: distances to synthetic: 3 of 8 done | singling
out, linkability and inference``), and bars are one tqdm bar per stage (tqdm places
concurrent bars on their own rows under its lock).
"""
from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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


@dataclass
class _Lane:
    """What one thread of the audit is doing: its label, and its stage's count."""

    label: str = "starting"
    done: int = 0
    total: int = 0
    stage_start: float = 0.0


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
        # one lane per thread that reported (main first); the heartbeat reads them all
        self._lanes: dict[int, _Lane] = {threading.get_ident(): _Lane()}
        self._lanes_lock = threading.Lock()
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

    def _lane(self) -> _Lane:
        """The calling thread's lane (made on its first report)."""
        ident = threading.get_ident()
        with self._lanes_lock:
            lane = self._lanes.get(ident)
            if lane is None:
                lane = self._lanes[ident] = _Lane()
            return lane

    def end_lane(self) -> None:
        """The calling thread's step is over: its lane leaves the line (a side step's thread
        calls this as it ends; the main lane stays)."""
        with self._lanes_lock:
            if len(self._lanes) > 1:
                self._lanes.pop(threading.get_ident(), None)

    def note(self, message: str) -> None:
        """What the audit is doing now, in this thread (its latest log message, first line)."""
        lane = self._lane()
        lane.label, lane.total = message.splitlines()[0] if message else "", 0

    def line(self) -> str:
        now = time.monotonic()
        with self._lanes_lock:
            lanes = list(self._lanes.values())
        shown = " | ".join(self._lane_text(lane, now) for lane in lanes)
        return f"synthcheck: {_duration(now - self._start)}: {shown}"

    @staticmethod
    def _lane_text(lane: _Lane, now: float) -> str:
        label, done, total = lane.label, lane.done, lane.total
        text = label if len(label) <= 60 else label[:57] + "..."
        if total:
            text += f": {done} of {total} done"
            if done:
                left = (now - lane.stage_start) / done * (total - done)
                text += f", about {_duration(left)} left"
            else:  # work is counted when a block finishes: say the step is alive
                text += (f", step running for {_duration(now - lane.stage_start)} "
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
            lane = self._lane()
            lane.label, lane.done, lane.total = label, 0, int(total)
            lane.stage_start = time.monotonic()

            def tick(n: int = 1) -> None:  # called from the stage's block threads too
                lane.done += n
            try:
                yield tick
            finally:
                lane.total = 0
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
