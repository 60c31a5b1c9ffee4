"""The audit's extras at scale (issue 20, session 4): column attribution (issue 18) and the EDPB
risks (issue 21), profiled apart from the rest of the audit. Not part of the test suite.

    python benchmarks/extras.py --size 50k                 # CPU seconds of each extra
    python benchmarks/extras.py --size 50k --cprofile      # + the top functions of each
    python benchmarks/extras.py --size 50k --save out.pkl  # + the findings, to compare two versions

Inputs are ``benchmarks/scale.py``'s cached CSV files (Adult upsampled with noise, N rows per
table). The audit's own steps up to the plan (read, check, encode) run first; then the dcr and
dcr-ratio passes and the other attacks (the extras reuse their work); then each extra, timed in CPU
seconds of this process (``time.process_time``: all threads; less sensitive to other load than
wall time) and wall seconds, with the load average beside them.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pickle
import pstats
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))


def load() -> str:
    return open("/proc/loadavg").read().split()[0]


def timed(name: str, function, profile: bool, report: dict):
    profiler = cProfile.Profile() if profile else None
    before, cpu, wall = load(), time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    value = function()
    if profiler:
        profiler.disable()
    report[name] = {"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall,
                    "load": f"{before} -> {load()}"}
    if profiler:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(18)
        report[name]["profile"] = text.getvalue()
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="50k")
    parser.add_argument("--cache", default="/tmp/synthcheck-scale")
    parser.add_argument("--neighbours", default="auto", choices=("auto", "exact", "approx"))
    parser.add_argument("--cprofile", action="store_true")
    parser.add_argument("--save", help="pickle the findings here (to compare versions)")
    parser.add_argument("--skip", default="", help="comma-separated: attribution,edpb")
    options = parser.parse_args()

    import scale
    from synthcheck.auditing import pipeline
    from synthcheck.auditing.parameters import AuditParameters
    from synthcheck.support.progress import Progress

    rows = scale.parse_size(options.size)
    paths = scale.inputs(rows, Path(options.cache), "csv")
    parameters = AuditParameters(seed=0, neighbours=options.neighbours)
    parameters.check_with(generator=False, synthetic=True)
    quiet = lambda message: None  # noqa: E731
    report: dict = {}
    real = timed("read", lambda: pipeline.read_inputs(str(paths["train"]), str(paths["holdout"]),
                                                      None, parameters, quiet), False, report)
    release = pipeline.make_release(str(paths["synthetic"]), None, real, parameters, quiet)
    skip = set(filter(None, options.skip.split(",")))
    found = {}
    with Progress(False) as meter:
        plan = pipeline.plan_audit(real, release, parameters, meter, quiet)
        inputs = plan.inputs
        timed("dcr search", inputs.synthetic_neighbours, False, report)
        timed("dcr-ratio search", inputs.reference_neighbours, False, report)
        # the other attacks, as the audit runs them before the extras (query-match's one
        # pass keeps what attribution reads)
        timed("other attacks", lambda: [inputs.scores_of(a) for a in plan.resolved],
              False, report)
        if "attribution" not in skip:
            found["attribution"] = timed("attribution", lambda: pipeline.attribute(
                plan, parameters), options.cprofile, report)
        if "edpb" not in skip:
            found["edpb"] = timed("edpb", lambda: pipeline.assess_edpb(
                plan, parameters, quiet), options.cprofile, report)
        found["reasons"] = timed("record reasons", lambda: __import__(
            "synthcheck.measure.attribution", fromlist=["x"]).record_reasons(inputs),
            False, report)
    print(f"{rows:,} rows per table, neighbours={inputs.neighbour_search}, "
          f"width {inputs.encoded_synthetic.shape[1]}, "
          f"attacks {[a.name for a in plan.resolved]}")
    for name, entry in report.items():
        print(f"{name:18s} cpu {entry['cpu']:7.1f} s  wall {entry['wall']:7.1f} s  "
              f"load {entry['load']}")
    for name, entry in report.items():
        if "profile" in entry:
            print(f"\n#### {name}\n{entry['profile']}")
    if options.save:
        edpb = found.get("edpb")
        with open(options.save, "wb") as out:
            pickle.dump({"attribution": found.get("attribution"),
                         "edpb": None if edpb is None else (edpb.risks, edpb.records),
                         "reasons": found["reasons"]}, out)


if __name__ == "__main__":
    main()
