"""Where outputs go, checked before any work: a mistake there must not cost a whole audit."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from synthcheck.errors import InputError


def _first_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path.cwd()


def _check_can_write_in(path: Path, option: str, wanted: Path) -> None:
    ancestor = _first_existing(path)
    if not ancestor.is_dir():
        raise InputError(f"cannot create {wanted}: {ancestor} is a file, not a directory",
                         parameter=option)
    try:
        with tempfile.TemporaryFile(dir=ancestor):
            pass
    except OSError as error:
        raise InputError(f"cannot write in {ancestor} ({error.strerror or error})",
                         parameter=option) from None


def check_output_dir(path: str | os.PathLike, option: str) -> Path:
    """A directory that exists or can be created, and can be written in."""
    target = Path(path)
    if target.exists() and not target.is_dir():
        raise InputError(f"{target} exists and is not a directory", parameter=option)
    _check_can_write_in(target, option, target)
    return target


def check_output_file(path: str | os.PathLike, option: str) -> Path:
    """A file that can be written (its folder exists or can be created)."""
    target = Path(path)
    if target.is_dir():
        raise InputError(f"{target} is a directory; give a file name", parameter=option)
    _check_can_write_in(target.parent if str(target.parent) else Path("."), option, target)
    return target
