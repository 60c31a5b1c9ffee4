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
    """What an audit found (``results``, ``records``, ``types``), its certificate and the data
    owner's report."""

    def report(self, path: str | os.PathLike, top: int = 20) -> Path:
        """Write the data owner's HTML report (one self-contained file; it names real records,
        so it is not for sharing): see synthcheck.certificate.owner_report."""
        from synthcheck.certificate.owner_report import write_report

        return write_report(self.results, self.records, path, top)

    def plot_roc(self):
        """Every attack's ROC curve, linear and log-log axes (a matplotlib ``Figure``)."""
        from synthcheck.certificate import plots

        counts = self.results.counts
        return plots.roc_figure(self.results.attacks, counts.non_members, counts.members)

    def plot_scores(self):
        """Each attack's members placed among its non-members (a matplotlib ``Figure``)."""
        from synthcheck.certificate import plots

        return plots.score_figure(self.results.attacks)

    def plot_attribution(self, attack: str | None = None):
        """One attack's column attribution (the first attributed attack by default) as a
        matplotlib ``Figure``."""
        from synthcheck.certificate import plots

        found = self.results.column_attribution
        if found is None or not found.attacks:
            raise ValueError("this audit attributed no attack to columns")
        if attack is None:
            attack = next(iter(found.attacks))
        if attack not in found.attacks:
            raise ValueError(f"attack {attack!r} is not attributed; attributed: "
                             f"{', '.join(found.attacks)}")
        return plots.attribution_figure(found, attack)

    def certificate(self, path: str | os.PathLike, signer: Any,
                    template: str | os.PathLike | None = None) -> Path:
        """Render and sign the PDF certificate (see synthcheck.certificate); ``template`` is an
        issuer's own template directory."""
        from synthcheck.certificate import issue

        return issue(self.results, Path(path), signer, template)


def audit(train: TableLike, holdout: TableLike, synthetic: TableLike | None = None,
          generator: Any = None, *, reference: TableLike | None = None, metadata: Any = None,
          id_column: str | None = P.id_column,
          attacks: Sequence[str | Attack] | str | None = P.attacks,
          policy: Any = P.policy, seed: int = P.seed, confidence: float = P.confidence,
          folds: int = P.folds, delta: float = P.delta, density: str = P.density,
          neighbours: str = P.neighbours, max_candidates: int | None = P.max_candidates,
          known_columns: Sequence[str] | str | None = P.known_columns,
          secret_columns: Sequence[str] | str | None = P.secret_columns,
          drop_overlap: bool = P.drop_overlap, generator_params: dict | str | None = P.generator_params,
          synthetic_rows: int | None = P.synthetic_rows, shadows: int | None = P.shadows,
          jobs: int | None = P.jobs, scheduler: Any = P.scheduler,
          canaries: int | None = P.canaries, claimed_epsilon: float | None = P.claimed_epsilon,
          progress: bool | str = "auto", quiet: bool = False,
          log: Callable[[str], None] | None = None) -> Audit:
    """Run a membership inference audit of ``synthetic`` (or of ``generator``'s release).

    ``train`` are the members, ``holdout`` the non-members (same population, never seen by
    the generator). ``reference`` (optional) are further real records of the same population,
    in neither train nor holdout: never scored, they join every cross-fitted reference of the
    reference-based attacks, and the holdout is checked against them (a holdout closer to the
    release than these fresh records means it was not held out, and the audit cannot PASS).
    Tables are file paths (CSV, Parquet, compressed CSV) or DataFrames.
    ``metadata`` is an SDV ``Metadata`` object, its dict, or a JSON file; ``generator`` is
    ``"sdv:<Name>"``, ``"module:callable"``, a callable, or an SDV synthesizer instance
    (fitted or not; cloned with its parameters). Every other parameter
    is described, with its range and default, in ``synthcheck.auditing.parameters.AuditParameters``;
    all are checked before any work. Raises ``InputError`` (naming the file, column or
    parameter) for anything the user must fix.

    ``progress``: ``"auto"`` (default) draws a bar on a terminal or in a notebook and prints a
    plain line at least every 30 s otherwise (a log); ``"bar"``, ``"lines"``, or False.
    ``quiet=True`` silences it. ``log`` receives every message the audit says.
    """
    for role, table in (("train", train), ("holdout", holdout)):
        if table is None:
            raise InputError(f"{role} is required: a CSV or Parquet path or a DataFrame of "
                             + ("the records the generator was fitted on" if role == "train"
                                else "real records the generator never saw"), parameter=role)
    parameters = AuditParameters(
        id_column=id_column, drop_overlap=drop_overlap, attacks=attacks, policy=policy,
        seed=seed, confidence=confidence, folds=folds, delta=delta, density=density,
        neighbours=neighbours, max_candidates=max_candidates, generator_params=generator_params,
        known_columns=known_columns, secret_columns=secret_columns,
        synthetic_rows=synthetic_rows, shadows=shadows, jobs=jobs, scheduler=scheduler,
        canaries=canaries, claimed_epsilon=claimed_epsilon)
    parameters.check_with(generator=generator is not None, synthetic=synthetic is not None)
    if not any(progress is mode or progress == mode for mode in (True, False, *PROGRESS_MODES)):
        raise InputError(f"must be True, False or one of {', '.join(PROGRESS_MODES)}, got "
                         f"{progress!r}", parameter="progress")
    if quiet:
        progress = False
    found = pipeline.run(train, holdout, synthetic, generator, metadata, parameters,
                         progress, log, reference=reference)
    return Audit(results=found.results, records=found.records, types=found.types,
                 release=found.release)


if audit.__doc__:  # None under python -OO
    audit.__doc__ += "\n    Parameters (from the table, ``synthcheck.auditing.parameters``):\n\n" + describe_parameters()
