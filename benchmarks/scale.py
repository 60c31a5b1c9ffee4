"""Scale benchmarks for benchmarks/SCALE.md (issue 20). Not part of the test suite.

    python benchmarks/scale.py ratio --sizes 50k,100k   # audit vs one sklearn brute-force DCR pass
    python benchmarks/scale.py profile --size 100k      # seconds per audit step (+ cProfile)
    python benchmarks/scale.py audit --size 1m          # one default audit from files: time, peak
    python benchmarks/scale.py dask --size 2m --workers 2   # the same on a Dask LocalCluster
    python benchmarks/scale.py blockcost --sizes 100k,1m   # CPU seconds per block (cost model)

Inputs are Adult upsampled with noise (benchmarks/data.py), ``size`` rows per table (train,
holdout, synthetic), written once to CSV (ratio) or Parquet (audit, dask) under --cache.
Every measured thing runs in its own subprocess (peak memory = its maximum resident set);
the load average (``uptime``) is recorded before and after each, because this machine is
shared: compare figures of one run (the audit and the sklearn pass back to back), not
absolute times across runs.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))


def parse_size(text: str) -> int:
    text = text.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("km")) * scale)


def load() -> str:
    return open("/proc/loadavg").read().split()[0] if Path("/proc/loadavg").exists() \
        else f"{os.getloadavg()[0]:.2f}"


def inputs(rows: int, cache: Path, suffix: str) -> dict[str, Path]:
    """train/holdout/synthetic files of ``rows`` rows each (made once, then reused)."""
    folder = cache / f"adult-{rows}"
    paths = {role: folder / f"{role}.{suffix}" for role in ("train", "holdout", "synthetic")}
    if all(p.exists() for p in paths.values()):
        return paths
    import data

    folder.mkdir(parents=True, exist_ok=True)
    for (role, path), frame in zip(paths.items(), data.split(rows)):
        if suffix == "csv":
            frame.to_csv(path, index=False)
        else:
            frame.to_parquet(path, index=False)
    return paths


# ---------------------------------------------------------------- children
def child_sklearn(paths: dict, options: dict) -> dict:
    """One plain DCR pass: read the files, one-hot + standardise (fitted on the synthetic
    table, dense float64: scikit-learn's default dtype), brute-force nearest synthetic row of
    every train and holdout row. Its clock starts before scikit-learn is imported, as the
    audit's starts before synthcheck's modules are (both after numpy and pandas): until
    session 10 it started after, so the audit alone paid for importing its libraries."""
    import numpy as np
    import pandas as pd

    start = time.perf_counter()
    from sklearn.compose import ColumnTransformer
    from sklearn.neighbors import NearestNeighbors
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    frames = {role: pd.read_csv(path) for role, path in paths.items()}
    synthetic = frames["synthetic"]
    numeric = [c for c in synthetic if synthetic[c].dtype.kind in "if"]
    categorical = [c for c in synthetic if c not in numeric]
    encoder = ColumnTransformer([("num", StandardScaler(), numeric),
                                 ("cat", OneHotEncoder(handle_unknown="ignore",
                                                       sparse_output=False), categorical)],
                                sparse_threshold=0.0)
    base = encoder.fit_transform(synthetic).astype(options.get("dtype", "float64"))
    query = encoder.transform(pd.concat([frames["train"], frames["holdout"]])).astype(base.dtype)
    search = NearestNeighbors(n_neighbors=1, algorithm="brute").fit(base)
    distances, _ = search.kneighbors(query)
    return {"seconds": time.perf_counter() - start, "width": int(base.shape[1]),
            "dtype": str(base.dtype), "checksum": float(np.sum(distances))}


def child_audit(paths: dict, options: dict) -> dict:
    """The whole default audit from the files, with the time of each step: every label the
    progress meter shows (steps, stages, attacks) is time-stamped, and a step lasts until the
    next label."""
    import contextlib

    import synthcheck
    from synthcheck.support import progress as progress_module

    marks: list[tuple[float, float, str]] = []  # (wall, CPU of all threads, label)
    meter = progress_module.Progress
    original_note, original_stage = meter.note, meter.stage

    def note(self, message):
        marks.append((time.perf_counter(), time.process_time(), (message or "").splitlines()[0]))
        return original_note(self, message)

    @contextlib.contextmanager
    def stage(self, label, total):
        marks.append((time.perf_counter(), time.process_time(), label))
        with original_stage(self, label, total) as tick:
            yield tick

    meter.note, meter.stage = note, stage
    import numpy  # noqa: F401  (loaded before the clock, as in the sklearn pass)
    import pandas  # noqa: F401

    start = time.perf_counter()
    result = synthcheck.audit(str(paths["train"]), str(paths["holdout"]),
                              synthetic=str(paths["synthetic"]), seed=0,
                              neighbours=options.get("neighbours", "auto"),
                              scheduler=options.get("scheduler"), progress=False)
    end, end_cpu = time.perf_counter(), time.process_time()
    steps: dict[str, float] = {}
    cpu: dict[str, float] = {}
    for (t0, c0, label), (t1, c1, _) in zip(marks, marks[1:] + [(end, end_cpu, "")]):
        name = label.rstrip(" .") or "?"
        steps[name] = steps.get(name, 0.0) + (t1 - t0)
        cpu[name] = cpu.get(name, 0.0) + (c1 - c0)
    # cores used per step (CPU seconds of all threads / wall seconds): 1.0 on a 2-core machine
    # means the step ran on one core
    cores = {name: round(cpu[name] / seconds, 2) for name, seconds in steps.items()
             if seconds >= 0.05}
    steps = {name: seconds for name, seconds in steps.items() if seconds >= 0.05}
    parameters = result.results.parameters
    recall = parameters.neighbour_recall
    return {"seconds": end - start, "steps": steps, "cores": cores, "verdict": str(result.verdict),
            "neighbours": parameters.neighbours, "density": parameters.density_estimator,
            "recall": None if recall is None else {k: str(v) for k, v in recall.items()}}


def child_profile(paths: dict, options: dict) -> dict:
    """Seconds per pipeline step, and each step's top functions by cumulative time."""
    import cProfile
    import io
    import pstats

    from synthcheck.auditing import pipeline as steps_module
    from synthcheck.auditing.parameters import AuditParameters
    from synthcheck.support.progress import Progress

    parameters = AuditParameters(seed=0, neighbours=options.get("neighbours", "exact"))
    parameters.check_with(generator=False, synthetic=True)
    times, profiles = {}, {}

    def step(name, function, *arguments):
        profiler = cProfile.Profile() if options.get("cprofile") else None
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        value = function(*arguments)
        if profiler:
            profiler.disable()
            text = io.StringIO()
            pstats.Stats(profiler, stream=text).sort_stats("cumulative").print_stats(12)
            profiles[name] = text.getvalue()
        times[name] = time.perf_counter() - started
        return value

    quiet = lambda message: None  # noqa: E731
    real = step("read_inputs", steps_module.read_inputs, str(paths["train"]),
                str(paths["holdout"]), None, parameters, quiet)
    release = step("make_release", steps_module.make_release, str(paths["synthetic"]), None,
                   real, parameters, quiet)
    with Progress(False) as meter:
        plan = step("plan_audit", steps_module.plan_audit, real, release, parameters, meter, quiet)
        for attack in plan.resolved:
            step(f"attack {attack.name}", attack.score, plan.inputs)
    return {"seconds": sum(times.values()), "steps": times, "profiles": profiles}


def child_blockcost(paths: dict, options: dict) -> dict:
    """CPU seconds (``time.process_time``, robust to other load) of one block of each heavy
    pass on encoded inputs, one thread: the unit costs of the cost model."""
    import numpy as np

    from synthcheck.auditing import pipeline as steps_module
    from synthcheck.auditing.parameters import AuditParameters
    from synthcheck.distance import approximate, neighbours
    from synthcheck.support.parallel import run_block
    from synthcheck.support.progress import Progress

    parameters = AuditParameters(seed=0, neighbours="exact")
    parameters.check_with(generator=False, synthetic=True)
    quiet = lambda message: None  # noqa: E731
    real = steps_module.read_inputs(str(paths["train"]), str(paths["holdout"]), None, parameters,
                                    quiet)
    release = steps_module.make_release(str(paths["synthetic"]), None, real, parameters, quiet)
    with Progress(False) as meter:
        inputs = steps_module.plan_audit(real, release, parameters, meter, quiet).inputs
    query, base = inputs.encoded_candidates, inputs.encoded_synthetic
    rng = np.random.default_rng(0)
    out = {"candidates": len(query), "base": len(base), "width": int(base.shape[1])}

    def cpu(function):
        started = time.process_time()
        value = function()
        return time.process_time() - started, value

    centre = base.mean(axis=0, dtype=np.float64).astype(np.float32)
    out["pruned_cells_cpu"], cells = cpu(lambda: neighbours._cells(
        np.ascontiguousarray(base - centre, dtype=np.float32)))
    shared = neighbours._PrunedBase(centre, cells, None, 1)
    rows = min(16384, len(query))
    block = neighbours._QueryBlock(0, query[rng.choice(len(query), rows, replace=False)], None)
    out["pruned_block_rows"] = rows
    out["pruned_block_cpu"], _ = cpu(lambda: run_block(neighbours._pruned_block, block, shared))
    out["approx_build_cpu"], index = cpu(lambda: approximate.build_index(base, 0))
    sample = query[rng.choice(len(query), min(65536, len(query)), replace=False)]
    out["approx_queries"] = len(sample)
    from threadpoolctl import threadpool_limits

    for nprobe in (8, 16, 32):
        shared = approximate._SearchShared(index, nprobe, None)
        with threadpool_limits(limits=1):
            seconds, _ = cpu(lambda: approximate._search_block((sample, None), shared))
        out[f"approx_nprobe{nprobe}_cpu"] = seconds
    out["approx_cells"] = int(index.nlist)
    return out


CHILDREN = {"sklearn": child_sklearn, "audit": child_audit, "profile": child_profile,
            "blockcost": child_blockcost}


def run_child(kind: str, paths: dict, options: dict | None = None, cap: float = 3600) -> dict:
    before = load()
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    command = [sys.executable, str(Path(__file__).resolve()), "child", "--kind", kind,
               "--paths", json.dumps({k: str(v) for k, v in paths.items()}),
               "--options", json.dumps(options or {})]
    try:
        done = subprocess.run(["nice", *command], capture_output=True, text=True, timeout=cap,
                              check=False)
    except subprocess.TimeoutExpired:
        return {"status": f"did not finish in {cap:.0f} s", "load": [before, load()]}
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["?"])[-1]
        return {"status": f"failed: {tail[:200]}", "load": [before, load()]}
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (used.ru_utime + used.ru_stime)
    # CPU seconds of the child (all its threads): much less sensitive to other load than wall time
    return json.loads(done.stdout.strip().splitlines()[-1]) | {"status": "ok", "cpu_seconds": cpu,
                                                               "load": [before, load()]}


