"""Fingerprints of large input files, computed by a child process while the audit goes on.

A fingerprint (``synthcheck.inputs.fingerprint``) is pure-Python work on every cell (canonical
texts, one JSON line per row, a sort of the lines): about half of reading and checking the
inputs, and it holds the GIL, so a thread would not overlap it with anything. Nothing in the
audit reads the fingerprint before results.json is written, so for a file of at least
``BACKGROUND_BYTES`` a child Python process reads the file again (Parquet: a fast columnar
read; CSV: a second parse, on the other core) and computes it with the very functions the
in-process path uses (``of_file``), while this process checks, codes and searches. The
children run one at a time (one thread waits on them), so the audit keeps one core.

The child is a plain ``python -m synthcheck.inputs.background`` (not multiprocessing: a user's
script without a ``__main__`` guard would be imported again). If it cannot run or fails, the
waiting thread computes the fingerprint in this process: the same value, later.

Two reads of one file are one read only if the file did not change in between: the file's
identity (device, inode, size, modification time) is taken before either read, after the
audit's own read and after the child's, and a difference is an ``InputError`` (a certificate
must fingerprint the bytes it audited, never a file swapped while it was read).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from synthcheck.errors import InputError

BACKGROUND_BYTES = 1_000_000  # smaller files: fingerprinted in process (a child costs ~0.4 s)

_HEX = re.compile(r"[0-9a-f]{64}")
_waiter: ThreadPoolExecutor | None = None


def of_file(path: Path, is_csv: bool) -> str:
    """The file's fingerprint exactly as ``load._read`` computes it from its own read."""
    from synthcheck.inputs.fingerprint import (
        arrow_columns,
        csv_texts,
        fingerprint_columns,
        text_columns,
    )

    if is_csv:
        return fingerprint_columns(text_columns(csv_texts(path)))
    import pyarrow.parquet as pq

    return fingerprint_columns(arrow_columns(pq.read_table(path)))


def identity(path: Path) -> tuple[int, int, int, int]:
    """What changes when a file is rewritten or replaced: device, inode, size, mtime (ns)."""
    status = Path(path).stat()
    return status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns


def changed(path: Path, source: str, role: str) -> InputError:
    return InputError(f"the {role} file changed while the audit read it (its size, time or "
                      "inode differ between two reads); audit a file that is not being "
                      "written", source=source)


def start(path: Path, is_csv: bool, before: tuple[int, int, int, int], source: str,
          role: str) -> Future:
    """The fingerprint of ``path`` (a future): computed by a child process, after the files
    started before it. ``before``: the file's ``identity`` taken before any read of it; the
    future raises ``InputError`` if the file's identity differs after the child's read."""
    global _waiter
    if _waiter is None:
        _waiter = ThreadPoolExecutor(1, thread_name_prefix="synthcheck-fingerprint")
    return _waiter.submit(_checked, Path(path), is_csv, before, source, role)


def _checked(path: Path, is_csv: bool, before: tuple[int, int, int, int], source: str,
             role: str) -> str:
    found = _in_child(path, is_csv)
    try:
        same = identity(path) == before
    except OSError:
        same = False
    if not same:
        raise changed(path, source, role)
    return found


def _in_child(path: Path, is_csv: bool) -> str:
    package_root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "synthcheck.inputs.background", str(path),
             "csv" if is_csv else "parquet"],
            capture_output=True, text=True, env=env, check=False)
        found = done.stdout.strip()
        if done.returncode == 0 and _HEX.fullmatch(found):
            return found
    except OSError:
        pass
    return of_file(path, is_csv)  # in this process: the same value


if __name__ == "__main__":
    print(of_file(Path(sys.argv[1]), sys.argv[2] == "csv"))
