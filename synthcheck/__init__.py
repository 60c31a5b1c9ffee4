"""synthcheck: certify how much a synthetic table leaks about its training records.

Public API::

    import synthcheck
    result = synthcheck.audit(train_df, holdout_df, synthetic=synth_df, seed=0)
    result.verdict, result.summary, result.records, result.to_json()
    result.certificate("cert.pdf", signer=synthcheck.Signer.from_pem("key.pem", "cert.pem"))

Heavy dependencies are imported lazily so ``import synthcheck`` stays fast.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
SCHEMA_VERSION = "1.2"  # results.json's layout (synthcheck.auditing.results_json)

__all__ = ["SCHEMA_VERSION", "Audit", "InputError", "Signer", "__version__", "audit"]

if TYPE_CHECKING:  # pragma: no cover
    from synthcheck.api import Audit, audit
    from synthcheck.certificate.sign import Signer
    from synthcheck.errors import InputError


def __getattr__(name: str) -> Any:
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
