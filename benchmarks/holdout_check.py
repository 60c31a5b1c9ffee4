"""The holdout check on corpus tables (issue 17's must-show), through the CLI.

A vendor whose generator was trained on train AND holdout releases near-copies of both: members
and "non-members" look alike, and the audit without ``--reference`` sees nothing (every AUC near
0.5). With ``--reference`` (real records in neither), the holdout is closer to the release than
the fresh records: the verdict must not be PASS, and its first reason names the holdout. Beside
it, an honest release (fresh population rows) where the check must stay quiet.

    PYTHONPATH=$PWD python benchmarks/holdout_check.py adult gss_wages loans \
        --out /tmp/holdout_check > benchmarks/HOLDOUT_CHECK.md

The check's false alarms (``--null TRIALS``): random splits of the table's distinct rows into
train, holdout and 1,000 reference rows, a release from a generator fitted on train alone
(``--generator``); the holdout check's AUC per attack should average 0.5 and its lower bound
exceed 0.5 in at most alpha of the splits:

    PYTHONPATH=$PWD python benchmarks/holdout_check.py gss_wages --null 16 --generator cart \
        --rows 300 --out /tmp/null

Each table: 400 train and 400 holdout rows (``--rows``) of its benchmarks/data slice, 1,000 reference rows
and the release's fresh rows from its population file (disjoint parts of it).
"""
from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parent / "data"
ROWS, REFERENCE_ROWS, SHARE = 400, 1000, 0.3


def corpus(table: str) -> dict[str, pd.DataFrame]:
    return {part: pd.read_csv(DATA / table / f"{part}.csv.gz", low_memory=False)
            for part in ("train", "holdout", "population")}


