"""Issue 16 must-shows: releases where a few members are near-copies, under the default policy,
and a total leak under a strict board policy.

    python -m benchmarks.tail_leak [--tables doctorcontacts,randhie] [--seeds 3] [--share 0.02]
        [--noise value|sd]

Each run: 1,500 train and 1,500 holdout rows of a corpus table (synthcheck/demo_data/corpus,
else the first 1,500 rows of benchmarks/data's slices),
a release of ``share`` x 1,500 near-copies of random train rows (numbers times 1 + 1 % normal
noise, rounded to the column's precision; categories kept; ``--noise sd``: plus 1 % of the
column's sd instead) and other real records (the
population slice) for the rest. Prints the verdict, each FAIL reason's check, and the tail
figures (members flagged at FPR 0.1 % vs chance, their p-value) of every attack.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

CORPUS = Path(__file__).resolve().parent.parent / "synthcheck" / "demo_data" / "corpus"
BENCH = Path(__file__).resolve().parent / "data"
ROWS = 1500

BOARD_POLICY = """\
name = "board"
alpha = 0.01
[limits]
max_auc = 0.55
max_tpr_at_fpr_1pct = 0.05
max_epsilon = 1.0
"""


def corpus(name: str) -> dict[str, pd.DataFrame]:
    """1,500 rows each of train, holdout and population: the packaged corpus slices, or the
    first 1,500 rows of benchmarks/data's 3,000-row slices (seeded random order already)."""
    parts = ("train", "holdout", "population")
    if (CORPUS / f"{name}_train.csv.gz").exists():
        return {part: pd.read_csv(CORPUS / f"{name}_{part}.csv.gz") for part in parts}
    return {part: pd.read_csv(BENCH / name / f"{part}.csv.gz").head(ROWS) for part in parts}


def _decimals(values: pd.Series) -> int:
    """Decimal places the column is written with (at most 6)."""
    finite = values.dropna().to_numpy(dtype=float)
    for places in range(7):
        if np.allclose(finite, np.round(finite, places), rtol=0, atol=1e-9):
            return places
    return 6


def near_copies(rows: pd.DataFrame, rng: np.random.Generator,
                relative_noise: float = 0.01, spread: pd.DataFrame | None = None
                ) -> pd.DataFrame:
    """Rows with multiplicative noise on every numeric column, at the column's precision;
    with ``spread`` (a table), additive noise of ``relative_noise`` x the column's sd in it
    instead (benchmarks/strength.py's near-copies)."""
    copies = rows.copy()
    for column in copies.columns:
        values = copies[column]
        if values.dtype.kind not in "if":
            continue
        step = rng.standard_normal(len(values))
        if spread is None:
            noisy = values.to_numpy(dtype=float) * (1 + relative_noise * step)
        else:
            sd = float(np.nanstd(spread[column].to_numpy(dtype=float)))
            noisy = values.to_numpy(dtype=float) + relative_noise * sd * step
        noisy = np.round(noisy, _decimals(values))
        copies[column] = noisy.astype(values.dtype) if values.dtype.kind == "i" else noisy
    return copies.reset_index(drop=True)


def tail_release(tables: dict[str, pd.DataFrame], share: float, seed: int,
                 noise: str = "value") -> pd.DataFrame:
    return tail_release_parts(tables, share, seed, noise)[0]


def tail_release_parts(tables: dict[str, pd.DataFrame], share: float, seed: int,
                       noise: str = "value") -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """``tail_release``'s release, with the positions in train of the copied members and the
    positions in the release of their copies (same order). ``noise``: "value" (1 % of each
    value) or "sd" (1 % of the column's sd in train)."""
    train, population = tables["train"], tables["population"]
    rng = np.random.default_rng(seed)
    copied = round(share * len(train))
    chosen = rng.choice(len(train), copied, replace=False)
    leaked = near_copies(train.iloc[chosen], rng, spread=train if noise == "sd" else None)
    honest = population.iloc[rng.choice(len(population), len(train) - copied, replace=False)]
    release = pd.concat([leaked, honest], ignore_index=True)
    shuffled = release.sample(frac=1, random_state=seed)
    at = np.argsort(shuffled.index.to_numpy())[:copied]  # where each copy landed
    return shuffled.reset_index(drop=True), np.asarray(chosen), at


def describe(result) -> str:
    r = result.results
    failing = sorted({c.check for c in r.failing()})
    tails = []
    for name, attack in r.attacks.items():
        if attack.flagged is not None and attack.flagged.expected_by_chance is not None:
            tails.append(f"{name} {attack.flagged.members} vs "
                         f"{attack.flagged.expected_by_chance.members:.1f} "
                         f"(p={attack.flagged.p_value:.1e})")
    return f"{r.verdict}  failing={failing}  tail: " + "; ".join(tails)


def main(argv=None) -> None:
    import synthcheck

    parser = argparse.ArgumentParser()
    parser.add_argument("--tables", default="doctorcontacts,randhie")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--share", type=float, default=0.02)
    parser.add_argument("--noise", choices=("value", "sd"), default="value",
                        help="near-copies' noise: 1 %% of each value (multiplicative; a "
                             "calendar year moves by ~20) or 1 %% of the column's sd")
    parser.add_argument("--board", action="store_true",
                        help="also the total leak (release = train) under the board policy")
    args = parser.parse_args(argv)
    for table in args.tables.split(","):
        tables = corpus(table)
        for seed in range(args.seeds):
            release = tail_release(tables, args.share, seed, args.noise)
            found = synthcheck.audit(tables["train"], tables["holdout"], synthetic=release,
                                     seed=seed)
            print(f"{table} seed {seed} share {args.share:g} noise {args.noise}: "
                  f"{describe(found)}", flush=True)
        if args.board:
            found = synthcheck.audit(tables["train"], tables["holdout"],
                                     synthetic=tables["train"], policy=BOARD_POLICY)
            print(f"{table} total leak, board policy: {describe(found)}", flush=True)
            for check in found.results.checks:
                if check.check == "max_epsilon":
                    print("   ", check.outcome, check.reason, flush=True)


if __name__ == "__main__":
    main()
