"""Seeded mutations of a CSV export, of the kinds real exports carry (issue 19): each takes the
file's bytes and a random generator and returns the damaged bytes. Used by the fuzz test."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

Mutation = Callable[[bytes, np.random.Generator], bytes]


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


#: Adult's id and id-like columns: not audited (left out of the distances), so a damaged
#: value there is text for the exact-value check, not an error. Value mutations avoid them.
NOT_AUDITED = (b"person_id", b"fnlwgt")


def _cell(data: bytes, rng: np.random.Generator, numeric: bool | None,
          change: Callable[[bytes], bytes]) -> bytes:
    """Change one audited cell of a random data row: a numeric one, a text one, or any."""
    lines = _lines(data)
    header = lines[0].split(b",")
    rows = [i for i in range(1, len(lines)) if lines[i].strip()]
    for _ in range(1000):
        row = int(rng.choice(rows))
        cells = lines[row].split(b",")
        column = int(rng.integers(1, len(header)))  # never the id (column 0)
        if len(cells) != len(header) or header[column] in NOT_AUDITED:
            continue
        is_number = cells[column].strip().lstrip(b"-").replace(b".", b"").isdigit()
        if numeric is None or numeric == is_number:
            cells[column] = change(cells[column])
            lines[row] = b",".join(cells)
            return b"\n".join(lines)
    raise AssertionError("no cell of that kind")


def bom(data, rng):
    return b"\xef\xbb\xbf" + data


def crlf(data, rng):
    return data.replace(b"\n", b"\r\n")


def latin1_bytes(data, rng):
    return _cell(data, rng, False, lambda c: c + "é".encode("latin-1"))


def nul(data, rng):
    return _cell(data, rng, None, lambda c: c[:1] + b"\x00" + c[1:])


def truncated_last_line(data, rng):
    body = data.rstrip(b"\n")
    last = body.rfind(b"\n")
    return body[:last + 1 + (len(body) - last) // 2]


def dropped_cell(data, rng):
    lines = _lines(data)
    row = int(rng.integers(1, len(lines) - 1))
    cells = lines[row].split(b",")
    del cells[int(rng.integers(1, len(cells)))]
    lines[row] = b",".join(cells)
    return b"\n".join(lines)


def extra_cell(data, rng):
    lines = _lines(data)
    row = int(rng.integers(1, len(lines) - 1))
    lines[row] += b",extra"
    return b"\n".join(lines)


def stray_quote(data, rng):
    return _cell(data, rng, None, lambda c: c[:1] + b'"' + c[1:])


def infinity(data, rng):
    return _cell(data, rng, True, lambda c: b"inf")


def negative_infinity(data, rng):
    return _cell(data, rng, True, lambda c: b"-inf")


def overflow(data, rng):
    return _cell(data, rng, True, lambda c: b"1e309")


def thousands(data, rng):
    return _cell(data, rng, True, lambda c: b'"1,' + c.zfill(3)[-3:] + b'"')


def na_spelling(data, rng):
    spelling = [b"NA", b"N/A", b"null", b"NULL", b"NaN", b"nan", b"-", b"?", b"None", b"#N/A"]
    return _cell(data, rng, True, lambda c: spelling[int(rng.integers(len(spelling)))])


def huge_field(data, rng):
    return _cell(data, rng, False, lambda c: b"x" * 200_000)


def spaces_around_numbers(data, rng):
    return _cell(data, rng, True, lambda c: b"  " + c + b" ")


def empty_lines(data, rng):
    lines = _lines(data)
    for _ in range(3):
        lines.insert(int(rng.integers(1, len(lines))), b"")
    return b"\n".join(lines)


def repeated_header(data, rng):
    lines = _lines(data)
    lines.insert(int(rng.integers(2, len(lines) - 1)), lines[0])
    return b"\n".join(lines)


def byte_flips(data, rng):
    damaged = bytearray(data)
    start = len(data.split(b"\n", 1)[0]) + 1  # the header stays readable
    for position in rng.integers(start, len(data), size=3):
        damaged[position] ^= 1 << int(rng.integers(8))
    return bytes(damaged)


MUTATIONS: dict[str, Mutation] = {m.__name__: m for m in (
    bom, crlf, latin1_bytes, nul, truncated_last_line, dropped_cell, extra_cell, stray_quote,
    infinity, negative_infinity, overflow, thousands, na_spelling, huge_field,
    spaces_around_numbers, empty_lines, repeated_header, byte_flips)}