def near_copies(rows: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Rows with 1 % multiplicative noise on their numbers (whole-number columns stay whole):
    what a memorising generator emits."""
    rng = np.random.default_rng(seed)
    out = rows.copy()
    for column in out.columns:
        if pd.api.types.is_numeric_dtype(out[column]) and not pd.api.types.is_bool_dtype(out[column]):
            values = out[column].to_numpy(dtype=float)
            noisy = values * (1 + 0.01 * rng.standard_normal(len(values)))
            whole = np.nan_to_num(values) == np.round(np.nan_to_num(values))
            out[column] = np.where(whole.all(), np.round(noisy), noisy)
    return out.reset_index(drop=True)


def half_held_out_release(parts: dict[str, pd.DataFrame], seed: int,
                          share: float = SHARE) -> pd.DataFrame:
    """What a generator trained on train AND holdout releases: near-copies of ``share`` of
    train and of holdout, the rest fresh population rows from position 2,000 on (the
    reference is taken before it)."""
    train, holdout, population = parts["train"], parts["holdout"], parts["population"]
    rng = np.random.default_rng(seed)
    n = len(train)
    copied = int(share * n)
    rows = [near_copies(train.iloc[rng.choice(n, copied, replace=False)], seed),
            near_copies(holdout.iloc[rng.choice(len(holdout), copied, replace=False)], seed + 1),
            population.iloc[2000:2000 + n - 2 * copied]]
    return pd.concat(rows, ignore_index=True).sample(frac=1, random_state=seed)


def write_inputs(table: str, out: Path, seed: int, rows: int = ROWS) -> dict[str, Path]:
    parts = corpus(table)
    scored = {"train": parts["train"].iloc[:rows], "holdout": parts["holdout"].iloc[:rows],
              "population": parts["population"]}
    frames = {"train": scored["train"], "holdout": scored["holdout"],
              "contaminated": half_held_out_release(scored, seed),
              "honest": parts["population"].iloc[2000:2000 + rows],
              "reference": parts["population"].iloc[:REFERENCE_ROWS]}
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, frame in frames.items():
        paths[name] = out / f"{name}.csv"
        frame.to_csv(paths[name], index=False)
    return paths


def audit(paths: dict[str, Path], release: str, reference: bool, out: Path) -> tuple[list, dict]:
    command = ["synthcheck", "audit", "--train", str(paths["train"]), "--holdout",
               str(paths["holdout"]), "--synthetic", str(paths[release]), "--drop-overlap",
               "--quiet", "--out", str(out)]
    if reference:
        command += ["--reference", str(paths["reference"])]
    run = [sys.executable, "-m", "synthcheck.cli", *command[1:]]
    done = subprocess.run(run, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1, 3):  # a verdict: PASS, FAIL, INCONCLUSIVE
        raise RuntimeError(done.stderr.strip() or f"exit {done.returncode}")
    return command, json.loads((out / "results.json").read_text())


def row(table: str, release: str, reference: bool, document: dict) -> str:
    best = max(document["attacks"].items(), key=lambda item: item[1]["auc"]["value"])
    check = document.get("holdout_check")
    if check:
        strongest = max(check["attacks"].items(), key=lambda item: item[1]["low"])
        checked = (f"{strongest[0]} AUC {strongest[1]['auc']:.3f}, lower bound "
                   f"{strongest[1]['low']:.3f}: {'BROKEN' if check['broken'] else 'quiet'}")
    else:
        checked = "not run"
    first = document["verdict_reasons"][0]["reason"] if document["verdict_reasons"] else ""
    first = first if first.startswith("holdout:") else "–"
    return (f"| {table} | {release} | {'yes' if reference else 'no'} | {document['verdict']} | "
            f"{best[0]} {best[1]['auc']['value']:.3f} | {checked} | "
            f"{first[:90] + ('…' if len(first) > 90 else '')} |")


NULL_GENERATORS = {"cart": ("benchmarks.peer_generators:SynthpopCart", {}),
                   "copula": ("sdv:GaussianCopulaSynthesizer", {})}


def null_runs(table: str, generator: str, trials: int, rows: int) -> list[dict]:
    """The holdout check on ``trials`` random splits where the holdout was never used: a
    generator fitted on train alone (or, for "fresh", n population rows as the release)."""
    import contextlib
    import io

    import synthcheck
    from synthcheck.generators import fit_and_sample, make_spec
    from synthcheck.inputs.columns import decide_types
    from synthcheck.inputs.load import load_table

    distinct = pd.concat(list(corpus(table).values()), ignore_index=True)
    found = []
    for trial in range(trials):
        order = np.random.default_rng(100 + trial).permutation(len(distinct))
        bounds = (0, rows, 2 * rows, 2 * rows + REFERENCE_ROWS, 3 * rows + REFERENCE_ROWS)
        train, holdout, reference, fresh = (distinct.iloc[order[a:b]].reset_index(drop=True)
                                            for a, b in itertools.pairwise(bounds))
        if generator == "fresh":
            release = fresh
        else:
            name, params = NULL_GENERATORS[generator]
            types = decide_types(load_table(train, "train"), None, None)
            with contextlib.redirect_stdout(io.StringIO()):  # synthpop prints per column
                release = fit_and_sample(make_spec(name, types, params), train, rows,
                                         1000 + trial)
        audit = synthcheck.audit(train, holdout, synthetic=release, reference=reference,
                                 drop_overlap=True, quiet=True)
        found.append(audit.document["holdout_check"])
    return found


def null_table(table: str, generator: str, checks: list[dict]) -> list[str]:
    lines = []
    for attack in checks[0]["attacks"]:
        aucs = np.array([c["attacks"][attack]["auc"] for c in checks])
        fires = sum(c["attacks"][attack]["closer"] for c in checks)
        lines.append(f"| {table} | {generator} | {attack} | {aucs.mean():.4f} | "
                     f"{aucs.std(ddof=1):.4f} | {fires} of {len(checks)} |")
    lines.append(f"| {table} | {generator} | any (the check) | | | "
                 f"{sum(c['broken'] for c in checks)} of {len(checks)} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tables", nargs="+")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--rows", type=int, default=ROWS, help="train and holdout rows")
    parser.add_argument("--null", type=int, default=0, metavar="TRIALS",
                        help="false alarms: the check on TRIALS random honest splits")
    parser.add_argument("--generator", choices=[*NULL_GENERATORS, "fresh"], default="cart")
    args = parser.parse_args()
    if args.null:
        print("| table | release | attack | mean AUC | sd | lower bound > 0.5 |")
        print("|---|---|---|---|---|---|")
        for table in args.tables:
            for line in null_table(table, args.generator,
                                   null_runs(table, args.generator, args.null, args.rows)):
                print(line, flush=True)
        return
    print("| table | release | --reference | verdict | best attack (AUC) | holdout check "
          "(strongest) | first reason |")
    print("|---|---|---|---|---|---|---|")
    commands = []
    for table in args.tables:
        paths = write_inputs(table, args.out / table, args.seed, args.rows)
        for release in ("contaminated", "honest"):
            for reference in (False, True):
                out = args.out / table / f"{release}-{'ref' if reference else 'noref'}"
                command, document = audit(paths, release, reference, out)
                commands.append(" ".join(command))
                print(row(table, release, reference, document), flush=True)
    print("\nCommands (files written by this script under --out):\n")
    for command in commands:
        print(f"    {command}")


if __name__ == "__main__":
    main()
