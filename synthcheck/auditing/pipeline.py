"""The one way through: load -> validate -> encode -> attack -> statistics -> verdict.

``audit()`` is the public entry point; ``Audit`` holds what it found. It checks every
parameter (``synthcheck.auditing.parameters``), then runs seven named steps, each a function a test can
call: ``read_inputs`` (train and holdout, column types), ``make_release`` (the synthetic table
or the generator's sample), ``plan_audit`` (candidates, encoding, searches), ``score`` (the
attacks), ``find_copies`` (exact copies of rows and of left-out columns' values),
``measure`` (statistics and verdict), ``assemble`` (records and results.json).
"""
from __future__ import annotations

import copy
import dataclasses
import datetime as _dt
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from synthcheck import __version__
from synthcheck import attacks as _attacks
from synthcheck.attacks import Attack, AttackInputs
from synthcheck.attacks.base import AttackScores
from synthcheck.auditing import figures as _figures
from synthcheck.auditing.holdout_check import check_holdout as _check_holdout
from synthcheck.auditing.holdout_check import premise_reason, premise_text, twins_reason
from synthcheck.auditing.lanes import beside
from synthcheck.auditing.parameters import AuditParameters
from synthcheck.auditing.results import (
    AttackFigures,
    AuditResults,
    CanaryAudit,
    CandidateSample,
    Copies,
    Counts,
    FlaggedUnion,
    HoldoutCheck,
    InputFile,
    Inputs,
    NeighbourRecall,
    Outcome,
    PolicyRecord,
    RecordedParameters,
)
from synthcheck.auditing.results_json import SCHEMA_VERSION, dumps, to_document, with_audit_id
from synthcheck.distance.crossfit import make_folds
from synthcheck.distance.encode import MixedEncoder
from synthcheck.errors import InputError
from synthcheck.inputs.columns import (
    ColumnTypes,
    coerce_table,
    decide_datetime_formats,
    decide_types,
    read_metadata,
    record_names,
)
from synthcheck.inputs.fingerprint import RECIPE
from synthcheck.inputs.load import Table, load_table
from synthcheck.inputs.rows import found_rows
from synthcheck.inputs.validate import (
    MIN_REFERENCE,
    check_columns,
    check_filled_columns,
    check_holdout_size,
    check_ids,
    check_overlap,
    check_shared_categories,
    check_synthetic_size,
    duplicated_records,
    holdout_needed,
    overlapping_rows,
    same_records,
)
from synthcheck.measure import attack_results as _results
from synthcheck.measure import copies as _copies
from synthcheck.measure import stats
from synthcheck.measure.attribution import RECORDS_PER_GROUP, ColumnAttribution, sample_records
from synthcheck.measure.twins import TwinTest, twin_test
from synthcheck.support.codec import decode, encode, plain
from synthcheck.support.files import write_atomically
from synthcheck.support.parallel import cores, map_blocks, map_in_order
from synthcheck.support.progress import Progress
from synthcheck.support.randomness import rng as rng_for
from synthcheck.verdict.policy import Verdict, copy_checks, evaluate, expected_cannot_fail

TableLike = str | os.PathLike | pd.DataFrame

#: results.json's ``parameters.delta_rule`` when no δ was given (``stats.default_delta``)
DELTA_RULE = "1/m^2"

NOTES = [
    "Scores: higher means more likely a member. Members are train records, non-members holdout records.",
    "Reference models (nearest reference records, reference densities) are cross-fitted over "
    "holdout folds: no record is scored by a model fitted on it. The encoding is fitted on the "
    "synthetic table only.",
    "TPR at a target FPR uses the conservative rule: the largest TPR among thresholds whose "
    "empirical FPR does not exceed the target, no interpolation; 'not measurable' when fewer "
    "than 1/FPR non-members. Its interval carries both sources of error: the threshold is an "
    "order statistic of the non-members whose true FPR is bounded exactly (Beta law of order "
    "statistics), and the members it flags by Clopper-Pearson, each with half of each side's "
    "error (docs/statistics.md).",
    "AUC intervals use DeLong's variance.",
    "The epsilon lower bound is the one-run audit of Steinke, Nasr & Jagielski (2023) with "
    "delta: the auditor guesses 'member' for the highest scores (and 'non-member' for the "
    "lowest) on a fixed grid of 12 designs, Bonferroni-corrected, and the number of right "
    "guesses bounds epsilon through their binomial domination theorem. It assumes train and "
    "holdout were a random split of one population, membership acting as independent fair "
    "coins (the larger group is subsampled to the smaller's size). Per attack it is computed "
    "at a Bonferroni-adjusted level across attacks, so the overall (maximum) bound holds at "
    "the stated confidence.",
    "The verdict FAILs when a one-sided lower bound exceeds its limit, at the Bonferroni level: "
    "alpha is shared among the families of checks (attacks, copy checks) and equally among each "
    "family's checks. It PASSes when every one-sided upper bound, at 1 - alpha, is within its "
    "limit (an intersection-union test: a release beyond any one limit passes with probability "
    "at most alpha).",
]


