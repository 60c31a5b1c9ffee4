"""The public door: ``synthcheck.audit(...)`` checks its parameters, runs the pipeline and
returns an ``Audit``, which can also issue the signed certificate.

It sits above ``auditing`` and ``certificate`` in the data flow, so the audit itself never
reaches up to the certificate.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from synthcheck.attacks import Attack
from synthcheck.auditing import pipeline
from synthcheck.auditing.parameters import AuditParameters, describe_parameters
from synthcheck.auditing.pipeline import TableLike
from synthcheck.errors import InputError
from synthcheck.support.progress import MODES as PROGRESS_MODES

P = AuditParameters  # the one table: audit()'s defaults are read from it


class Audit(pipeline.Audit):
    """What an audit found (``results``, ``records``, ``types``), and its certificate."""

    def certificate(self, path: str | os.PathLike, signer: Any,
                    template: str | os.PathLike | None = None) -> Path:
        """Render and sign the PDF certificate (see synthcheck.certificate); ``template`` is an
        issuer's own template directory."""
        from synthcheck.certificate import issue

        return issue(self.results, Path(path), signer, template)


def audit(train: TableLike, holdout: TableLike, synthetic: TableLike | None = None,
          generator: Any = None, *, metadata: Any = None,
          id_column: str | None = P.id_column,
          attacks: Sequence[str | Attack] | str | None = P.attacks,
          policy: Any = P.policy, seed: int = P.seed, confidence: float = P.confidence,
          folds: int = P.folds, delta: float = P.delta, density: str = P.density,
          neighbours: str = P.neighbours, max_candidates: int | None = P.max_candidates,
          drop_overlap: bool = P.drop_overlap, generator_params: dict | str | None = P.generator_params,
          synthetic_rows: int | None = P.synthetic_rows, shadows: int | None = P.shadows,
          jobs: int | None = P.jobs, scheduler: Any = P.scheduler, progress: bool | str = False,
          log: Callable[[str], None] | None = None) -> Audit:
    """Run a membership inference audit of ``synthetic`` (or of ``generator``'s release).

    ``train`` are the members, ``holdout`` the non-members (same population, never seen by
    the generator). Tables are file paths (CSV, Parquet, compressed CSV) or DataFrames.
    ``metadata`` is an SDV ``Metadata`` object, its dict, or a JSON file; ``generator`` is
    ``"sdv:<Name>"``, ``"module:callable"``, a callable, or an SDV synthesizer instance
    (fitted or not; cloned with its parameters). Every other parameter
    is described, with its range and default, in ``synthcheck.auditing.parameters.AuditParameters``;
    all are checked before any work. Raises ``InputError`` (naming the file, column or
    parameter) for anything the user must fix.
    """
    parameters = AuditParameters(
        id_column=id_column, drop_overlap=drop_overlap, attacks=attacks, policy=policy,
        seed=seed, confidence=confidence, folds=folds, delta=delta, density=density,
        neighbours=neighbours, max_candidates=max_candidates, generator_params=generator_params,
        synthetic_rows=synthetic_rows, shadows=shadows, jobs=jobs, scheduler=scheduler)
    parameters.check_with(generator=generator is not None, synthetic=synthetic is not None)
    if not any(progress is mode or progress == mode for mode in (True, False, *PROGRESS_MODES)):
        raise InputError(f"must be True, False or one of {', '.join(PROGRESS_MODES)}, got "
                         f"{progress!r}", parameter="progress")
    found = pipeline.run(train, holdout, synthetic, generator, metadata, parameters,
                         progress, log)
    return Audit(results=found.results, records=found.records, types=found.types,
                 release=found.release)


if audit.__doc__:  # None under python -OO
    audit.__doc__ += "\n    Parameters (from the table, ``synthcheck.auditing.parameters``):\n\n" + describe_parameters()
