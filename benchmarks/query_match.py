"""Issue 21: releases that copy members' attribute values into strangers' rows, and the
query-match attack that catches them; clean releases at the attack's nominal rate.

    python benchmarks/query_match.py releases              # 13 tables x 6 releases (~5 min)
    python benchmarks/query_match.py clean --seeds 20      # 13 tables x 20 clean releases (~10 min)
    python benchmarks/query_match.py sdv --epochs 30       # SDV GaussianCopula / CTGAN, defaults
    python benchmarks/query_match.py sdv --write-fixtures  # also store them in fixtures/releases

``releases``: per table (benchmarks/data/<table>/, 1,000 train, 1,000 holdout rows), the
query-match attack alone (``attacks=["query-match"]``, default policy) on: ``clean``
(population rows), ``shuffled`` (the training table, every column permuted on its own),
``half-columns`` (each row: half of the columns, a fixed seeded choice, from one member, the
rest from a population row), ``4-columns`` (the same with four columns: the four with the most
distinct values, as the issue's loan amount, term, interest rate and grade are the
identifying ones), ``half-blanked`` (training rows, half of each row's cells missing),
``marginals`` (``EmpiricalMarginals``: each column resampled from train).

``clean``: per table and seed, train, holdout and release are three disjoint random draws of
1,000 rows from the table's 9,000 benchmark rows; the query-match attack alone, its statistics
and the default policy's verdict on it computed directly (``clean_verdict``: alpha 0.05 on its
three limits, nothing else sharing it). Counts FAILs and INCONCLUSIVEs.

``sdv``: SDV GaussianCopula and CTGAN (``--epochs``, default 30: CTGAN's default is 300; 30 is
enough to learn the marginals it copies) with default settings on loans and seattlepets at 300
and 1,000 training rows, releases of 1,000 rows, the full default audit (every attack); SDV's
metadata as detected (its id guess removed: SDV calls loans' total_credit_limit a key).

Every run prints the load average beside its timings (the machine is shared).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from synthcheck.generators.controls import (  # noqa: E402 (after the path insert)
    EmpiricalMarginals,
    blanked_cells,
    shuffled_columns,
    stitched_rows,
)

DATA = HERE / "data"
FIXTURES = HERE.parent / "fixtures" / "releases"
TABLES = ("adult", "gss_wages", "cpssw8", "nasscds", "loans", "doctorcontacts", "flchain",
          "wa_churn", "star", "flights", "seattlepets", "covid_testing", "randhie")
METADATA = {"seattlepets": {"columns": {"zip_code": {"sdtype": "categorical"}}}}
SDV_TABLES = ("loans", "seattlepets")
ROWS = 1000


def load(table: str) -> dict[str, pd.DataFrame]:
    return {part: pd.read_csv(DATA / table / f"{part}.csv.gz", low_memory=False)
            for part in ("train", "holdout", "population")}


def load_average() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


def most_distinct(frame: pd.DataFrame, count: int) -> list[str]:
    return list(frame.nunique().sort_values(ascending=False, kind="stable").index[:count])


def copying_releases(train: pd.DataFrame, population: pd.DataFrame, seed: int
                     ) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    columns = list(train.columns)
    half = sorted(rng.choice(len(columns), len(columns) // 2, replace=False))
    return {
        "clean": population.head(len(train)),
        "shuffled": shuffled_columns(train, seed + 1),
        "half-columns": stitched_rows(train, population, [columns[i] for i in half], seed + 2),
        "4-columns": stitched_rows(train, population, most_distinct(train, 4), seed + 3),
        "half-blanked": blanked_cells(train, 0.5, seed + 4),
        "marginals": EmpiricalMarginals(random_state=seed + 5).fit(train).sample(len(train)),
    }


def query_match_only(train, holdout, release, table: str, seed: int = 0) -> dict:
    import synthcheck

    audit = synthcheck.audit(train, holdout, synthetic=release, attacks=["query-match"],
                             metadata=METADATA.get(table), seed=seed, drop_overlap=True)
    result = audit.results.attacks["query-match"]  # the typed AuditResults
    tpr = result.tpr(0.01)
    return {"verdict": str(audit.verdict), "auc": result.auc.value,
            "auc_low": result.verdict_bounds.auc.low,
            "tpr_1pct": None if tpr is None else tpr.value,
            "unique_found": result.details["unique_found"],
            "extreme_columns": result.details["extreme_columns"]}


def run_releases(tables: list[str]) -> None:
    print(f"{'table':15} {'release':13} {'verdict':13} {'AUC':>6} {'TPR@1%':>7}  {'s':>5}")
    for table in tables:
        data = load(table)
        train, holdout = data["train"].head(ROWS), data["holdout"].head(ROWS)
        for name, release in copying_releases(train, data["population"], 21).items():
            start = time.time()
            found = query_match_only(train, holdout, release, table)
            print(f"{table:15} {name:13} {found['verdict']:13} {found['auc']:6.3f} "
                  f"{found['tpr_1pct']:7.3f}  {time.time() - start:5.1f}  {load_average()}",
                  flush=True)


def clean_verdict(train, holdout, release, table: str, seed: int) -> dict:
    """The query-match attack alone on typed inputs, its statistics and the default policy's
    verdict on it (alpha spent on its three limits only: no other check shares it, the most
    liberal setting for a false FAIL). The audit's own reading, without the distance pass and
    certificate work a whole audit does."""
    from synthcheck.attacks.query_match import QueryMatcher
    from synthcheck.distance.crossfit import make_folds
    from synthcheck.inputs.columns import coerce_table, decide_types, read_metadata
    from synthcheck.inputs.load import load_table
    from synthcheck.measure.attack_results import attack_result
    from synthcheck.verdict.policy import default_policy, evaluate

    types = decide_types(load_table(train, "train"), read_metadata(METADATA.get(table)), None)
    typed = [coerce_table(load_table(frame, role), types)
             for frame, role in ((train, "train"), (holdout, "holdout"), (release, "synthetic"))]
    candidates = pd.concat(typed[:2], ignore_index=True)
    is_member = np.r_[np.ones(len(train), bool), np.zeros(len(holdout), bool)]
    folds = make_folds(is_member, 5, seed)
    scores = QueryMatcher.build(candidates, types, seed).match(
        typed[2], folds.candidate_fold, ~is_member).score
    result = attack_result(scores, is_member, delta=1e-5, seed=seed)
    verdict = evaluate(default_policy(), {"query-match": result})
    return {"verdict": str(verdict.outcome.value), "auc": float(result.auc(0.95).value)}


def run_clean(tables: list[str], seeds: int) -> None:
    outcomes = {"PASS": 0, "FAIL": 0, "INCONCLUSIVE": 0}
    print(f"{'table':15} {'PASS':>5} {'FAIL':>5} {'INCONC':>6} {'mean AUC':>9} {'max AUC':>8}  s")
    for table in tables:
        data = load(table)
        pool = pd.concat([data["train"], data["holdout"], data["population"]],
                         ignore_index=True)
        counts, aucs, start = {"PASS": 0, "FAIL": 0, "INCONCLUSIVE": 0}, [], time.time()
        for seed in range(seeds):
            order = np.random.default_rng([21, seed]).permutation(len(pool))
            train, holdout, release = [pool.iloc[order[k * ROWS:(k + 1) * ROWS]]
                                       .reset_index(drop=True) for k in range(3)]
            found = clean_verdict(train, holdout, release, table, seed)
            counts[found["verdict"]] += 1
            aucs.append(found["auc"])
        for key in outcomes:
            outcomes[key] += counts[key]
        print(f"{table:15} {counts['PASS']:5} {counts['FAIL']:5} {counts['INCONCLUSIVE']:6} "
              f"{np.mean(aucs):9.3f} {np.max(aucs):8.3f}  {time.time() - start:.0f}  "
              f"{load_average()}", flush=True)
    total = sum(outcomes.values())
    print(f"all: {outcomes['FAIL']} FAIL, {outcomes['INCONCLUSIVE']} INCONCLUSIVE of {total} "
          f"clean releases (the verdict's false-FAIL rate is at most 5 %)")


def sdv_metadata(train: pd.DataFrame):
    from sdv.metadata import Metadata

    metadata = Metadata.detect_from_dataframes({"t": train})
    for column, spec in metadata.to_dict()["tables"]["t"]["columns"].items():
        if spec["sdtype"] == "id":  # SDV guesses a key; these tables have none
            metadata.remove_primary_key(table_name="t")
            numeric = pd.api.types.is_numeric_dtype(train[column])
            metadata.update_column(table_name="t", column_name=column,
                                   sdtype="numerical" if numeric else "categorical")
    return metadata


def sdv_release(kind: str, train: pd.DataFrame, rows: int, epochs: int, seed: int
                ) -> tuple[pd.DataFrame, object]:
    from sdv.single_table import CTGANSynthesizer, GaussianCopulaSynthesizer

    metadata = sdv_metadata(train)
    synthesizer = (GaussianCopulaSynthesizer(metadata) if kind == "copula"
                   else CTGANSynthesizer(metadata, epochs=epochs))
    synthesizer.fit({"t": train})
    synthesizer._set_random_state(seed)  # SDV has no public seed
    sampled = synthesizer.sample(rows)
    return (sampled["t"] if isinstance(sampled, dict) else sampled), metadata


def run_sdv(tables: list[str], epochs: int, write: bool) -> None:
    import synthcheck

    logging.disable(logging.WARNING)
    warnings.filterwarnings("ignore")
    for table in tables:
        data = load(table)
        for kind in ("copula", "ctgan"):
            for rows in (300, 1000):
                train, holdout = data["train"].head(rows), data["holdout"].head(rows)
                start = time.time()
                release, metadata = sdv_release(kind, train, 1000, epochs, seed=rows)
                fitted = time.time() - start
                if write:
                    FIXTURES.mkdir(parents=True, exist_ok=True)
                    release.to_csv(FIXTURES / f"{table}_{kind}_{rows}.csv.gz", index=False,
                                   compression={"method": "gzip", "mtime": 0})
                    (FIXTURES / f"{table}_sdv_metadata_{rows}.json").write_text(
                        json.dumps(metadata.to_dict(), indent=1, sort_keys=True) + "\n")
                audit = synthcheck.audit(train, holdout, synthetic=release, metadata=metadata,
                                         seed=0, drop_overlap=True)
                aucs = {name: round(block.auc.value, 3)
                        for name, block in audit.results.attacks.items()}
                print(f"{table} {kind} ({'' if kind == 'copula' else f'{epochs} epochs, '}"
                      f"{rows} train rows): {audit.verdict}, fit {fitted:.0f} s, {load_average()}; "
                      f"AUC {aucs}", flush=True)
                for reason in audit.results.failing():
                    print("    " + reason.reason)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=("releases", "clean", "sdv"))
    parser.add_argument("--tables", default=None, help="comma-separated (default: all)")
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--write-fixtures", action="store_true")
    args = parser.parse_args()
    default = SDV_TABLES if args.what == "sdv" else TABLES
    tables = args.tables.split(",") if args.tables else list(default)
    print(f"synthcheck issue 21 benchmark: {args.what}, {load_average()} at start")
    if args.what == "releases":
        run_releases(tables)
    elif args.what == "clean":
        run_clean(tables, args.seeds)
    else:
        run_sdv(tables, args.epochs, args.write_fixtures)


if __name__ == "__main__":
    main()