# ---------------------------------------------------------------- commands
def ratio(sizes: list[int], cache: Path) -> None:
    """The sklearn pass, the audit, the sklearn pass again: the audit against the mean of the
    two passes around it, so drifting load hits both sides alike."""
    for rows in sizes:
        paths = inputs(rows, cache, "csv")
        first = run_child("sklearn", paths)
        audit = run_child("audit", paths, {"neighbours": "auto"})
        second = run_child("sklearn", paths)
        print(f"\n### {rows:,} rows per table ({2 * rows:,} candidates x {rows:,} synthetic)\n")
        print("| run | seconds | peak MB | load before -> after |\n|---|---:|---:|---|")
        for name, found in (("sklearn brute-force DCR (1)", first), ("synthcheck audit", audit),
                            ("sklearn brute-force DCR (2)", second)):
            if found["status"] != "ok":
                print(f"| {name} | {found['status']} | | {' -> '.join(found['load'])} |")
                continue
            print(f"| {name} | {found['seconds']:.1f} | {found['peak_mb']:.0f} | "
                  f"{' -> '.join(found['load'])} |")
        if audit["status"] == "ok":
            for step, seconds in audit["steps"].items():
                print(f"| &nbsp; {step} | {seconds:.1f} | | |")
        if all(r["status"] == "ok" for r in (first, audit, second)):
            mean = (first["seconds"] + second["seconds"]) / 2
            print(f"\nratio audit / sklearn pass: **{audit['seconds'] / mean:.2f}** "
                  f"(sklearn width {first['width']}, {first['dtype']}; audit: "
                  f"neighbours={audit['neighbours']}, density={audit['density']})", flush=True)


