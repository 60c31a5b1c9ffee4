"""The one way through: load -> validate -> encode -> attack -> statistics -> verdict.

``audit()`` is the public entry point; ``Audit`` holds what it found.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from synthcheck import results as _results
from synthcheck import stats
from synthcheck.attacks import DEFAULT_ATTACKS, REGISTRY, AttackInputs
from synthcheck.attacks.density_ratio import KDE_BANDWIDTH_FACTOR, choose_estimator
from synthcheck.columns import ColumnTypes, coerce_table, decide_types, read_metadata, record_names
from synthcheck.crossfit import make_folds
from synthcheck.encode import MixedEncoder
from synthcheck.errors import InputError
from synthcheck.load import Table, load_table
from synthcheck.policy import Policy, evaluate, load_policy, parse_policy
from synthcheck.progress import Progress
from synthcheck.validate import (
    check_columns,
    check_holdout_size,
    check_ids,
    check_overlap,
    overlapping_rows,
)

TableLike = str | os.PathLike | pd.DataFrame

NOTES = [
    "Scores: higher means more likely a member. Members are train records, non-members holdout records.",
    "Reference models (nearest reference records, reference densities) are cross-fitted over "
    "holdout folds: no record is scored by a model fitted on it. The encoding is fitted on the "
    "synthetic table only.",
    "TPR at a target FPR uses the conservative rule: the largest TPR among thresholds whose "
    "empirical FPR does not exceed the target, no interpolation; Clopper-Pearson intervals. "
    "'not measurable' when fewer than 1/FPR non-members.",
    "AUC intervals use DeLong's variance.",
    "The epsilon lower bound chooses a threshold on one random half of the records and bounds "
    "FPR and FNR on the other half with Clopper-Pearson; it assumes train and holdout were a "
    "random split of one population. Per attack it is computed at a Bonferroni-adjusted level "
    "across attacks, so the overall (maximum) bound holds at the stated confidence.",
    "The verdict reads every interval at the Bonferroni-adjusted level 1 - alpha / (attacks x limits).",
]


@dataclass
class Audit:
    """The outcome of one audit: ``results`` (the results.json document), ``records`` (one row
    per candidate, for the data owner only) and the column types used."""

    results: dict
    records: pd.DataFrame
    types: ColumnTypes
    release: pd.DataFrame | None = None  # the synthetic table, when the tool made it

    @property
    def verdict(self) -> str:
        return self.results["verdict"]

    @property
    def summary(self) -> str:
        from synthcheck.report import summary_text

        return summary_text(self.results)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.results, indent=indent, sort_keys=True, ensure_ascii=False)

    def write(self, out_dir: str | os.PathLike) -> dict[str, Path]:
        """results.json, records.parquet and (when the tool made the release)
        synthetic.parquet, each written whole or not at all."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"results": out / "results.json", "records": out / "records.parquet"}
        _atomic_write(paths["results"], lambda p: Path(p).write_text(self.to_json() + "\n"))
        _atomic_write(paths["records"], lambda p: self.records.to_parquet(p, index=False))
        if self.release is not None:
            paths["synthetic"] = out / "synthetic.parquet"
            _atomic_write(paths["synthetic"], lambda p: self.release.to_parquet(p, index=False))
        return paths

    def certificate(self, path: str | os.PathLike, signer: Any,
                    template: str | os.PathLike | None = None) -> Path:
        """Render and sign the PDF certificate (see synthcheck.certificate); ``template`` is an
        issuer's own template directory."""
        from synthcheck.certificate import issue

        return issue(self.results, Path(path), signer, template)


def _atomic_write(target: Path, write: Callable[[str], None]) -> None:
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(handle)
    try:
        write(temporary)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _resolve_policy(policy: Policy | str | os.PathLike | None) -> Policy:
    if isinstance(policy, Policy):
        return policy
    if isinstance(policy, str) and "\n" in policy:
        return parse_policy(policy, source="<policy text>")
    return load_policy(policy)


def _validate_parameters(attacks: Sequence[str], folds: int, confidence: float, delta: float,
                         density: str) -> None:
    unknown = [a for a in attacks if a not in REGISTRY]
    if unknown:
        raise InputError(f"unknown attack '{unknown[0]}'; available: {', '.join(REGISTRY)}")
    if not attacks:
        raise InputError("no attacks selected")
    if not 2 <= folds <= 50:
        raise InputError(f"folds must be between 2 and 50, got {folds}")
    if not 0.5 <= confidence < 1:
        raise InputError(f"confidence must be in [0.5, 1), got {confidence}")
    if not 0 <= delta < 1:
        raise InputError(f"delta must be in [0, 1), got {delta}")
    if density not in ("auto", "kde", "classifier"):
        raise InputError(f"density estimator must be auto, kde or classifier, got '{density}'")


APPROX_ABOVE_PAIRS = 2e11  # candidates x synthetic rows above which "auto" goes approximate


