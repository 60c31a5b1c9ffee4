"""Does ``--reference`` raise or lower the reference-based attacks' AUC? Over random splits.

On the fixed slices of benchmarks/GENERATORS.md, ``--reference`` lowered the AUC on four Adult
releases; one split says little. Here: random splits of a table's distinct rows into n train,
n holdout and 1,000 reference rows, a release from a generator fitted on train, and the same
audit (dcr-ratio, density-ratio) with and without the reference rows.

    PYTHONPATH=$PWD python benchmarks/reference_effect.py adult copula --trials 12 --rows 300
"""
from __future__ import annotations

import argparse
import contextlib
import io
import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.holdout_check import NULL_GENERATORS, REFERENCE_ROWS, corpus  # noqa: E402

ATTACKS = ["dcr-ratio", "density-ratio"]


def one_split(distinct: pd.DataFrame, generator: str, rows: int, trial: int) -> dict:
    """Each attack's AUC (without, with) ``--reference`` on one random split."""
    import synthcheck
    from synthcheck.generators import fit_and_sample, make_spec
    from synthcheck.inputs.columns import decide_types
    from synthcheck.inputs.load import load_table

    order = np.random.default_rng(200 + trial).permutation(len(distinct))
    bounds = ((0, rows), (rows, 2 * rows), (2 * rows, 2 * rows + REFERENCE_ROWS))
    train, holdout, reference = (distinct.iloc[order[a:b]].reset_index(drop=True)
                                 for a, b in bounds)
    name, params = NULL_GENERATORS[generator]
    types = decide_types(load_table(train, "train"), None, None)
    with contextlib.redirect_stdout(io.StringIO()):  # synthpop prints per column
        release = fit_and_sample(make_spec(name, types, params), train, rows, 2000 + trial)
    runs = [synthcheck.audit(train, holdout, synthetic=release, drop_overlap=True, quiet=True,
                             attacks=ATTACKS, **extra)
            for extra in ({}, {"reference": reference})]
    return {attack: tuple(run.document["attacks"][attack]["auc"]["value"] for run in runs)
            for attack in ATTACKS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("table")
    parser.add_argument("generator", choices=list(NULL_GENERATORS))
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--rows", type=int, default=300)
    args = parser.parse_args()
    distinct = pd.concat(list(corpus(args.table).values()), ignore_index=True)
    found = [one_split(distinct, args.generator, args.rows, t) for t in range(args.trials)]
    print("| table | release | attack | mean AUC without | with --reference | mean change | "
          "its standard error |")
    print("|---|---|---|---|---|---|---|")
    for attack in ATTACKS:
        pairs = np.array([f[attack] for f in found])
        change = pairs[:, 1] - pairs[:, 0]
        print(f"| {args.table} | {args.generator} | {attack} | {pairs[:, 0].mean():.4f} | "
              f"{pairs[:, 1].mean():.4f} | {change.mean():+.4f} | "
              f"{change.std(ddof=1) / np.sqrt(len(change)):.4f} |")


if __name__ == "__main__":
    main()
