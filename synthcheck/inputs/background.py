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

Two reads of one file are one read only if they read the same bytes. Both reads take the
file's raw bytes in one go, hash them (SHA-256, before decompression) and parse from memory: the
audit's frame and checks from its bytes, the child's fingerprint from its own. The child reports
the hash of what it read beside the fingerprint, and a different hash is an ``InputError`` (a
certificate must fingerprint the bytes it audited, never a file rewritten while it was read).
Comparing the file's size and modification time instead would miss a writer that keeps both.
"""
from __future__ import annotations

import hashlib
import io
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


def read_bytes(path: Path) -> tuple[bytes, str]:
    """The file's raw bytes, read once, and their SHA-256 (hex): what one read of it means."""
    raw = Path(path).read_bytes()
    return raw, hashlib.sha256(raw).hexdigest()


def compression_of(path: Path) -> str | None:
    """The compression pandas infers from the file's name (None: plain)."""
    import pandas as pd

    return pd.io.common.infer_compression(str(path), "infer")


def of_bytes(raw: bytes, is_csv: bool, compression: str | None) -> str:
    """The fingerprint of a file's bytes exactly as ``load._read`` computes it from its own
    read."""
    from synthcheck.inputs.fingerprint import (
        arrow_columns,
        csv_texts,
        fingerprint_columns,
        text_columns,
    )

    if is_csv:
        return fingerprint_columns(text_columns(csv_texts(io.BytesIO(raw), compression)))
    import pyarrow.parquet as pq

    return fingerprint_columns(arrow_columns(pq.read_table(io.BytesIO(raw))))


def of_file(path: Path, is_csv: bool) -> tuple[str, str]:
    """(fingerprint, SHA-256 of the raw bytes it was computed from), from one read."""
    raw, digest = read_bytes(path)
    return of_bytes(raw, is_csv, compression_of(path)), digest


def changed(source: str, role: str) -> InputError:
    return InputError(f"the {role} file changed while the audit read it (two reads of it gave "
                      "different bytes); audit a file that is not being written", source=source)


def start(path: Path, is_csv: bool) -> Future:
    """The fingerprint of ``path`` and the hash of the bytes it came from (a future): computed
    by a child process, after the files started before it. ``confirmed`` turns it into the
    fingerprint of the bytes the audit read, or an ``InputError``."""
    global _waiter
    if _waiter is None:
        _waiter = ThreadPoolExecutor(1, thread_name_prefix="synthcheck-fingerprint")
    return _waiter.submit(_in_child, Path(path), is_csv)


def confirmed(found: Future, digest: str, source: str, role: str) -> Future:
    """The fingerprint from ``found`` (``start``) if the child read the bytes whose SHA-256 is
    ``digest`` (the audit's own read); else the future raises ``InputError``."""
    out: Future = Future()

    def settle(done: Future) -> None:
        try:
            fingerprint, child_digest = done.result()
        except BaseException as error:  # noqa: BLE001 - handed to whoever waits
            out.set_exception(error)
            return
        if child_digest != digest:
            out.set_exception(changed(source, role))
        else:
            out.set_result(fingerprint)

    found.add_done_callback(settle)
    return out


def _in_child(path: Path, is_csv: bool) -> tuple[str, str]:
    package_root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "synthcheck.inputs.background", str(path),
             "csv" if is_csv else "parquet"],
            capture_output=True, text=True, env=env, check=False)
        found = done.stdout.split()
        if done.returncode == 0 and len(found) == 2 and all(map(_HEX.fullmatch, found)):
            return found[0], found[1]
    except OSError:
        pass
    return of_file(path, is_csv)  # in this process: the same value, from its own read


if __name__ == "__main__":
    print(*of_file(Path(sys.argv[1]), sys.argv[2] == "csv"))
