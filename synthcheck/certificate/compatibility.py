"""Which certificates this synthcheck can check: its own release series, schema and recipe.

A certificate's fingerprints are only comparable with files fingerprinted by the same recipe,
its audit id only recomputable by the same hashing rule, its parameters only re-runnable by
the same attacks. A release series is ``major.minor`` before 1.0 (where a minor release may
change any of these) and ``major`` from 1.0 on.
"""
from __future__ import annotations

from collections.abc import Mapping


def release_series(version: str) -> str:
    """``0.3`` for ``0.3.1``; ``1`` for ``1.4.0``; the whole string when it is not dotted
    numbers."""
    parts = version.split(".")
    if len(parts) < 2 or not (parts[0].isdigit() and parts[1].isdigit()):
        return version
    return f"{parts[0]}.{parts[1]}" if parts[0] == "0" else parts[0]


def _schema_major(version: object) -> str:
    return str(version).split(".")[0]


def incompatibility(results: Mapping) -> str | None:
    """None when this synthcheck can check a certificate with these embedded results; else one
    sentence saying which version made it, what this one reads, and what to do."""
    from synthcheck import SCHEMA_VERSION, __version__
    from synthcheck.inputs.fingerprint import RECIPE

    made_by = str(results.get("tool_version"))
    recipe = results.get("fingerprint_recipe")
    if (release_series(made_by) == release_series(__version__)
            and _schema_major(results.get("schema_version")) == _schema_major(SCHEMA_VERSION)
            and recipe == RECIPE):
        return None
    recorded = (f"results schema {results.get('schema_version')}, "
                + (f"fingerprint recipe {recipe}" if recipe else "no fingerprint recipe recorded"))
    return (f"made by synthcheck {made_by} ({recorded}); this is synthcheck {__version__}, which "
            f"checks certificates of synthcheck {release_series(__version__)}.x (results schema "
            f"{_schema_major(SCHEMA_VERSION)}.x, recipe {RECIPE}): verify it with synthcheck "
            f"{made_by} (pip install 'synthcheck=={made_by}')")
