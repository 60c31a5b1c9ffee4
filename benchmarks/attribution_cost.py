"""What column attribution costs on top of an audit, at 100k rows per table (issue 18).

    python benchmarks/attribution_cost.py [--rows 100000] [--repeats 1]

Runs, in one process and one after the other: the whole audit (which includes the attribution
step) with the per-step times from its log, and then the attribution alone on the same
inputs. Prints both with ``uptime``'s load average before and after, since the machine is
shared: the ratio of the two times, taken in the same run, is what to read; the absolute
seconds move with the load. Data: the Adult table upsampled with noise (benchmarks/data.py),
a clean release and a 10 % near-copy leak. Not part of the test suite.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))


def load_average() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--leak", type=float, default=0.1)
    args = parser.parse_args()
    import data

    from synthcheck.auditing import pipeline
    from synthcheck.auditing.parameters import AuditParameters
    from synthcheck.measure.attribution import attribute_columns
    from synthcheck.support.progress import Progress

    train, holdout, synthetic = data.split(args.rows, seed=0)
    release = data.leaky_release(train, synthetic, args.leak) if args.leak else synthetic
    out = {"rows": args.rows, "leak": args.leak, "load_before": load_average()}
    marks = []
    start = time.perf_counter()
    import synthcheck

    result = synthcheck.audit(train, holdout, synthetic=release, seed=0,
                              log=lambda m: marks.append((time.perf_counter() - start, m)))
    out["audit_seconds"] = time.perf_counter() - start
    out["audit_log"] = [(round(t, 1), m.splitlines()[0][:80]) for t, m in marks]
    out["load_between"] = load_average()
    parameters = AuditParameters()
    parameters.check_with(generator=False, synthetic=True)
    real = pipeline.read_inputs(train, holdout, None, parameters, lambda m: None)
    made = pipeline.make_release(release, None, real, parameters, lambda m: None)
    plan = pipeline.plan_audit(real, made, parameters, Progress(False), lambda m: None)
    start = time.perf_counter()
    found = attribute_columns(plan.resolved, plan.inputs, parameters.confidence)
    out["attribution_seconds"] = time.perf_counter() - start
    out["load_after"] = load_average()
    out["attribution_share_of_audit"] = out["attribution_seconds"] / out["audit_seconds"]
    out["audit_without_attribution_seconds"] = out["audit_seconds"] - out["attribution_seconds"]
    out["slowdown"] = out["audit_seconds"] / out["audit_without_attribution_seconds"]
    out["driving"] = {name: [e.column for e in a.driving] for name, a in found.attacks.items()}
    out["verdict"] = result.verdict
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