def choose_neighbours(neighbours: str, candidates: int, synthetic: int) -> str:
    """"exact" or "approx" (faiss, recall measured): ``auto`` is exact up to 2e11 pairs
    (e.g. 200k candidates x 1M synthetic rows), where exact search takes minutes."""
    if neighbours == "auto":
        return "approx" if candidates * synthetic > APPROX_ABOVE_PAIRS else "exact"
    return neighbours


def sample_candidates(members: int, non_members: int, max_candidates: int | None,
                      seed: int) -> tuple[np.ndarray, np.ndarray, dict | str]:
    """Row positions of the train and holdout records to score: all of them, or a seeded
    sample of ``max_candidates`` stratified by membership (each group keeps its share)."""
    if max_candidates is None or members + non_members <= max_candidates:
        return np.arange(members), np.arange(non_members), "all"
    rng = np.random.default_rng([seed, 0x5A3])
    keep_members = int(round(max_candidates * members / (members + non_members)))
    keep_members = min(members, max(1, keep_members))
    keep_non_members = min(non_members, max(1, max_candidates - keep_members))
    info = {"max_candidates": int(max_candidates), "sampling": "stratified by membership",
            "seed": seed, "members": keep_members, "of_members": members,
            "non_members": keep_non_members, "of_non_members": non_members}
    return (np.sort(rng.choice(members, keep_members, replace=False)),
            np.sort(rng.choice(non_members, keep_non_members, replace=False)), info)


