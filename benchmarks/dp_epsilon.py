"""The one-run epsilon bound on a real differentially private generator: smartnoise MST.

MST (McKenna et al.; smartnoise-synth) is fitted at epsilon = 1 and 10 on ``--rows`` Adult
train rows (the fixtures), sampled to as many rows, and audited against as many holdout rows.
MST runs in its own environment (``benchmarks/mst_venv.py``: smartnoise-synth pins old
versions, so it is not in synthcheck's), on a domain read from the population fixture (bins,
levels), never from train, so the whole release is (epsilon, 1e-9)-DP. Every attack's epsilon
lower bound must stay below the true epsilon (soundness); how close it gets shows the bound's
power on a realistic generator (weak: MST spreads its noise over marginals, it does not copy
records).

    python3 -m venv /work/venvs/snsynth && /work/venvs/snsynth/bin/pip install smartnoise-synth
    SNSYNTH_PYTHON=/work/venvs/snsynth/bin/python python benchmarks/dp_epsilon.py [--seeds 3]

Prints a markdown table (docs/statistics.md holds a run of it, from before MST moved to its
own environment).
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
import synthcheck  # noqa: E402 (after the path insert)

PUBLIC = ROOT / "synthcheck" / "demo_data" / "adult_population.csv"


def mst_release(train: pd.DataFrame, epsilon: float, rows: int, seed: int) -> pd.DataFrame:
    """MST at ``epsilon`` in the snsynth venv (``benchmarks.mst_venv``), its domain (bin
    edges, levels) from the population fixture, not from train: the release is
    (epsilon, 1e-9)-DP."""
    from benchmarks.mst_venv import MstPublicDomain, available

    if not available():
        raise SystemExit("smartnoise-synth is not installed in SNSYNTH_PYTHON's environment "
                         "(see benchmarks/mst_venv.py)")
    features = train.drop(columns="person_id")
    model = MstPublicDomain(epsilon=epsilon, public=str(PUBLIC), random_state=seed)
    release = model.fit(features).sample(rows)[features.columns]
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