def profile(rows: int, cache: Path, cprofile: bool, suffix: str) -> None:
    found = run_child("profile", inputs(rows, cache, suffix),
                      {"cprofile": cprofile, "neighbours": "exact"})
    print(f"\n### per-step profile, {rows:,} rows per table, exact neighbours, {suffix} files "
          f"(load {' -> '.join(found['load'])})\n")
    if found["status"] != "ok":
        print(found["status"])
        return
    print("| step | seconds |\n|---|---:|")
    for step, seconds in found["steps"].items():
        print(f"| {step} | {seconds:.1f} |")
    print(f"| total | {found['seconds']:.1f} |\n\npeak {found['peak_mb']:.0f} MB")
    for step, text in found.get("profiles", {}).items():
        print(f"\n#### {step}\n```\n{text.strip()}\n```")


def single(rows: int, cache: Path, neighbours: str, scheduler: str | None = None) -> dict:
    found = run_child("audit", inputs(rows, cache, "parquet"),
                      {"neighbours": neighbours, "scheduler": scheduler}, cap=4 * 3600)
    print(json.dumps(found, indent=1), flush=True)
    return found


def dask_run(rows: int, cache: Path, workers: int, neighbours: str) -> None:
    """The audit on a LocalCluster of ``workers`` one-thread processes, with the compute time
    of every synthcheck task from the scheduler's task stream (the cost model's inputs)."""
    from distributed import Client, LocalCluster, get_task_stream

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client, \
            get_task_stream(client) as stream:
        found = single(rows, cache, neighbours, cluster.scheduler_address)
        worker_peak = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    passes: dict[str, dict] = {}
    for task in stream.data:
        key = str(task["key"])
        if not key.startswith("synthcheck-"):
            continue
        seconds = sum(s["stop"] - s["start"] for s in task["startstops"]
                      if s["action"] == "compute")
        entry = passes.setdefault(key.split("-")[1], {"tasks": 0, "compute_seconds": 0.0,
                                                      "longest": 0.0})
        entry["tasks"] += 1
        entry["compute_seconds"] += seconds
        entry["longest"] = max(entry["longest"], seconds)
    print(json.dumps({"passes": passes, "workers": workers,
                      "worker_peak_mb": {w: kb / 1024 for w, kb in worker_peak.items()},
                      "audit_seconds": found.get("seconds")}, indent=1), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("ratio", "profile", "audit", "dask", "blockcost",
                                            "child"))
    parser.add_argument("--sizes", default="50k,100k")
    parser.add_argument("--size", default="100k")
    parser.add_argument("--cache", default=os.environ.get("SCALE_CACHE", "/tmp/synthcheck-scale"))
    parser.add_argument("--neighbours", default="auto", choices=("auto", "exact", "approx"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cprofile", action="store_true")
    parser.add_argument("--format", default="csv", choices=("csv", "parquet"))
    parser.add_argument("--kind", help=argparse.SUPPRESS)
    parser.add_argument("--paths", help=argparse.SUPPRESS)
    parser.add_argument("--options", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    cache = Path(args.cache)
    if args.command == "child":
        paths = {k: Path(v) for k, v in json.loads(args.paths).items()}
        found = CHILDREN[args.kind](paths, json.loads(args.options))
        found["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(found, default=float))
    elif args.command == "ratio":
        ratio([parse_size(s) for s in args.sizes.split(",")], cache)
    elif args.command == "profile":
        profile(parse_size(args.size), cache, args.cprofile, args.format)
    elif args.command == "audit":
        single(parse_size(args.size), cache, args.neighbours)
    elif args.command == "blockcost":
        for size in args.sizes.split(","):
            print(json.dumps(run_child("blockcost", inputs(parse_size(size), cache, "parquet")),
                             indent=1), flush=True)
    else:
        dask_run(parse_size(args.size), cache, args.workers, args.neighbours)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
