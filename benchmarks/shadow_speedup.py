"""Shadow-attack speed-up from parallel fits: K GaussianCopula shadows on 10k-row training sets.

    python benchmarks/shadow_speedup.py [--rows 10000] [--shadows 32] [--workers 1 2]

Train and holdout are two disjoint slices of ``rows`` records of benchmarks/data/adult.csv.gz, so
every shadow fits sdv:GaussianCopulaSynthesizer on ``rows`` records and samples ``rows``; the
features are computed for 2 x ``rows`` candidates. Each worker count runs the same audit
(``attacks=["shadow"]``, same seed) in a fresh process pool; the script checks that the scores
are identical and prints wall times: the shadow-fit stage (``run_tasks``) and the whole audit.
Other load on the machine slows the parallel run most: the load average is printed, and the
share of a core each worker actually got (CPU time / wall time inside the fits) shows it.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

ADULT = Path(__file__).resolve().parent / "data" / "adult.csv.gz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000, help="rows of train (and of holdout)")
    parser.add_argument("--shadows", type=int, default=32)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import synthcheck
    from synthcheck.support import parallel

    adult = pd.read_csv(ADULT).drop_duplicates().sample(frac=1, random_state=args.seed)
    train = adult.iloc[: args.rows].reset_index(drop=True)
    holdout = adult.iloc[args.rows: 2 * args.rows].reset_index(drop=True)
    stage: dict[str, float] = {}
    original = parallel.run_tasks

    def timed_run_tasks(*positional, **keywords):
        start = time.perf_counter()
        outcomes = original(*positional, **keywords)
        stage["seconds"] = time.perf_counter() - start
        stage["task_wall"] = sum(o.seconds for o in outcomes)
        stage["task_cpu"] = sum(o.cpu_seconds for o in outcomes)
        return outcomes

    parallel.run_tasks = timed_run_tasks
    print(f"{args.shadows} x sdv:GaussianCopulaSynthesizer shadows, {len(train)} training rows "
          f"each, {len(train) + len(holdout)} candidates, {os.cpu_count()} cores")
    results = {}
    for workers in args.workers:
        load = os.getloadavg()[0]
        start = time.perf_counter()
        audit = synthcheck.audit(train, holdout, generator="sdv:GaussianCopulaSynthesizer",
                                 attacks=["shadow"], shadows=args.shadows, jobs=workers,
                                 seed=args.seed)
        total = time.perf_counter() - start
        results[workers] = (stage["seconds"], total, audit.records["score_shadow"].to_numpy(),
                            audit.results.attacks["shadow"].auc.value)
        print(f"  {workers} worker(s): shadow fits {stage['seconds']:7.1f} s "
              f"({stage['seconds'] / args.shadows:.2f} s per fit), whole audit {total:7.1f} s, "
              f"AUC {results[workers][3]:.3f}, load average before {load:.2f}; in the workers a "
              f"fit took {stage['task_wall'] / args.shadows:.2f} s wall, "
              f"{stage['task_cpu'] / args.shadows:.2f} s CPU (each worker got "
              f"{stage['task_cpu'] / stage['task_wall']:.0%} of a core)", flush=True)
    base = results[args.workers[0]]
    for workers in args.workers[1:]:
        same = np.array_equal(base[2], results[workers][2])
        print(f"speed-up {args.workers[0]} -> {workers} workers: shadow fits "
              f"{base[0] / results[workers][0]:.2f}x, whole audit {base[1] / results[workers][1]:.2f}x; "
              f"scores identical: {same}")


if __name__ == "__main__":
    main()