def audit(train: TableLike, holdout: TableLike, synthetic: TableLike | None = None,
          generator: Any = None, *, id_column: str | None = None,
          metadata: str | os.PathLike | dict | None = None,
          attacks: Sequence[str] | None = None,
          policy: Policy | str | os.PathLike | None = None, seed: int = 0,
          confidence: float = 0.95, folds: int = 5, delta: float = 1e-5,
          density: str = "auto", drop_overlap: bool = False, progress: bool = False,
          neighbours: str = "auto", max_candidates: int | None = None,
          log: Callable[[str], None] | None = None, **generator_options: Any) -> Audit:
    """Run a membership inference audit of ``synthetic`` (or of ``generator``'s release).

    ``train`` are the members, ``holdout`` the non-members (same population, never seen by
    the generator). Tables are file paths (CSV, Parquet) or DataFrames. Raises ``InputError``
    for anything the user must fix.
    """
    say = log or (lambda message: None)
    # default: the release attacks, plus the shadow attack when a generator is given
    attacks = list(attacks) if attacks is not None else \
        list(DEFAULT_ATTACKS) + (["shadow"] if generator is not None else [])
    _validate_parameters(attacks, folds, confidence, delta, density)
    if neighbours not in ("auto", "exact", "approx"):
        raise InputError(f"neighbours must be auto, exact or approx, got '{neighbours}'")
    if max_candidates is not None and max_candidates < 2 * folds:
        raise InputError(f"max_candidates must be at least {2 * folds}, got {max_candidates}")
    resolved_policy = _resolve_policy(policy)
    if generator is None and synthetic is None:
        raise InputError("give a synthetic table or a generator")

    train_table = load_table(train, "train")
    holdout_table = load_table(holdout, "holdout")
    meta = read_metadata(metadata) if isinstance(metadata, (str, os.PathLike)) else metadata
    types = decide_types(train_table, meta, id_column)
    check_columns(train_table, [holdout_table], types)
    check_ids([train_table, holdout_table], types)
    train_typed = coerce_table(train_table, types)
    holdout_typed = coerce_table(holdout_table, types)
    overlap = overlapping_rows(train_typed, holdout_typed)
    dropped = 0
    if overlap.any():
        if not drop_overlap:
            check_overlap(holdout_table, overlap)
        dropped = int(overlap.sum())
        keep = ~overlap.to_numpy()
        holdout_table = Table(holdout_table.role, holdout_table.source,
                              holdout_table.frame[keep].reset_index(drop=True), holdout_table.sha256)
        holdout_typed = holdout_typed[keep].reset_index(drop=True)
        say(f"dropped {dropped} holdout row(s) that also appear in train")
    check_holdout_size(len(holdout_typed), folds, holdout_table.source)

    generator_info = None
    generator_spec = None
    made_release = synthetic is None
    if generator is not None:
        from synthcheck.generators import prepare_release

        synthetic, generator_spec, generator_info = prepare_release(
            generator, train_table, types, synthetic, seed=seed, log=say,
            holdout=holdout_table, **generator_options)
    synthetic_table = load_table(synthetic, "synthetic")
    check_columns(train_table, [synthetic_table], types)
    synthetic_typed = coerce_table(synthetic_table, types)
    say(types.describe())

    train_rows, holdout_rows, candidates_info = sample_candidates(
        len(train_typed), len(holdout_typed), max_candidates, seed)
    if candidates_info != "all":
        train_typed = train_typed.iloc[train_rows].reset_index(drop=True)
        holdout_typed = holdout_typed.iloc[holdout_rows].reset_index(drop=True)
        check_holdout_size(len(holdout_typed), folds, holdout_table.source)
        say(f"scoring a stratified sample of {len(train_rows)} members and "
            f"{len(holdout_rows)} non-members (--max-candidates {max_candidates})")
    if generator_spec is not None:  # shadows train on every record; these are the scored ones
        generator_spec.candidate_rows = np.r_[train_rows, train_table.rows + holdout_rows]

    candidates = pd.concat([train_typed, holdout_typed], ignore_index=True)
    is_member = np.r_[np.ones(len(train_typed), bool), np.zeros(len(holdout_typed), bool)]
    with_missing = {c for c in types.columns
                    if candidates[c].isna().any() or synthetic_typed[c].isna().any()}
    encoder = MixedEncoder(types).fit(synthetic_typed, with_missing)
    neighbour_search = choose_neighbours(neighbours, len(candidates), len(synthetic_typed))
    if density != "auto":
        estimator = density
    elif neighbour_search == "approx":
        estimator = "classifier"  # kernel sums need every pair, which approx search avoids
    else:
        estimator = choose_estimator(len(candidates), len(synthetic_typed))
    if estimator == "kde" and neighbour_search == "approx" and "density-ratio" in attacks:
        neighbour_search = "exact"
        say("kernel densities need every candidate-synthetic pair: neighbour search is exact")
    inputs = AttackInputs(
        candidates=candidates, is_member=is_member, synthetic=synthetic_typed, types=types,
        encoder=encoder, encoded_candidates=encoder.transform(candidates),
        encoded_synthetic=encoder.transform(synthetic_typed),
        folds=make_folds(is_member, folds, seed), seed=seed, generator=generator_spec,
        progress=Progress(progress))
    if estimator == "kde" and "density-ratio" in attacks:
        inputs.kde_bandwidth = KDE_BANDWIDTH_FACTOR * inputs.synthetic_spacing
    inputs.neighbour_search = neighbour_search

    scores: dict[str, np.ndarray] = {}
    details: dict[str, dict] = {}
    record_columns: dict[str, np.ndarray] = {}  # per-record extras an attack offers (records only)
    for name in attacks:
        attack = REGISTRY[name](**({"estimator": density} if name == "density-ratio" else {}))
        if attack.requires_generator and generator_spec is None:
            raise InputError(f"attack '{name}' needs a generator (--generator)")
        say(f"attack {name} ...")
        score = np.asarray(attack.score(inputs), dtype=np.float64)
        if score.shape != (len(candidates),) or np.isnan(score).any():
            raise RuntimeError(f"attack {name} returned invalid scores")
        scores[name] = score
        details[name] = attack.details() | {"description": attack.description}
        record_columns |= getattr(attack, "record_columns", dict)()

    verdict_confidence = resolved_policy.adjusted_confidence(len(attacks))
    epsilon_confidence = stats.bonferroni_level(confidence, len(attacks))
    attack_results = {}
    for index, (name, score) in enumerate(scores.items()):
        block = _results.attack_statistics(
            score[is_member], score[~is_member], confidence=confidence,
            epsilon_confidence=epsilon_confidence, verdict_confidence=verdict_confidence,
            delta=delta, seed=seed + index)
        extra = dict(details[name])
        attack_results[name] = {"description": extra.pop("description")} | block | {"details": extra}
    verdict, reasons = evaluate(resolved_policy,
                                {n: a["verdict_bounds"] for n, a in attack_results.items()})

    roles = np.r_[np.full(len(train_typed), "train"), np.full(len(holdout_typed), "holdout")]
    rows = np.r_[train_rows + 1, holdout_rows + 1]
    names = pd.concat([record_names(train_table, types).iloc[train_rows],
                       record_names(holdout_table, types).iloc[holdout_rows]], ignore_index=True)
    records = _results.records_table(names, roles, rows, is_member, scores)
    for column, values in record_columns.items():
        records[column] = values
    inputs_block = {"train": train_table.describe(), "holdout": holdout_table.describe(),
                    "synthetic": synthetic_table.describe(), "id_column": types.id_column,
                    "column_types": dict(types.kinds), "excluded_columns": dict(types.excluded),
                    "holdout_rows_dropped_as_overlap": dropped}
    parameters = {"seed": seed, "confidence": confidence, "folds": folds, "delta": delta,
                  "attacks": attacks, "density_estimator": estimator,
                  "neighbours": inputs.neighbour_search, "candidates": candidates_info}
    if inputs.neighbour_recall:
        parameters["neighbour_recall"] = inputs.neighbour_recall
    document = _results.document(
        audit_id=_results.audit_id(inputs_block, parameters | {"policy": resolved_policy.text}),
        created=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        verdict=verdict, verdict_reasons=reasons, policy=resolved_policy.describe(),
        inputs=inputs_block, generator=generator_info, parameters=parameters,
        counts={"members": int(is_member.sum()), "non_members": int((~is_member).sum()),
                "synthetic": len(synthetic_typed), "flagged_records": int(records["flagged"].sum())},
        attacks=attack_results, overall=_results.overall(attack_results),
        summaries=_results.summaries(inputs.synthetic_neighbours().distances[:, 0], is_member,
                                     records["risk_percentile"].to_numpy()),
        notes=NOTES)
    release = synthetic_table.frame if generator is not None and made_release else None
    return Audit(results=document, records=records, types=types, release=release)
