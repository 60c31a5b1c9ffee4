"""synthcheck: certify how much a synthetic table leaks about its training records.

Public API::

    import synthcheck
    result = synthcheck.audit(train_df, holdout_df, synthetic=synth_df, seed=0)
    result.verdict, result.summary, result.records, result.to_json()
    result.certificate("cert.pdf", signer=synthcheck.Signer.from_pem("key.pem", "cert.pem"))
    result.metrics                   # DataFrame: attack x figure, value, low, high, outcome
    result.report("report.html")     # the data owner's HTML report (names real records)
    result.plot_roc(), result.plot_scores(), result.plot_attribution()  # matplotlib figures

Heavy dependencies are imported lazily so ``import synthcheck`` stays fast.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

SCHEMA_VERSION = "1.3"  # results.json's layout (synthcheck.auditing.results_json)

__all__ = ["SCHEMA_VERSION", "Audit", "InputError", "Signer", "__version__", "audit"]

if TYPE_CHECKING:  # pragma: no cover
    __version__: str
    from synthcheck.api import Audit, audit
    from synthcheck.certificate.sign import Signer
    from synthcheck.errors import InputError


def _package_version() -> str:
    """The version in the package metadata, whose one source is ``pyproject.toml``.

    In a source checkout (``pyproject.toml`` beside the package) the file is read directly: an
    editable install records the version only when it is installed, so its metadata goes stale
    when the version is bumped. An installed wheel has no such file and reads its metadata."""
    project = Path(__file__).resolve().parent.parent / "pyproject.toml"
    if project.is_file():
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            import tomli as tomllib
        table = tomllib.loads(project.read_text(encoding="utf-8")).get("project", {})
        if table.get("name") == "synthcheck":
            return table["version"]
    from importlib.metadata import version

    return version("synthcheck")


def __getattr__(name: str) -> Any:
    if name == "__version__":
        # Read on first use and kept, so ``import synthcheck`` parses no TOML.
        globals()["__version__"] = _package_version()
        return globals()["__version__"]
    if name in ("audit", "Audit"):
        # No module or package is called ``audit``, so importing one never shadows the function.
        from synthcheck import api

        return getattr(api, name)
    if name == "InputError":
        from synthcheck.errors import InputError

        return InputError
    if name == "Signer":
        from synthcheck.certificate.sign import Signer

        return Signer
    raise AttributeError(name)


def __dir__() -> list[str]:
    """The public API (resolved lazily by ``__getattr__``) beside the module's own names."""
    return sorted(set(__all__) | {name for name in globals() if name.startswith("__")})
