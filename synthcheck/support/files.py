"""Writing output files whole or not at all: a reader (or a crash) never sees half a file,
and an existing file is replaced only by a complete new one."""
from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def write_atomically(target: str | os.PathLike, content: bytes | str | Callable[[str], None],
                     *, mode: int = 0o644) -> Path:
    """Write ``content`` (bytes, text, or a function that writes to the path it is given) to a
    temporary file beside ``target``, flush it to disk, then move it into place.

    The temporary file is created private (0600) and given ``mode`` only when complete, so a
    secret written with ``mode=0o600`` is never readable by others, not even briefly.
    """
    target = Path(target)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                         suffix=".partial")
    try:
        if callable(content):
            os.close(handle)
            content(temporary)
        else:
            data = content.encode("utf-8") if isinstance(content, str) else content
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
    return target