@dataclass(repr=False)
class Audit:
    """The outcome of one audit: ``results`` (the typed ``AuditResults``; ``document`` is its
    results.json), ``records`` (one row per candidate, for the data owner only) and the column
    types used."""

    results: AuditResults
    records: pd.DataFrame
    types: ColumnTypes
    release: pd.DataFrame | None = None  # the synthetic table, when the tool made it

    @property
    def verdict(self) -> Outcome:
        return self.results.verdict

    @property
    def document(self) -> dict:
        """results.json as a dict (plain JSON values)."""
        return to_document(self.results)

    def __repr__(self) -> str:
        counts = self.results.counts
        return (f"<Audit {self.verdict}: {len(self.results.attacks)} attacks, "
                f"{counts.members} members, {counts.non_members} non-members, "
                f"{counts.synthetic} synthetic rows>")

    @property
    def summary(self) -> str:
        from synthcheck.auditing.summary import summary_text

        return summary_text(self.results)

    def to_json(self, indent: int | None = 2) -> str:
        return dumps(self.results, indent=indent)

    def write(self, out_dir: str | os.PathLike) -> dict[str, Path]:
        """results.json, records.parquet and (when the tool made the release)
        synthetic.parquet, each written whole or not at all."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"results": out / "results.json", "records": out / "records.parquet"}
        write_atomically(paths["results"], lambda p: Path(p).write_text(self.to_json() + "\n"))
        write_atomically(paths["records"], lambda p: self.records.to_parquet(p, index=False))
        if self.release is not None:
            paths["synthetic"] = out / "synthetic.parquet"
            write_atomically(paths["synthetic"], lambda p: self.release.to_parquet(p, index=False))
        return paths

    @property
    def metrics(self) -> pd.DataFrame:
        """One row per attack and figure (auc, tpr_at_fpr_0.1%, tpr_at_fpr_1%, tpr_at_fpr_10%,
        advantage, epsilon_lower_bound): value, low, high, level, and the outcome of the
        policy check that reads it (None when no limit does)."""
        from synthcheck.auditing.summary import metrics_rows

        return pd.DataFrame(metrics_rows(self.results),
                            columns=["attack", "figure", "value", "low", "high", "level",
                                     "outcome"])

    def _repr_html_(self) -> str:
        """A notebook's view: the verdict, the metrics table and the driving columns (no
        record is named)."""
        import html

        from synthcheck.auditing.summary import attribution_lines

        colour = {"PASS": "#15803d", "FAIL": "#b91c1c"}.get(self.verdict, "#b45309")
        lines = "".join(f"<li>{html.escape(line)}</li>" for line in attribution_lines(self.results))
        table = self.metrics.pivot(index="attack", columns="figure", values="value")
        return (f"<div><b style='color:{colour};font-size:1.4em'>{html.escape(self.verdict)}"
                f"</b> {html.escape(repr(self))}"
                + (f"<ul>{lines}</ul>" if lines else "")
                + table.to_html(float_format=lambda v: f"{v:.3g}", na_rep="–") + "</div>")


APPROX_ABOVE_PAIRS = 2e11  # candidates x synthetic rows above which "auto" goes approximate


def choose_neighbours(neighbours: str, candidates: int, synthetic: int) -> str:
    """"exact" or "approx" (faiss, recall measured): ``auto`` is exact up to 2e11 pairs
    (e.g. 200k candidates x 1M synthetic rows), where exact search takes minutes, and only
    when faiss is installed."""
    if neighbours == "auto":
        from synthcheck.support.dependencies import available

        large = candidates * synthetic > APPROX_ABOVE_PAIRS
        return "approx" if large and available("faiss") else "exact"
    return neighbours


def sample_candidates(members: int, non_members: int, max_candidates: int | None,
                      seed: int) -> tuple[np.ndarray, np.ndarray, dict | str]:
    """Row positions of the train and holdout records to score: all of them, or a seeded
    sample of ``max_candidates`` stratified by membership (each group keeps its share)."""
    if max_candidates is None or members + non_members <= max_candidates:
        return np.arange(members), np.arange(non_members), "all"
    rng = rng_for(seed, "candidates")
    keep_members = int(round(max_candidates * members / (members + non_members)))
    keep_members = min(members, max(1, keep_members))
    keep_non_members = min(non_members, max(1, max_candidates - keep_members))
    info = {"max_candidates": int(max_candidates), "sampling": "stratified by membership",
            "seed": seed, "members": keep_members, "of_members": members,
            "non_members": keep_non_members, "of_non_members": non_members}
    return (np.sort(rng.choice(members, keep_members, replace=False)),
            np.sort(rng.choice(non_members, keep_non_members, replace=False)), info)


P = AuditParameters  # the one table: audit()'s defaults are read from it


def check_sample_size(members: int, non_members: int, parameters: AuditParameters) -> None:
    """The candidate sample (``max_candidates``) must keep enough non-members for the
    cross-fitted folds; checked with the inputs, before the release is made."""
    if parameters.max_candidates is None:
        return
    sampled = len(sample_candidates(members, non_members, parameters.max_candidates, 0)[1])
    needed = holdout_needed(parameters.folds)
    if sampled >= needed:
        return
    smallest = next(n for n in range(max(needed, needed * (members + non_members) // non_members - 2),
                                     members + non_members + 1)
                    if len(sample_candidates(members, non_members, n, 0)[1]) >= needed)
    raise InputError(f"{parameters.max_candidates} candidates keep only {sampled} of the holdout's "
                     f"records; {needed} are needed for {parameters.folds} cross-fitted folds, so "
                     f"use at least {smallest} (or leave it out to score every record)",
                     parameter="max_candidates")


def run(train: TableLike, holdout: TableLike, synthetic: TableLike | None, generator: Any,
        metadata: Any, parameters: AuditParameters, progress: bool | str = False,
        log: Callable[[str], None] | None = None,
        counted_attacks: Sequence[Attack] | None = None,
        reference: TableLike | None = None) -> Audit:
    """The steps in order, on checked ``parameters``; ``synthcheck.audit`` is the public door
    and ``reproduce`` the other caller. ``counted_attacks``: the attacks the verdict's
    multiplicity correction counts when they differ from those scored (a reproduction that
    cannot re-run every certified attack measures at the certified levels). ``reference``:
    the ``--reference`` records (never scored)."""
    with Progress(progress) as meter:
        def say(message: str) -> None:
            meter.note(message)
            if log is not None:
                log(message)

        # each step names itself on the progress line (not in the log), so a long step never
        # reads as the one before it
        meter.note("reading and checking train and holdout")
        real = read_inputs(train, holdout, metadata, parameters, say, reference)
        meter.note("reading the release" if generator is None else "making the release")
        release = make_release(synthetic, generator, real, parameters, say)
        meter.note("encoding the tables")
        canary = audit_canaries(real, release, parameters, say)
        plan = plan_audit(real, release, parameters, meter, say)
        warn_cannot_fail(real, plan, parameters, say)
        find_neighbours(plan)
        # the EDPB attacks read only the encodings: beside the attacks and column attribution
        # when that is allowed, else in turn (when their result is asked for)
        together = side_by_side(plan, parameters)
        if together:
            say(EDPB_MESSAGE)
            plan.inputs.prepared_synthetic()  # made once, here, before two steps read it
        with beside(lambda: assess_edpb(plan, parameters, None if together else say), meter,
                    EDPB_LABEL, enabled=together) as edpb_step:
            scored = score(plan, say)
            holdout_check = check_holdout(real, plan, parameters, say)
            meter.note("looking for exact copies")
            copies = find_copies(real, release, plan, scored)
            attribution = attribute(plan, parameters)
            edpb = edpb_step.result()
        if counted_attacks is not None:
            plan = dataclasses.replace(plan, attacks=tuple(counted_attacks))
        meter.note("statistics and verdict")
        measured = measure(scored, plan, parameters, copies, holdout_check, real.twins,
                           edpb, canary, attribution=attribution)
        meter.note("writing the per-record table and the results")
        return assemble(real, release, plan, scored, measured, parameters)


@dataclass
class RealInputs:
    """The members and non-members as read (``*_table``) and as audited (``*_typed``)."""

    train_table: Table
    holdout_table: Table
    train_typed: pd.DataFrame
    holdout_typed: pd.DataFrame
    types: ColumnTypes
    dropped_overlap: int = 0
    duplicated_train: int = 0  # train rows equal to an earlier train row (audited columns)
    # train rows equal to a dropped holdout row: left out of the copy test, as those holdout
    # rows are (else the kept holdout holds only rarer rows and members look copied)
    train_also_in_holdout: np.ndarray | None = None
    # holdout rows equal to a train row on the audited columns only (another id or excluded
    # value): different records, audited, but left out of the copy test like their train twins
    holdout_natural_duplicates: np.ndarray | None = None
    # holdout records with a train twin vs train records with another (synthcheck.measure.twins)
    twins: TwinTest | None = None
    # --reference: further real records, never scored (None: not given)
    reference_table: Table | None = None
    reference_typed: pd.DataFrame | None = None
    reference_dropped: int = 0  # reference rows equal to a train or holdout row, dropped


def read_inputs(train: TableLike, holdout: TableLike, metadata: Any,
                parameters: AuditParameters, say: Callable[[str], None],
                reference: TableLike | None = None) -> RealInputs:
    """Read train, holdout (and the reference records), decide the column types, check them
    and coerce them."""
    train_table = load_table(train, "train")
    holdout_table = load_table(holdout, "holdout")
    reference_table = None if reference is None else load_table(reference, "reference")
    real_tables = [train_table, holdout_table]
    if reference_table is not None:
        real_tables.append(reference_table)
    for table in real_tables:
        _say_what_was_read_as_missing(table, say)
    meta = read_metadata(metadata)
    types = decide_types(train_table, meta, parameters.id_column)
    decide_datetime_formats(types, train_table)
    check_columns(train_table, real_tables[1:], types)
    check_ids(real_tables, types)
    check_filled_columns(real_tables, types)
    train_typed = coerce_table(train_table, types)
    holdout_typed = coerce_table(holdout_table, types)
    check_shared_categories(train_typed, holdout_typed, holdout_table, types)
    duplicated = duplicated_records(train_typed)
    if duplicated:
        say(f"warning: {duplicated} train record(s) repeat an earlier train record in every "
            "audited column (counted in results.json)")
    overlap = overlapping_rows(train_typed, holdout_typed)
    same = same_records(train_table, holdout_table, overlap)
    dropped = 0
    train_also_in_holdout = np.zeros(len(train_typed), bool)  # left out of the copy test alike
    natural = (overlap & ~same).to_numpy()
    if overlap.any():
        train_also_in_holdout = found_rows(train_typed, holdout_typed)
    if natural.any():
        say(f"{int(natural.sum())} holdout record(s) equal a train record on every audited "
            "column but differ in an id or excluded column: different records (natural "
            "duplicates), audited, left out of the copy test on both sides (counted in "
            "results.json)")
    if same.any():
        if not parameters.drop_overlap:
            check_overlap(holdout_table, same)
        dropped = int(same.sum())
        keep = ~same.to_numpy()
        natural = natural[keep]
        holdout_table = Table(holdout_table.role, holdout_table.source,
                              holdout_table.frame[keep].reset_index(drop=True),
                              holdout_table.fingerprint)
        holdout_typed = holdout_typed[keep].reset_index(drop=True)
        say(f"dropped {dropped} holdout row(s) that also appear in train")
    check_edpb_columns(types, parameters)
    check_holdout_size(len(holdout_typed), parameters.folds, holdout_table.source)
    check_sample_size(len(train_typed), len(holdout_typed), parameters)
    real = RealInputs(train_table, holdout_table, train_typed, holdout_typed, types, dropped,
                      duplicated, train_also_in_holdout, natural)
    if natural.any():  # without a holdout record equal to a train one there is nothing to test
        real.twins = twin_test(pd.util.hash_pandas_object(train_typed, index=False).to_numpy(),
                               pd.util.hash_pandas_object(holdout_typed, index=False).to_numpy(),
                               rng_for(parameters.seed, "twins"))
    if reference_table is not None:
        read_reference(real, reference_table, parameters, say)
    return real


def check_edpb_columns(types: ColumnTypes, parameters: AuditParameters) -> None:
    """``known_columns`` and ``secret_columns`` name audited columns (an excluded column or
    the id column is not in the encoding the EDPB attacks read)."""
    for name in ("known_columns", "secret_columns"):
        for column in getattr(parameters, name) or ():
            if column in types.kinds:
                continue
            why = types.excluded.get(column) or ("the id column" if column == types.id_column
                                                 else None)
            raise InputError(f"'{column}' is not an audited column" + (
                f" ({why})" if why else f"; audited: {', '.join(types.columns)}"),
                parameter=name)


def read_reference(real: RealInputs, table: Table, parameters: AuditParameters,
                   say: Callable[[str], None]) -> None:
    """Check and coerce the ``--reference`` records into ``real``. A reference row equal to a
    train or holdout row would sit in the reference of the very record it copies (a member
    would look like a non-member, a non-member like a member): refused like the holdout's
    overlap, or dropped with ``--drop-overlap``."""
    typed = coerce_table(table, real.types)
    check_shared_categories(real.train_typed, typed, table, real.types)
    overlap = (overlapping_rows(real.train_typed, typed)
               | overlapping_rows(real.holdout_typed, typed))
    dropped = int(overlap.sum())
    if dropped:
        if not parameters.drop_overlap:
            raise InputError(
                f"{dropped} reference row(s) also appear in train or holdout (same values in "
                "every audited column); reference records must be records in neither. Remove "
                "them, or pass --drop-overlap to drop them from the reference",
                source=table.source)
        keep = ~overlap.to_numpy()
        table = Table(table.role, table.source, table.frame[keep].reset_index(drop=True),
                      table.fingerprint)
        typed = typed[keep].reset_index(drop=True)
        say(f"dropped {dropped} reference row(s) that also appear in train or holdout")
    if len(typed) < MIN_REFERENCE:
        raise InputError(f"reference has {len(typed)} usable row(s); at least {MIN_REFERENCE} "
                         "are needed to check the holdout against it", source=table.source)
    real.reference_table, real.reference_typed, real.reference_dropped = table, typed, dropped


def _say_what_was_read_as_missing(table: Table, say: Callable[[str], None]) -> None:
    if table.read_as_missing:
        say(f"{table.role}: {table.read_as_missing} cell(s) written as NA, N/A, null, NaN, None "
            "or similar were read as missing values")


@dataclass
class Release:
    """The synthetic table under audit, and the generator behind it when one was given."""

    table: Table
    typed: pd.DataFrame
    generator: Any = None  # the GeneratorSetup the shadow attack runs from
    generator_info: dict | None = None  # results.json's "generator" block
    made_here: bool = False  # the tool fitted the generator and sampled this release


def make_release(synthetic: TableLike | None, generator: Any, real: RealInputs,
                 parameters: AuditParameters, say: Callable[[str], None]) -> Release:
    """Read the synthetic table, or fit the generator on train and sample it."""
    setup, info, made_here = None, None, generator is not None and synthetic is None
    if generator is not None:
        from synthcheck.generators import prepare_release

        synthetic, setup, info = prepare_release(
            generator, real.train_table, real.types, synthetic, seed=parameters.seed, log=say,
            holdout=real.holdout_table, generator_params=parameters.generator_params,
            synthetic_rows=parameters.synthetic_rows, shadows=parameters.shadows,
            scheduler=parameters.scheduler, jobs=parameters.jobs)
    table = load_table(synthetic, "synthetic")
    _say_what_was_read_as_missing(table, say)
    check_synthetic_size(table)
    check_columns(real.train_table, [table], real.types)
    check_filled_columns([real.train_table, real.holdout_table, table], real.types)
    typed = coerce_table(table, real.types)
    check_shared_categories(real.train_typed, typed, table, real.types)
    say(real.types.describe())
    return Release(table, typed, setup, info, made_here)


@dataclass
class Plan:
    """What will be scored and how: the candidates (a sample, or every real record), the
    attacks, and the inputs they share."""

    attacks: tuple[Attack, ...]  # as asked for (their parameters are recorded)
    resolved: tuple[Attack, ...]  # the same with their "auto" choices made
    inputs: AttackInputs
    train_rows: np.ndarray  # positions in train of the scored members
    holdout_rows: np.ndarray  # positions in holdout of the scored non-members
    candidates_info: dict | str

    @property
    def attack_names(self) -> list[str]:
        return [attack.name for attack in self.resolved]

    @property
    def estimator(self) -> str | None:
        """The density-ratio estimator chosen, when that attack runs."""
        return next((a.estimator for a in self.resolved if a.name == "density-ratio"), None)


def plan_audit(real: RealInputs, release: Release, parameters: AuditParameters,
               progress: Progress, say: Callable[[str], None]) -> Plan:
    """Choose the candidates, fit the encoding on the synthetic table, choose the searches."""
    train_typed, holdout_typed = real.train_typed, real.holdout_typed
    train_rows, holdout_rows, candidates_info = sample_candidates(
        len(train_typed), len(holdout_typed), parameters.max_candidates, parameters.seed)
    if candidates_info != "all":
        train_typed = train_typed.iloc[train_rows].reset_index(drop=True)
        holdout_typed = holdout_typed.iloc[holdout_rows].reset_index(drop=True)
        say(f"scoring a stratified sample of {len(train_rows)} members and "
            f"{len(holdout_rows)} non-members (--max-candidates {parameters.max_candidates})")
    if release.generator is not None:  # shadows train on every record; these are the scored ones
        release.generator.candidate_rows = np.r_[train_rows, real.train_table.rows + holdout_rows]
    attacks = _attacks.select(parameters.attacks, with_generator=release.generator is not None,
                              density=parameters.density)
    candidates = pd.concat([train_typed, holdout_typed], ignore_index=True)
    is_member = np.r_[np.ones(len(train_typed), bool), np.zeros(len(holdout_typed), bool)]
    synthetic = release.typed
    with_missing = {c for c in real.types.columns
                    if candidates[c].isna().any() or synthetic[c].isna().any()
                    or (real.reference_typed is not None and real.reference_typed[c].isna().any())}
    encoder = MixedEncoder(real.types).fit(synthetic, with_missing)
    wanted_search = choose_neighbours(parameters.neighbours, len(candidates), len(synthetic))
    resolved, neighbour_search = _attacks.resolve(attacks, len(candidates), len(synthetic),
                                                  wanted_search)
    if neighbour_search != wanted_search:
        say("kernel densities need every candidate-synthetic pair: neighbour search is exact")
    inputs = AttackInputs(
        candidates=candidates, is_member=is_member, synthetic=synthetic, types=real.types,
        encoder=encoder, encoded_candidates=encoder.transform(candidates),
        encoded_synthetic=encoder.transform(synthetic),
        folds=make_folds(is_member, parameters.folds, parameters.seed), seed=parameters.seed,
        generator=release.generator, progress=progress, neighbour_search=neighbour_search,
        scheduler=parameters.scheduler,
        reference=real.reference_typed,
        encoded_reference=(None if real.reference_typed is None
                           else encoder.transform(real.reference_typed)))
    # the one shared neighbour pass carries the kernel sums an attack asks for
    inputs.kde_bandwidth = _attacks.kernel_bandwidth(resolved, inputs)
    inputs.attribution_rows = sample_records(is_member, RECORDS_PER_GROUP, parameters.seed)
    return Plan(tuple(attacks), tuple(resolved), inputs, train_rows, holdout_rows,
                candidates_info)


def audit_canaries(real: RealInputs, release: Release, parameters: AuditParameters,
                   say: Callable[[str], None]) -> Any:
    """``--canaries``: the canary audit (``synthcheck.generators.canaries``), one fit of the
    generator of its own: (a ``measure.canary.CanaryResult``, what the fit made); None without
    ``--canaries``."""
    if parameters.canaries is None or release.generator is None:
        if parameters.policy.claimed_epsilon is not None:
            say("warning: the policy's claimed_epsilon is checked only by a canary audit "
                "(--canaries N with a generator): not checked")
        return None
    from synthcheck.generators import fit_and_sample
    from synthcheck.generators.canaries import run_canaries
    from synthcheck.measure.canary import CanaryResult
    from synthcheck.support.randomness import seed_for

    setup = release.generator
    train = setup.pool.iloc[:setup.training_rows].reset_index(drop=True)
    found = run_canaries(lambda frame, rows, seed: fit_and_sample(setup.spec, frame, rows, seed),
                         train, real.types, parameters.canaries,
                         seed_for(parameters.seed, "canary-fit"),
                         rng_for(parameters.seed, "canaries"), say)
    return CanaryResult(scores=found.scores, included=found.included, delta=parameters.delta,
                        seed=parameters.seed), found


def warn_cannot_fail(real: RealInputs, plan: Plan, parameters: AuditParameters,
                     say: Callable[[str], None]) -> None:
    """Before any attack runs: each limit of the policy that no attack could FAIL at this
    size, level and δ (``verdict.policy.cannot_fail``), as a warning. The verdict says it
    again with the checks it ends up with (results: ``cannot_fail``)."""
    copy_counts = {"copied_values": len(_copies.checked_columns(real.types.excluded,
                                                                real.types.id_column))}
    if any(a.name == "exact-copy" for a in plan.attacks):
        copy_counts["copied_rows"] = 1
    limited = sum(1 for a in plan.attacks if a.checked_by_limits)
    for found in expected_cannot_fail(parameters.policy, len(plan.train_rows),
                                      len(plan.holdout_rows), limited, copy_counts,
                                      parameters.delta):
        say(f"warning: {found.reason}")


def find_neighbours(plan: Plan) -> None:
    """The two shared neighbour passes (each candidate's closest synthetic row, and its
    closest reference row, cross-fitted), made before any attack: every audit reads them (the
    distance attacks, the records' reasons, the summaries), and made first the steps after
    them have the cores they no longer share (the EDPB attacks run beside the rest, ``run``).
    The default attacks ask for them first anyway (dcr, dcr-ratio): nothing else moves.

    The two bases' cells (exact pruned searches) are made first, side by side on one core
    each: a k-means is mostly one-threaded numpy, so in turn they left a core idle (~0.35 s
    at 50k). Same cells: each is made by the same steps, with one BLAS thread."""
    inputs = plan.inputs
    if inputs.neighbour_search != "approx" and not inputs.kde_bandwidth:
        map_blocks(lambda make, _: make(), [inputs.prepared_synthetic,
                                            inputs.prepared_reference], None, threads=cores())
    inputs.synthetic_neighbours()
    inputs.reference_neighbours()


@dataclass
class Scores:
    """Each attack's scores (candidates' order), its details, and per-record extras."""

    scores: dict[str, np.ndarray]
    details: dict[str, dict]
    record_columns: dict[str, np.ndarray]  # per-record extras an attack offers (records only)


def score(plan: Plan, say: Callable[[str], None]) -> Scores:
    """Run every attack of the plan on the shared inputs; each returns an ``AttackScores``."""
    inputs = plan.inputs
    scores, details, record_columns = {}, {}, {}
    for attack in plan.resolved:
        say(f"attack {attack.name} ...")
        found = inputs.scores_of(attack)  # once: a combining attack may ask again
        if found.scores.shape != (len(inputs.candidates),):
            raise RuntimeError(f"attack {attack.name} returned {found.scores.shape} scores for "
                               f"{len(inputs.candidates)} candidates")
        scores[attack.name] = found.scores
        details[attack.name] = (_with_partial_aucs(found, inputs.is_member)
                                | {"description": attack.description})
        record_columns |= found.record_columns
    return Scores(scores, details, record_columns)


def _with_partial_aucs(found: AttackScores, is_member: np.ndarray) -> dict:
    """The attack's details with the AUC of each of its partial scores written at its path
    (None where the variant's candidates lack members or non-members)."""
    details = copy.deepcopy(dict(found.details))
    for partial in found.partial_scores:
        kept = ~np.isnan(partial.scores)
        members, others = partial.scores[kept & is_member], partial.scores[kept & ~is_member]
        value = (dict(partial.label) | stats.roc_auc(members, others).as_dict()
                 if len(members) and len(others) else None)
        node = details
        for key in partial.path[:-1]:
            node = node.setdefault(key, {})
        if partial.listed:
            node.setdefault(partial.path[-1], []).append(value)
        else:
            node[partial.path[-1]] = value
    return details


def check_holdout(real: RealInputs, plan: Plan, parameters: AuditParameters,
                  say: Callable[[str], None]) -> HoldoutCheck | None:
    """With ``--reference``: the attacks again, holdout vs the reference records (see
    ``synthcheck.auditing.holdout_check``); None without reference records."""
    if real.reference_typed is None:
        return None
    reference, encoded = real.reference_typed, plan.inputs.encoded_reference
    if parameters.max_candidates is not None and len(reference) > parameters.max_candidates:
        keep = np.sort(rng_for(parameters.seed, "reference-check").choice(
            len(reference), parameters.max_candidates, replace=False))
        reference, encoded = reference.iloc[keep].reset_index(drop=True), encoded[keep]
    say("checking the holdout against the reference records ...")
    found = _check_holdout(plan.resolved, plan.inputs, reference, encoded,
                           folds=parameters.folds, alpha=1.0 - parameters.policy.pass_level(),
                           delta=parameters.delta)
    if found is not None and found.broken:
        say("warning: the holdout is closer to the release than the reference records: "
            "the audit cannot PASS")
    return found


EDPB_LABEL = "singling out, linkability and inference"
EDPB_MESSAGE = EDPB_LABEL + " ..."
#: candidates + synthetic rows up to which the EDPB attacks run beside the attacks and column
#: attribution (``lanes``). Above it they run in turn, as before: at 1M rows a table the audit's
#: peak memory (~7.1 GB of 8) has no room for the EDPB step's tables beside the heavy passes'.
SIDE_BY_SIDE_MAX_ROWS = 400_000


def side_by_side(plan: Plan, parameters: AuditParameters) -> bool:
    """Whether the EDPB step runs beside the others: only on one machine (with a Dask
    scheduler the heavy passes are the cluster's), without a generator (the shadow fits keep
    every core busy in their own processes), on more than one core, and up to
    ``SIDE_BY_SIDE_MAX_ROWS``."""
    inputs = plan.inputs
    return (parameters.scheduler is None and inputs.generator is None and cores() > 1
            and len(inputs.candidates) + len(inputs.synthetic) <= SIDE_BY_SIDE_MAX_ROWS)


def assess_edpb(plan: Plan, parameters: AuditParameters,
                say: Callable[[str], None] | None = None) -> EdpbAssessment:
    """Singling out, linkability and inference of the release, the holdout as control
    (``synthcheck.edpb``), on the scored candidates. Reads the plan's inputs only (the
    encodings and the prepared synthetic cells), so it may run beside the attacks; ``say``:
    where to say it starts (the pipeline says it before starting it on its own thread)."""
    from synthcheck.edpb.assess import EdpbSettings, assess

    inputs = plan.inputs
    if say is not None:
        say(EDPB_MESSAGE)
    found, records = assess(inputs.encoder, inputs.types.kinds, inputs.synthetic,
                            inputs.encoded_synthetic, inputs.candidates,
                            inputs.encoded_candidates, inputs.is_member, seed=parameters.seed,
                            confidence=parameters.confidence,
                            settings=EdpbSettings(known_columns=parameters.known_columns,
                                                  secret_columns=parameters.secret_columns),
                            prepared=inputs.prepared_synthetic())
    return EdpbAssessment(found, records)


@dataclass
class EdpbAssessment:
    """The three EDPB risks (results.json's ``edpb``) and their per-record findings (the
    owner's records.parquet)."""

    risks: Any
    records: Any


def find_copies(real: RealInputs, release: Release, plan: Plan, scored: Scores) -> dict:
    """results.json's "copies" block: members' and non-members' rows found verbatim in the
    release (from the exact-copy attack), the worst case among them (rows no other real record
    shares; counted whatever the attacks), and the values of every column left out of the
    distances found verbatim in the release's column (counts and p-values only)."""
    is_member = plan.inputs.is_member
    rows = None
    in_holdout = real.train_also_in_holdout
    natural = real.holdout_natural_duplicates
    counted = None if in_holdout is None else np.r_[
        ~in_holdout[plan.train_rows],
        np.ones(len(plan.holdout_rows), bool) if natural is None
        else ~natural[plan.holdout_rows]]
    unique_rows = _copies.unique_rows_check(plan.inputs.candidates, plan.inputs.synthetic,
                                            is_member, counted)
    if "exact-copy" in scored.scores:
        rows = _copies.rows_check(scored.scores["exact-copy"] > 0, is_member, counted,
                                  len(real.types.columns))
    raw = pd.concat([real.train_table.frame.iloc[plan.train_rows],
                     real.holdout_table.frame.iloc[plan.holdout_rows]], ignore_index=True)
    columns = _copies.value_checks(
        raw, release.table.frame, _copies.checked_columns(real.types.excluded,
                                                          real.types.id_column), is_member)
    return {"test": _copies.TEST_DESCRIPTION, "rows": rows, "columns": columns,
            "unique_rows": unique_rows}


@dataclass
class Measured:
    """The figures of every attack and the policy's verdict on them and on the copies."""

    attacks: dict[str, AttackFigures]
    verdict: Verdict
    copies: Copies | None = None
    attribution: ColumnAttribution | None = None
    holdout: HoldoutCheck | None = None  # the holdout vs --reference check, when run
    edpb: EdpbAssessment | None = None  # singling out, linkability, inference
    canary: CanaryAudit | None = None  # --canaries


def measure(scored: Scores, plan: Plan, parameters: AuditParameters,
            copies: dict | None = None, holdout: HoldoutCheck | None = None,
            twins: TwinTest | None = None,
            edpb: EdpbAssessment | None = None, canary: Any = None, *,
            attribution: ColumnAttribution | None = None) -> Measured:
    """Each attack's statistics, then the verdict of the policy (on the attacks its limits
    read, and on the copy checks); every figure is computed here, once. A holdout found
    closer to the release than the reference records turns a PASS into INCONCLUSIVE (its
    check, first among the reasons, names the holdout); it cannot make a FAIL.
    ``attribution``: the column attribution when already made (``attribute``), else made here."""
    is_member = plan.inputs.is_member
    results = {name: _results.attack_result(values, is_member, delta=parameters.delta,
                                            seed=parameters.seed + index)
               for index, (name, values) in enumerate(scored.scores.items())}
    # the policy's limits read the attacks that are checked by limits (not exact-copy: its
    # verdict is the copy test); the copy checks come from the "copies" block
    limited = {a.name for a in plan.attacks if a.checked_by_limits}
    checks = copy_checks(copies)
    # each attack's plain sentence on what it found, for the reason of a limit that FAILs on it
    findings = {a.name: a.finding(scored.details[a.name]) for a in plan.resolved
                if a.name in scored.details}
    sampled = plan.candidates_info if isinstance(plan.candidates_info, dict) else {}
    verdict = evaluate(parameters.policy, {n: r for n, r in results.items() if n in limited},
                       checks, findings, (copies or {}).get("unique_rows"),
                       holdout_available=sampled.get("of_non_members"), tail=True,
                       edpb=None if edpb is None else edpb.risks,
                       canary=None if canary is None else canary[0],
                       claimed_epsilon=parameters.claimed_epsilon)
    verdict_level = verdict.level
    if not limited:  # only exact-copy: its bounds are shown at the level one attack would get
        families = {c.check: sum(1 for d in checks if d.check == c.check) for c in checks}
        verdict_level = parameters.policy.adjusted_confidence(1, families)
    epsilon_level = stats.bonferroni_level(parameters.confidence, len(plan.attacks))

    def figures_of(name: str) -> Any:
        details = dict(scored.details[name])
        description = details.pop("description")
        return _figures.attack_figures(
            results[name], description=description, details=details,
            confidence=parameters.confidence, epsilon_level=epsilon_level,
            verdict_level=verdict_level, pass_level=verdict.pass_level)

    # each attack's figures read its own scores only (sorts release the GIL): side by side
    figures = dict(zip(results, map_in_order(figures_of, list(results), cores())))
    premises = [found for found in (
        premise_reason(holdout) if holdout is not None else None,
        twins_reason(twins, parameters.policy.alpha) if twins is not None else None)
        if found is not None]
    if premises:
        reasons = tuple(premises) + tuple(verdict.reasons)
        verdict = dataclasses.replace(verdict, reasons=reasons,
                                      outcome=Outcome.combine(r.outcome for r in reasons))
    return Measured(figures, verdict,
                    None if copies is None else decode(Copies, encode(copies)),
                    attribution if attribution is not None else attribute(plan, parameters),
                    holdout, edpb,
                    canary=None if canary is None else canary_audit(canary, verdict, parameters))


#: how canaries are made and scored, as results.json records it
CANARY_DESIGN = ("each canary a random train row with each audited column, by a fair coin, set "
                 "to the column's minimum or maximum (numbers) or one of its rarest values "
                 "(categories); each included in a copy of train by an independent fair coin; "
                 "one fit of the generator on that copy, sampled 20 times as many rows (at most "
                 "100,000); attacks: distance to the nearest sampled row, exact copy and the most "
                 "cells one sampled row holds verbatim, Bonferroni over the three")


def canary_audit(canary: Any, verdict: Verdict, parameters: AuditParameters) -> CanaryAudit:
    """results.json's ``canary_audit``: at the claimed-ε check's level when there is one, else
    at the audit's confidence."""
    from synthcheck.generators.canaries import CANARY_ATTACKS
    from synthcheck.verdict.policy import CANARY_CHECK

    result, found = canary
    check = next((c for c in verdict.reasons if c.check == CANARY_CHECK), None)
    level = check.level if check is not None else parameters.confidence
    bound, attack = result.epsilon(level)
    inside = result.included
    aucs = {name: float(stats.roc_auc(result.scores[name][inside],
                                      result.scores[name][~inside]).value)
            for name in CANARY_ATTACKS if inside.any() and not inside.all()}
    return CanaryAudit(canaries=result.canaries, included=int(inside.sum()),
                       epsilon_lower_bound=bound, epsilon_ceiling=result.ceiling(level),
                       level=level, delta=result.delta_used, attack=attack, attacks=aucs,
                       claimed_epsilon=None if check is None else check.limit,
                       fitted_rows=found.fitted_rows, design=CANARY_DESIGN)


def attribute(plan: Plan, parameters: AuditParameters) -> Any:
    """Each audited column's share of each distance-based attack's success
    (synthcheck.measure.attribution), on a sample of the candidates."""
    from synthcheck.measure.attribution import attribute_columns

    inputs = plan.inputs
    sampled = min(int(inputs.is_member.sum()), RECORDS_PER_GROUP) + \
        min(int((~inputs.is_member).sum()), RECORDS_PER_GROUP)
    with inputs.progress.stage("column attribution", sampled) as tick:
        found = attribute_columns(plan.resolved, inputs, parameters.confidence)
        tick(sampled)
    return found


def assemble(real: RealInputs, release: Release, plan: Plan, scored: Scores,
             measured: Measured, parameters: AuditParameters) -> Audit:
    """The per-record table and the ``AuditResults``."""
    inputs, types = plan.inputs, real.types
    is_member = inputs.is_member
    members, non_members = int(is_member.sum()), int((~is_member).sum())
    roles = np.r_[np.full(members, "train"), np.full(non_members, "holdout")]
    rows = np.r_[plan.train_rows + 1, plan.holdout_rows + 1]
    names = pd.concat([record_names(real.train_table, types).iloc[plan.train_rows],
                       record_names(real.holdout_table, types).iloc[plan.holdout_rows]],
                      ignore_index=True)
    records = _results.records_table(names, roles, rows, is_member, scored.scores,
                                     seed=parameters.seed)
    for column, values in scored.record_columns.items():
        records[column] = values
    from synthcheck.measure.attribution import record_reasons

    for column, values in record_reasons(inputs).items():
        records[column] = values
    if measured.edpb is not None:
        for column, values in edpb_record_columns(measured.edpb.records).items():
            records[column] = values
    train, holdout, synthetic = (_input_file(t) for t in (real.train_table, real.holdout_table,
                                                           release.table))
    inputs_block = Inputs(
        train=dataclasses.replace(train, rows_scored=len(plan.train_rows)),
        holdout=dataclasses.replace(holdout, rows=holdout.rows + real.dropped_overlap,
                                    rows_dropped=real.dropped_overlap,
                                    rows_scored=len(plan.holdout_rows)),
        synthetic=synthetic, id_column=types.id_column, column_types=dict(types.kinds),
        excluded_columns=dict(types.excluded),
        holdout_rows_dropped_as_overlap=real.dropped_overlap,
        train_duplicated_records=real.duplicated_train,
        holdout_natural_duplicates=int(real.holdout_natural_duplicates.sum())
        if real.holdout_natural_duplicates is not None else 0,
        holdout_twins_p=None if real.twins is None else real.twins.p_value,
        metadata=plain(types.metadata_record),
        reference=None if real.reference_table is None else dataclasses.replace(
            _input_file(real.reference_table),
            rows=real.reference_table.rows + real.reference_dropped,  # in the file
            rows_dropped=real.reference_dropped, rows_scored=0,
            rows_used=real.reference_table.rows))
    delta_rule = None
    recorded_parameters = parameters.recorded()
    if parameters.delta is None:
        delta_rule = DELTA_RULE
        recorded_parameters["delta"] = stats.default_delta(
            stats.one_run_candidates(members, non_members))
    recorded = RecordedParameters(
        **recorded_parameters, delta_rule=delta_rule, attacks=tuple(plan.attack_names),
        neighbours=inputs.neighbour_search,
        candidates=(plan.candidates_info if plan.candidates_info == "all"
                    else CandidateSample(**plan.candidates_info)),
        attack_parameters={a.name: plain(a.get_params()) for a in plan.attacks},
        density_estimator=plan.estimator,
        neighbour_recall=({role: NeighbourRecall(**_recall_interval(m))
                           for role, m in inputs.neighbour_recall.items()}
                          if inputs.neighbour_recall else None))
    union = _results.flagged_union(records)
    policy = parameters.policy
    described = policy.describe()
    results = AuditResults(
        schema_version=SCHEMA_VERSION, tool_version=__version__, audit_id="",
        fingerprint_recipe=RECIPE,
        created=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        verdict=measured.verdict.outcome, verdict_reasons=measured.verdict.reasons,
        policy=PolicyRecord(**described), inputs=inputs_block,
        generator=plain(release.generator_info), parameters=recorded,
        counts=Counts(members=members, non_members=non_members, synthetic=len(release.typed),
                      flagged_records=int(records["flagged"].sum()),
                      flagged=FlaggedUnion(**union)),
        attacks=measured.attacks, overall=_figures.overall(measured.attacks),
        copies=measured.copies,
        column_attribution=measured.attribution,
        holdout_check=measured.holdout,
        edpb=None if measured.edpb is None else measured.edpb.risks,
        premise=premise_text(measured.holdout),
        cannot_fail=measured.verdict.cannot_fail,
        canary_audit=measured.canary,
        summaries=plain(_results.summaries(inputs.synthetic_neighbours().distances[:, 0],
                                            is_member, records["risk_percentile"].to_numpy())),
        notes=tuple(NOTES))
    made = release.table.frame if release.made_here else None
    return Audit(results=with_audit_id(results), records=records, types=types, release=made)


#: records.parquet's EDPB columns (NaN: the record was not among those sampled)
EDPB_RECORD_COLUMNS = {"singled_out": "edpb_singled_out", "linked": "edpb_linked",
                       "inferred": "edpb_secrets_inferred"}


def edpb_record_columns(found: Any) -> dict[str, np.ndarray]:
    return {column: getattr(found, name) for name, column in EDPB_RECORD_COLUMNS.items()}


def _input_file(table: Table) -> InputFile:
    described = table.describe()
    return InputFile(sha256=described["sha256"], rows=int(described["rows"]),
                     columns=int(described["columns"]), source=described.get("source"))


RECALL_CONFIDENCE = 0.95


def _recall_interval(found: dict) -> dict:
    """The measured recall of an approximate search with its 95 % Clopper-Pearson interval."""
    low, high = stats.clopper_pearson(found["hits"], found["sample"], RECALL_CONFIDENCE)
    return {"recall": found["recall"], "low": low, "high": high, "sample": found["sample"],
            "cells": found.get("cells"), "nprobe": found.get("nprobe")}
