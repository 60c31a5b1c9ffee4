"""Coverage of the TPR-at-FPR interval by simulation (the table in docs/statistics.md).

Non-members are standard normal; members are drawn like them (null), all shifted by 1 (shift), or
10 % of them far out at N(4, 0.5) (mixture, a partial leak). The true TPR at FPR f is known in
closed form. For each case the two-sided 95 % interval of ``stats.tpr_at_fpr`` (the one-sided
bounds at 97.5 % each) is computed on many data sets, with as many members as non-members, and
the share of data sets whose interval contains the truth is reported with its misses on each
side and the mean width.

    python benchmarks/interval_coverage.py [--datasets 1000]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from scipy.special import ndtr, ndtri

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from synthcheck.measure import stats

FPRS = (0.001, 0.01, 0.1)
SIZES = (50, 500, 5000)
KINDS = ("null", "shift", "mixture")


def true_tpr(kind: str, fpr: float) -> float:
    z = ndtri(1 - fpr)
    return {"null": fpr, "shift": 1 - ndtr(z - 1.0),
            "mixture": 0.9 * fpr + 0.1 * (1 - ndtr((z - 4.0) / 0.5))}[kind]


def members(kind: str, rng: np.random.Generator, size: int) -> np.ndarray:
    scores = rng.standard_normal(size)
    if kind == "shift":
        scores += 1.0
    elif kind == "mixture":
        leaked = rng.random(size) < 0.1
        scores[leaked] = rng.normal(4.0, 0.5, leaked.sum())
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", type=int, default=1000)
    args = parser.parse_args()
    started = time.time()
    print("| non-members | scores | FPR | coverage | below / above | mean width |")
    print("|---:|---|---:|---:|---:|---:|")
    for size in SIZES:
        for kind in KINDS:
            rng = np.random.default_rng([size, KINDS.index(kind)])
            below = dict.fromkeys(FPRS, 0)
            above = dict.fromkeys(FPRS, 0)
            width = dict.fromkeys(FPRS, 0.0)
            for _ in range(args.datasets):
                non = rng.standard_normal(size)
                mem = members(kind, rng, size)
                for fpr in FPRS:
                    low = stats.tpr_lower_bound(mem, non, fpr, 0.975)
                    high = stats.tpr_upper_bound(mem, non, fpr, 0.975)
                    truth = true_tpr(kind, fpr)
                    below[fpr] += high < truth
                    above[fpr] += low > truth
                    width[fpr] += high - low
            for fpr in FPRS:
                missed = below[fpr] + above[fpr]
                print(f"| {size:,} | {kind} | {fpr:g} | {1 - missed / args.datasets:.3f} "
                      f"| {below[fpr]} / {above[fpr]} | {width[fpr] / args.datasets:.3f} |")
    print(f"\n{args.datasets} data sets per row; {time.time() - started:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
