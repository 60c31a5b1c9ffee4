"""Progress bars on stderr for long work; silent unless asked for (the CLI asks on a TTY)."""
from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator


class Progress:
    def __init__(self, enabled: bool = False):
        self.enabled = enabled

    @contextlib.contextmanager
    def stage(self, label: str, total: int) -> Iterator[Callable[[int], None]]:
        """A bar for one stage; yields ``tick(n)`` to advance it by n units."""
        if not self.enabled:
            yield lambda n=1: None
            return
        from tqdm import tqdm

        with tqdm(total=total, desc=label, file=sys.stderr, leave=False, unit="rec",
                  dynamic_ncols=True) as bar:
            yield lambda n=1: bar.update(n)
