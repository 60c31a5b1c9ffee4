"""Frozen dataclasses to plain JSON values and back, driven by their type hints.

One generic rule instead of a hand-written ``to_json``/``from_json`` per class: a field is
written under its name (or ``metadata["json"]``), its value by its declared type; a field
declared with :func:`section` is left out of the document when it is None (an optional
section: older documents do not have it, readers see None). Adding a field to a results class
is therefore one line in that class and, if the document gains a key, one line in the schema.
"""
from __future__ import annotations

import dataclasses
import enum
import math
import types
import typing
from collections.abc import Mapping
from functools import cache
from typing import Any

import numpy as np


def section(default: Any = None, *, json: str | None = None) -> Any:
    """A field that is an optional part of the document: absent (not null) when None."""
    metadata = {"optional": True} | ({"json": json} if json else {})
    return dataclasses.field(default=default, metadata=metadata)


def named(json: str, default: Any = dataclasses.MISSING) -> Any:
    """A field written under another key than its name (``subject`` as ``"attack"``)."""
    if default is dataclasses.MISSING:
        return dataclasses.field(metadata={"json": json})
    return dataclasses.field(default=default, metadata={"json": json})


def _key(field: dataclasses.Field) -> str:
    return field.metadata.get("json", field.name)


def encode(value: Any) -> Any:
    """A results value as JSON values: dataclasses as objects, enums by value, mapping keys
    as text (an FPR 0.001 as "0.001"), numpy scalars as Python numbers, non-finite floats as
    null."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {}
        for field in dataclasses.fields(value):
            item = getattr(value, field.name)
            if item is None and field.metadata.get("optional"):
                continue
            out[_key(field)] = encode(item)
        return out
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {(repr(float(k)) if isinstance(k, float) else str(k)): encode(v)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    return value


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def decode(kind: Any, data: Any, unknown: list[str] | None = None, path: str = "") -> Any:
    """``data`` (JSON values) as a value of type ``kind`` (a results dataclass, or a type
    expression built from them: ``X | None``, ``dict[float, X]``, ``tuple[X, ...]``). Keys a
    dataclass does not declare are left out; their dotted paths go to ``unknown`` if given."""
    def inner(item_kind: Any, item: Any, where: str) -> Any:
        return decode(item_kind, item, unknown, where)

    origin = typing.get_origin(kind)
    if kind is Any or kind is object:
        return _as_read(data)
    if origin in (typing.Union, types.UnionType):
        options = [k for k in typing.get_args(kind) if k is not type(None)]
        if data is None:
            return None
        if len(options) == 1:
            return inner(options[0], data, path)
        for option in options:  # e.g. CandidateSample | str: the first that fits
            try:
                return decode(option, data)
            except (TypeError, ValueError, KeyError):
                continue
        raise ValueError(f"{data!r} fits none of {kind}")
    if origin is typing.Literal:
        if data not in typing.get_args(kind):
            raise ValueError(f"{data!r} is not one of {typing.get_args(kind)}")
        return data
    if origin in (dict, Mapping, typing.Mapping) or kind in (dict, Mapping):
        if not isinstance(data, Mapping):
            raise TypeError(f"expected an object, got {data!r}")
        key_kind, value_kind = typing.get_args(kind) or (str, Any)
        return {decode(key_kind, k): inner(value_kind, v, f"{path}.{k}" if path else str(k))
                for k, v in data.items()}
    if origin in (tuple, list) or kind in (tuple, list):
        if not isinstance(data, list):
            raise TypeError(f"expected a list, got {data!r}")
        args = typing.get_args(kind)
        item = args[0] if args else Any
        return tuple(inner(item, v, f"{path}[{i}]") for i, v in enumerate(data))
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(data)
    if dataclasses.is_dataclass(kind):
        if not isinstance(data, Mapping):
            raise TypeError(f"expected an object for {kind.__name__}, got {data!r}")
        hints = _hints(kind)
        values = {}
        known = set()
        for field in dataclasses.fields(kind):
            if not field.init:
                continue
            key = _key(field)
            known.add(key)
            if key in data:
                values[field.name] = inner(hints[field.name], data[key],
                                           f"{path}.{key}" if path else key)
            elif (field.default is dataclasses.MISSING
                  and field.default_factory is dataclasses.MISSING):
                raise KeyError(f"{kind.__name__} needs '{key}'")
        if unknown is not None:
            unknown += [f"{path}.{key}" if path else str(key) for key in data if key not in known]
        return kind(**values)
    if kind is float:
        if data is None:
            return math.nan
        if isinstance(data, str):  # a mapping key: "0.001"
            return float(data)
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            raise TypeError(f"expected a number, got {data!r}")
        return float(data)
    if kind is int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise TypeError(f"expected an integer, got {data!r}")
        return data
    if kind is str:
        if not isinstance(data, str):
            raise TypeError(f"expected text, got {data!r}")
        return data
    if kind is bool:
        if not isinstance(data, bool):
            raise TypeError(f"expected true or false, got {data!r}")
        return data
    return data


def plain(value: Any) -> Any:
    """``value`` as the JSON values it will be read back as (numpy scalars as Python numbers,
    tuples as lists, non-finite floats as None): for the free-form parts of results (an
    attack's details, histograms), so an object and its reading back are equal."""
    return _as_read(encode(value))


def _as_read(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _as_read(v) for k, v in value.items()}
    if isinstance(value, list):
        return tuple(_as_read(v) for v in value)
    return value
