"""Optional dependencies, imported only where used, each with the command that installs it
(as polars' ``dependencies.py`` does). ``available`` looks without importing, so choosing
``auto`` never costs an import and never picks what is not installed."""
from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from synthcheck.errors import InputError

# module -> (what needs it, the extra that installs it)
OPTIONAL = {
    "faiss": ("approximate nearest neighbours (--neighbours approx)", "approx"),
    "sdv": ("SDV generators and SDV metadata objects", "sdv"),
    "dask": ("running the heavy passes on a Dask cluster (--scheduler)", "dask"),
    "distributed": ("running the heavy passes on a Dask cluster (--scheduler)", "dask"),
}


def install_command(module: str) -> str:
    return f"pip install 'synthcheck[{OPTIONAL[module][1]}]'"


def available(module: str) -> bool:
    """Whether ``module`` can be imported, without importing it."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def require(module: str, parameter: str | None = None) -> ModuleType:
    """Import an optional dependency, or raise ``InputError`` saying what needs it and how to
    install it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        purpose, _ = OPTIONAL[module]
        raise InputError(f"{purpose} need(s) {module}, which is not installed ({error}): "
                         f"{install_command(module)}", parameter=parameter) from None
