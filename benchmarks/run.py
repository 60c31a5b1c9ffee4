"""Time synthcheck's attacks and whole audit next to SDMetrics' and anonymeter's privacy metrics.

    python benchmarks/run.py --sizes 10k,100k          # speed tables
    python benchmarks/run.py --sizes 1m --no-peers     # the million-row run (long; background it)
    python benchmarks/run.py --quality                 # who catches what, on SDV releases

Inputs are the Adult census table upsampled with noise (benchmarks/data.py) to the number of
rows asked for, per table (train, holdout, synthetic). Every tool runs in its own subprocess,
killed at ``--cap`` seconds; peak memory is that subprocess's maximum resident set size.
Not part of the test suite.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

PEERS = ("sdmetrics-baseline", "sdmetrics-overfitting", "anonymeter-linkability",
         "anonymeter-inference")
AUX = ["age", "sex", "race", "marital_status", "education", "native_country"]


def parse_size(text: str) -> int:
    text = text.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1], 1)
    return int(float(text.rstrip("km")) * scale)


# ---------------------------------------------------------------- child processes
def _child(kind: str, folder: Path, options: dict) -> dict:
    import pandas as pd

    train, holdout, synthetic = (pd.read_parquet(folder / f"{r}.parquet")
                                 for r in ("train", "holdout", "synthetic"))
    start = time.perf_counter()
    out: dict = {}
    if kind == "synthcheck":
        import synthcheck

        marks = []
        result = synthcheck.audit(train, holdout, synthetic=synthetic, seed=0,
                                  neighbours=options.get("neighbours", "auto"),
                                  log=lambda m: marks.append((time.perf_counter(), m)))
        end = time.perf_counter()
        attack_marks = [(t, m.split()[1]) for t, m in marks if m.startswith("attack ")]
        for (t0, name), (t1, _) in zip(attack_marks, attack_marks[1:] + [(end, "")]):
            out[f"attack {name}"] = t1 - t0
        out["before attacks"] = attack_marks[0][0] - start if attack_marks else None
        out["scores"] = {name: {"auc": a.auc.value, "tpr_at_1pct_fpr": _tpr(a, 0.01)}
                         for name, a in result.results.attacks.items()}
        parameters = result.results.parameters  # the typed AuditResults, not a dict
        recall = parameters.neighbour_recall or {}
        out["parameters"] = {
            "neighbours": parameters.neighbours,
            "density_estimator": parameters.density_estimator,
            "neighbour_recall": {k: {"recall": v.recall, "sample": v.sample}
                                 for k, v in recall.items()} or None}
    elif kind.startswith("sdmetrics"):
        from sdmetrics.single_table import DCRBaselineProtection, DCROverfittingProtection

        metadata = _sdmetrics_metadata(train)
        if kind == "sdmetrics-baseline":
            value = DCRBaselineProtection.compute(train, synthetic, metadata, "t")
        else:
            value = DCROverfittingProtection.compute(train, synthetic, holdout, metadata, "t")
        out["scores"] = {kind: {"score": float(value)}}
    elif kind.startswith("anonymeter"):
        from anonymeter.evaluators import InferenceEvaluator, LinkabilityEvaluator

        n_attacks = min(len(train), len(holdout), options.get("n_attacks", 1000))
        if kind == "anonymeter-linkability":
            evaluator = LinkabilityEvaluator(ori=train, syn=synthetic, control=holdout,
                                             n_attacks=n_attacks, aux_cols=(
                                                 AUX[:3], [c for c in train if c not in AUX[:3]]))
        else:
            evaluator = InferenceEvaluator(ori=train, syn=synthetic, control=holdout, aux_cols=AUX,
                                           secret="income_per_year", n_attacks=n_attacks)
        evaluator.evaluate(n_jobs=1)
        risk = evaluator.risk()
        out["scores"] = {kind: {"risk": float(risk.value), "ci": [float(c) for c in risk.ci]}}
    out["seconds"] = time.perf_counter() - start
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _tpr(attack, fpr: float) -> float | None:
    """An attack's TPR at ``fpr`` (``AttackFigures.tpr``), None where not measurable."""
    found = attack.tpr(fpr)
    return None if found is None else found.value


