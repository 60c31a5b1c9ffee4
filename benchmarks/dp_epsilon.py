"""The one-run epsilon bound on a real differentially private generator: smartnoise MST.

MST (McKenna et al.; smartnoise-synth) is fitted at epsilon = 1 and 10 on 1,000 Adult train rows
(the fixtures), sampled to 1,000 rows, and audited against 1,000 holdout rows. Numbers are
binned on fixed, public edges before fitting (no privacy budget spent on the data's bounds) and
each bin decoded to its midpoint, so the whole release is (epsilon, 1e-9)-DP. Every attack's
epsilon lower bound must stay below the true epsilon (soundness); how close it gets shows the
bound's power on a realistic generator (weak: MST spreads its noise over marginals, it does not
copy records).

    pip install smartnoise-synth    # the bench extra
    python benchmarks/dp_epsilon.py [--seeds 3]

Prints a markdown table (docs/statistics.md holds a run of it).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import synthcheck

# Fixed, data-independent edges (Adult's documented ranges): binning spends no privacy budget.
EDGES = {
    "age": np.arange(15, 95, 5),
    "fnlwgt": np.r_[0, np.geomspace(20_000, 1_500_000, 15)],
    "education-num": np.arange(0.5, 17.5, 1.0),
    "capital_gain": np.r_[-0.5, 0.5, np.geomspace(1_000, 100_000, 8)],
    "capital_loss": np.r_[-0.5, 0.5, np.geomspace(100, 5_000, 8)],
    "hours_per_week": np.r_[0, 20, 30, 35, 39.5, 40.5, 45, 50, 60, 80, 100],
}


def encode(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column, edges in EDGES.items():
        out[column] = np.clip(np.digitize(out[column], edges), 1, len(edges) - 1).astype(str)
    return out.astype(str)


def decode(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column, edges in EDGES.items():
        index = out[column].astype(int).to_numpy()
        out[column] = np.round((edges[index - 1] + edges[index]) / 2).astype(np.int64)
    return out


def mst_release(train: pd.DataFrame, epsilon: float, rows: int, seed: int) -> pd.DataFrame:
    from snsynth import Synthesizer

    np.random.seed(seed)  # MST draws from numpy's global generator
    features = train.drop(columns="person_id")
    model = Synthesizer.create("mst", epsilon=epsilon, verbose=False)
    encoded = encode(features)
    model.fit(encoded, categorical_columns=list(encoded.columns), preprocessor_eps=0.0)
    release = decode(model.sample(rows))[features.columns]
    release.insert(0, "person_id", [f"S{i}" for i in range(rows)])
    return release


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--rows", type=int, default=1000)
    args = parser.parse_args()
    parts = {p: pd.read_csv(ROOT / "fixtures" / f"adult_{p}.csv") for p in ("train", "holdout")}
    print("| MST epsilon | seed | attack | AUC | TPR at FPR 1 % | epsilon lower bound (its level) "
          "| verdict |")
    print("|---:|---:|---|---:|---:|---:|---|")
    started = time.time()
    for epsilon in (1.0, 10.0):
        for seed in range(args.seeds):
            rng = np.random.default_rng(seed)
            train, holdout = (t.iloc[np.sort(rng.choice(len(t), args.rows, replace=False))]
                              .reset_index(drop=True) for t in parts.values())
            release = mst_release(train, epsilon, args.rows, seed)
            result = synthcheck.audit(train, holdout, synthetic=release,
                                      id_column="person_id", seed=seed)
            for name, attack in result.results.attacks.items():  # the typed AuditResults
                tpr = attack.tpr(0.01)
                shown = "n/a" if tpr is None else f"{tpr.value:.3f}"
                print(f"| {epsilon:g} | {seed} | {name} | {attack.auc.value:.3f} "
                      f"| {shown} | {attack.epsilon_lower_bound:.3f} "
                      f"(at {attack.epsilon_level:.4g}) | {result.verdict} |", flush=True)
            bound = result.results.overall.epsilon_lower_bound
            assert bound <= epsilon, f"unsound: bound {bound} > true epsilon {epsilon}"
    print(f"\n{time.time() - started:.0f} s (taken under load)", file=sys.stderr)


if __name__ == "__main__":
    main()
