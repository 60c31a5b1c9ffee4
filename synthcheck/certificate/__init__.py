"""Signed, verifiable PDF certificates of an audit's results.

``issue(results, path, signer)`` renders the certificate from the audit's ``AuditResults`` (or a results.json document)
and signs it;
``verify.verify_certificate`` checks one. The CLI's ``keygen`` and ``verify`` commands live in
``commands``. Heavy libraries (weasyprint, pyhanko, matplotlib) are imported only when used.
"""
from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from synthcheck.inputs import INPUT_ROLES

if TYPE_CHECKING:  # pragma: no cover
    from synthcheck.auditing.results import AuditResults
    from synthcheck.certificate.sign import Signer

__all__ = ["INPUT_ROLES", "issue"]

# pyhanko imports cryptography's DSA classes, which warn on import; synthcheck never signs or
# accepts DSA, and the warning reached every `audit --certificate` and `verify` run's stderr.
warnings.filterwarnings("ignore", message="DSA is deprecated", module=r"pyhanko\.")



def issue(results: AuditResults | Mapping, path: str | Path, signer: Signer,
          template: str | Path | None = None) -> Path:
    """Render the certificate for ``results``, sign it with ``signer`` and write it to ``path``.

    ``template`` is an issuer's template directory (letterhead, language; see
    ``render.Template``); None uses the bundled ``templates/``.

    Nothing is written unless signing succeeds; an existing file at ``path`` is replaced only
    by a complete, signed certificate. Returns ``path``.
    """
    from synthcheck.certificate.render import Issuance, render_pdf
    from synthcheck.certificate.sign import sign_pdf

    signer.check_usable()
    issuance = Issuance.now(results, signer.common_name, signer.fingerprint,
                            self_signed=signer.self_signed)
    pdf, _variant = render_pdf(results, issuance, template)
    return sign_pdf(pdf, signer, path)