def _sdmetrics_metadata(frame) -> dict:
    columns = {c: {"sdtype": "numerical" if frame[c].dtype.kind in "if" else "categorical"}
               for c in frame.columns}
    return {"tables": {"t": {"columns": columns}}}


def run_child(kind: str, folder: Path, cap: float, options: dict | None = None) -> dict:
    """Run one tool in a subprocess killed at ``cap`` seconds."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", kind, "--folder",
               str(folder), "--options", json.dumps(options or {})]
    started = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=cap)
    except subprocess.TimeoutExpired:
        return {"status": f"did not finish in {cap:.0f} s"}
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["?"]
        return {"status": f"failed: {tail[0][:120]}", "wall": time.perf_counter() - started}
    return json.loads(done.stdout.strip().splitlines()[-1]) | {"status": "ok"}


# ---------------------------------------------------------------- speed
def speed(sizes: list[int], cap: float, peers: bool, neighbours: str) -> str:
    import data

    lines = []
    for rows in sizes:
        with tempfile.TemporaryDirectory() as folder:
            folder = Path(folder)
            for role, frame in zip(("train", "holdout", "synthetic"), data.split(rows)):
                frame.to_parquet(folder / f"{role}.parquet", index=False)
            ours = run_child("synthcheck", folder, cap, {"neighbours": neighbours})
            first = len(lines)
            lines.append(f"\n### {rows:,} rows per table (train, holdout, synthetic; Adult "
                         f"upsampled with noise)\n")
            lines.append("| tool | wall time (s) | peak memory (MB) | ratio to synthcheck |")
            lines.append("|---|---:|---:|---:|")
            if ours["status"] == "ok":
                lines.append(f"| **synthcheck audit** (all three attacks; "
                             f"neighbours={ours['parameters']['neighbours']}, density="
                             f"{ours['parameters']['density_estimator']}) | {ours['seconds']:.1f} "
                             f"| {ours['peak_mb']:.0f} | 1 |")
                lines.append(f"| &nbsp; load, validate, encode | {ours['before attacks']:.1f} | | |")
                for key, value in ours.items():
                    if key.startswith("attack "):
                        lines.append(f"| &nbsp; {key} | {value:.1f} | | |")
                if ours["parameters"].get("neighbour_recall"):
                    recall = ", ".join(f"{k} {v['recall']:.4f} (n={v['sample']})"
                                       for k, v in ours["parameters"]["neighbour_recall"].items())
                    lines.append(f"| &nbsp; measured neighbour recall | {recall} | | |")
            else:
                lines.append(f"| synthcheck audit | {ours['status']} | | |")
            for peer in (PEERS if peers else ()):
                result = run_child(peer, folder, cap)
                if result["status"] == "ok":
                    ratio = (f"{result['seconds'] / ours['seconds']:.1f}x"
                             if ours["status"] == "ok" else "")
                    lines.append(f"| {peer} | {result['seconds']:.1f} | {result['peak_mb']:.0f} "
                                 f"| {ratio} |")
                else:
                    lines.append(f"| {peer} | {result['status']} | | |")
            print("\n".join(lines[first:]), flush=True)
    return "\n".join(lines)


# ---------------------------------------------------------------- quality
def releases(rows: int, seed: int = 0) -> dict:
    import data
    import numpy as np

    base = data.adult()
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(base))
    train = base.iloc[order[:rows]].reset_index(drop=True)
    holdout = base.iloc[order[rows:2 * rows]].reset_index(drop=True)
    population = base.iloc[order[2 * rows:3 * rows]].reset_index(drop=True)
    from sdv.metadata import Metadata
    from sdv.single_table import CTGANSynthesizer, GaussianCopulaSynthesizer

    metadata = Metadata.detect_from_dataframes({"t": train})
    out = {}
    for name, synthesizer in (("GaussianCopula", GaussianCopulaSynthesizer(metadata)),
                              ("CTGAN (20 epochs)", CTGANSynthesizer(metadata, epochs=20))):
        synthesizer.fit({"t": train})
        sampled = synthesizer.sample(rows)
        out[name] = sampled["t"] if isinstance(sampled, dict) else sampled
    out["leaky control (10 % near-copies of train)"] = data.leaky_release(train, population, 0.1, seed)
    return {"train": train, "holdout": holdout, "releases": out}


def quality(rows: int, cap: float) -> str:
    made = releases(rows)
    lines = [f"\n### Attack quality: {rows:,} real Adult rows per table (train, holdout), "
             f"releases of {rows:,} rows\n",
             "| release | synthcheck dcr AUC / TPR@1%FPR | dcr-ratio | density-ratio | "
             "SDMetrics DCROverfittingProtection | DCRBaselineProtection | anonymeter linkability "
             "risk | anonymeter inference risk |", "|---|---|---|---|---|---|---|---|"]
    for name, synthetic in made["releases"].items():
        with tempfile.TemporaryDirectory() as folder:
            folder = Path(folder)
            made["train"].to_parquet(folder / "train.parquet", index=False)
            made["holdout"].to_parquet(folder / "holdout.parquet", index=False)
            synthetic.to_parquet(folder / "synthetic.parquet", index=False)
            cells = [name]
            ours = run_child("synthcheck", folder, cap)
            for attack in ("dcr", "dcr-ratio", "density-ratio"):
                if ours["status"] != "ok":
                    cells.append(ours["status"])
                    continue
                s = ours["scores"][attack]
                tpr = s["tpr_at_1pct_fpr"]
                cells.append(f"{s['auc']:.3f} / {tpr:.3f}" if isinstance(tpr, float) else f"{s['auc']:.3f} / {tpr}")
            for peer in ("sdmetrics-overfitting", "sdmetrics-baseline", "anonymeter-linkability",
                         "anonymeter-inference"):
                result = run_child(peer, folder, cap)
                if result["status"] != "ok":
                    cells.append(result["status"])
                    continue
                value = next(iter(result["scores"].values()))
                if "risk" in value:
                    cells.append(f"{value['risk']:.3f} [{value['ci'][0]:.3f}, {value['ci'][1]:.3f}]")
                else:
                    cells.append(f"{value['score']:.3f} ({result['seconds']:.0f} s)")
            lines.append("| " + " | ".join(cells) + " |")
            print(lines[-1], flush=True)
    return "\n".join(lines)


def machine() -> str:
    import psutil

    return (f"{platform.processor() or platform.machine()}, {psutil.cpu_count()} cores, "
            f"{psutil.virtual_memory().total / 2**30:.0f} GB RAM, Python {platform.python_version()}, "
            f"{time.strftime('%Y-%m-%d')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10k,100k", help="rows per table, e.g. 10k,100k,1m")
    parser.add_argument("--cap", type=float, default=600, help="seconds before a tool is killed")
    parser.add_argument("--no-peers", action="store_true", help="time synthcheck only")
    parser.add_argument("--neighbours", default="auto", choices=("auto", "exact", "approx"))
    parser.add_argument("--quality", action="store_true", help="attack quality on SDV releases")
    parser.add_argument("--quality-rows", type=int, default=2000)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--options", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child, Path(args.folder), json.loads(args.options)),
                         default=float))
        return
    print(f"machine: {machine()}", flush=True)
    if args.quality:
        print(quality(args.quality_rows, args.cap))
    else:
        speed([parse_size(s) for s in args.sizes.split(",")], args.cap, not args.no_peers,
              args.neighbours)  # prints each size's table as it is done


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
