"""Attack strength on releases of real generators, beside the published attacks on the same files.

    python benchmarks/generators.py releases          # fit the generators, write the releases
    python benchmarks/generators.py audits            # score every release present (re-runnable)
    python benchmarks/generators.py report            # rewrite GENERATORS.md from the cache
    python benchmarks/generators.py releases --tables adult --sizes 300 --generators ctgan-1000

Per table (benchmarks/data/<table>/: disjoint train / holdout / population slices of real
rows) and training size n (300, 1,000): members = the first n train rows, non-members = the
first n holdout rows, reference = the first 1,000 population rows (real records in neither,
what a buyer holds; ``--reference`` for synthcheck, ``X_ref`` for the peers). Each generator
(``GENERATORS``) is fitted on the members with a recorded seed and samples n rows.

Per release, on the same files:

* synthcheck without ``--reference`` (default attacks), with ``--reference`` (default
  attacks), with ``--reference`` and every registered no-generator attack (``all``), and with
  the shadow attack (``--generator``; only for generators cheap enough to refit 16 times);
* the official ``domias`` package's ``baselines``: DOMIAS (its KDE form, the paper's eq. 2),
  LOGAN (D1), MC, GAN-Leaks and calibrated GAN-Leaks, given the reference rows, in a
  subprocess killed at ``--cap`` seconds;
* a plain DCR (benchmarks/strength.py's ``plain_dcr``).

AUC and TPR at 1 % FPR (conservative rule), synthcheck's verdicts, seconds per run, the load
average. Releases are cached in benchmarks/generator_releases/ (not committed), results in
benchmarks/generators.json; GENERATORS.md is rewritten from the cache every time.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.strength import (  # noqa: E402
    auc_and_tpr,
    domias_arrays,
    kinds,
    plain_dcr,
    typed,
)

DATA = HERE / "data"
RELEASES = HERE / "generator_releases"
CACHE = HERE / "generators.json"
REPORT = HERE / "GENERATORS.md"
NOTES_MARK = "<!-- notes below are kept by generators.py report -->"
TABLES = ("adult", "gss_wages", "cpssw8")
SIZES = (300, 1000)
REFERENCE_ROWS = 1000
SEED = 17
SHADOWS = 16
#: name -> (generator spec for synthcheck's shadow attack, its parameters, shadow-able)
GENERATORS = {
    "ctgan-1000": ("sdv:CTGANSynthesizer", {"epochs": 1000}, False),
    "copula": ("sdv:GaussianCopulaSynthesizer", {}, False),
    "cart": ("benchmarks.peer_generators:SynthpopCart", {}, True),
    "ctgan": ("sdv:CTGANSynthesizer", {"epochs": 300}, False),
    "tvae": ("sdv:TVAESynthesizer", {"epochs": 300}, False),
    "tvae-1000": ("sdv:TVAESynthesizer", {"epochs": 1000}, False),
    "mst": ("benchmarks.peer_generators:SmartnoiseMst", {"epsilon": 10.0}, False),
    "arf": ("benchmarks.peer_generators:AdversarialRandomForest", {}, False),
}


def load_load() -> str:
    return os.getloadavg().__repr__()


def inputs(table: str, size: int) -> dict[str, pd.DataFrame]:
    read = {part: pd.read_csv(DATA / table / f"{part}.csv.gz", low_memory=False)
            for part in ("train", "holdout", "population")}
    return {"train": read["train"].iloc[:size].reset_index(drop=True),
            "holdout": read["holdout"].iloc[:size].reset_index(drop=True),
            "reference": read["population"].iloc[:REFERENCE_ROWS].reset_index(drop=True)}


def release_path(table: str, size: int, generator: str) -> Path:
    return RELEASES / f"{table}-{size}-{generator}.parquet"


def cell_seed(table: str, size: int, generator: str) -> int:
    """The release's seed, from the cell's names alone (a checksum of each: table and
    generator names are not random streams of synthcheck's). Releases made before this rule
    carry the seed they were made with in their .json."""
    import zlib

    from synthcheck.support.randomness import seed_for

    return seed_for(SEED, zlib.crc32(table.encode()), size, zlib.crc32(generator.encode()))


def make_release(table: str, size: int, generator: str) -> dict:
    """Fit ``generator`` on the members and sample ``size`` rows, through synthcheck's own
    generator plumbing (the spec the shadow attack refits), with the cell's seed."""
    from synthcheck.generators import fit_and_sample, make_spec
    from synthcheck.inputs.columns import decide_types
    from synthcheck.inputs.load import load_table

    name, params, _ = GENERATORS[generator]
    data = inputs(table, size)
    types = decide_types(load_table(data["train"], "train"), None, None)
    spec = make_spec(name, types, params)
    seed = cell_seed(table, size, generator)
    started = time.perf_counter()
    release = fit_and_sample(spec, data["train"], size, seed)
    seconds = time.perf_counter() - started
    RELEASES.mkdir(exist_ok=True)
    release.to_parquet(release_path(table, size, generator), index=False)
    facts = {"seconds": seconds, "seed": seed, "load": load_load(), "spec": name,
             "params": params}
    release_path(table, size, generator).with_suffix(".json").write_text(json.dumps(facts))
    return facts


def releases(tables, sizes, generators) -> None:
    """Every wanted release not made yet, cheapest-first within a size so the grid fills."""
    for size in sizes:
        for table in tables:
            for generator in generators:
                if release_path(table, size, generator).exists():
                    continue
                try:
                    facts = make_release(table, size, generator)
                    print(f"{table} {size} {generator}: {facts['seconds']:.0f} s", flush=True)
                except Exception as error:  # a generator that fails on a table is recorded
                    release_path(table, size, generator).with_suffix(".failed").write_text(
                        f"{type(error).__name__}: {error}"[:300])
                    print(f"{table} {size} {generator}: failed {error}", flush=True)


# ------------------------------------------------------------------------------- peers
PEER_NAMES = {"ablated_eq2": "DOMIAS (KDE)", "gan_leaks_cal": "GAN-Leaks cal.",
              "gan_leaks": "GAN-Leaks", "LOGAN_D1": "LOGAN", "MC": "MC",
              "ablated_eq1": "KDE p_G only"}


def peers_child(folder: Path) -> None:
    """Runs in a subprocess: the official ``domias`` package's ``baselines`` (DOMIAS by KDE,
    LOGAN D1, MC, GAN-Leaks, calibrated GAN-Leaks) on arrays written by ``run_peers``; prints
    every score list as JSON."""
    import torch
    from domias.baselines import baselines

    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    arrays = np.load(folder / "arrays.npz")
    test = np.vstack([arrays["members"], arrays["non_members"]])
    labels = np.r_[np.ones(len(arrays["members"])), np.zeros(len(arrays["non_members"]))]
    _, scores = baselines(test, labels, arrays["release"], arrays["reference"],
                          arrays["reference"])
    print(json.dumps({name: np.nan_to_num(np.asarray(v, dtype=np.float64), nan=0.0,
                                          posinf=1e300, neginf=-1e300).tolist()
                      for name, v in scores.items()}))


def run_peers(arrays: dict, cap: float) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        np.savez(Path(folder) / "arrays.npz", **arrays)
        command = [sys.executable, str(Path(__file__).resolve()), "peers-child",
                   "--folder", folder]
        started = time.perf_counter()
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=cap)
        except subprocess.TimeoutExpired:
            return {"status": f"did not finish in {cap:.0f} s"}
        if done.returncode != 0:
            tail = (done.stderr.strip().splitlines() or ["?"])[-1]
            return {"status": f"failed: {tail[:100]}"}
        found = json.loads(done.stdout.strip().splitlines()[-1])
    is_member = np.r_[np.ones(len(arrays["members"]), bool),
                      np.zeros(len(arrays["non_members"]), bool)]
    return {"status": "ok", "seconds": time.perf_counter() - started,
            "attacks": {PEER_NAMES.get(k, k): auc_and_tpr(np.asarray(v), is_member)
                        for k, v in found.items()}}


# ------------------------------------------------------------------------------- audits
ALL_NO_GENERATOR = ("dcr", "dcr-ratio", "density-ratio", "query-match", "exact-copy",
                    "neighbourhood-ratio", "local-lr", "combined")


def synthcheck_run(data: dict, release: pd.DataFrame, **options) -> dict:
    import synthcheck
    from synthcheck.errors import InputError

    started = time.perf_counter()
    try:
        audit = synthcheck.audit(data["train"], data["holdout"], synthetic=release, seed=0,
                                 drop_overlap=True, **options)
    except InputError as error:
        return {"refused": str(error)[:200]}
    records = audit.records
    is_member = records["member"].to_numpy(dtype=bool)
    check = audit.document.get("holdout_check")
    return {"attacks": {c[len("score_"):]: auc_and_tpr(records[c].to_numpy(), is_member)
                        for c in records.columns if c.startswith("score_")},
            "verdict": str(audit.verdict), "seconds": time.perf_counter() - started,
            "holdout_broken": None if check is None else check["broken"],
            "holdout_check": check,
            "kept_holdout": records.loc[records["role"] == "holdout", "row"].to_numpy() - 1,
            "types": audit.types}


def audit_cell(table: str, size: int, generator: str, cap: float, shadow: bool) -> dict:
    data = inputs(table, size)
    release = pd.read_parquet(release_path(table, size, generator))
    facts = json.loads(release_path(table, size, generator).with_suffix(".json").read_text())
    entry = {"table": table, "size": size, "generator": generator, "release": facts,
             "load_before": load_load()}
    runs = {"no-reference": {}, "reference": {"reference": data["reference"]},
            "reference-all": {"reference": data["reference"], "attacks": list(ALL_NO_GENERATOR)}}
    spec, params, cheap = GENERATORS[generator]
    if shadow and cheap and size <= 300:
        runs["reference-shadow"] = {"reference": data["reference"], "generator": spec,
                                    "generator_params": params or None, "shadows": SHADOWS}
    types, kept = None, None
    for label, options in runs.items():
        found = synthcheck_run(data, release, **options)
        types = found.pop("types", types)
        kept = found.pop("kept_holdout", kept)
        entry[label] = found
    if types is None:
        return entry
    holdout = data["holdout"].iloc[kept].reset_index(drop=True)
    numeric, categorical = kinds(types)
    candidates = pd.concat([typed(data["train"], types), typed(holdout, types)], ignore_index=True)
    is_member = np.r_[np.ones(len(data["train"]), bool), np.zeros(len(holdout), bool)]
    started = time.perf_counter()
    entry["plain-dcr"] = auc_and_tpr(plain_dcr(candidates, typed(release, types), numeric,
                                               categorical), is_member)
    entry["plain-dcr"]["seconds"] = time.perf_counter() - started
    arrays = domias_arrays(data["train"], holdout, data["reference"], release, types)
    entry["peers"] = run_peers(arrays, cap)
    entry["load_after"] = load_load()
    return entry


def _commit() -> str:
    try:
        return subprocess.run(["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


def audits(tables, sizes, generators, cap: float, shadow: bool, again: bool) -> None:
    results = json.loads(CACHE.read_text()) if CACHE.exists() else {}
    for size in sizes:
        for table in tables:
            for generator in generators:
                key = f"{table}-{size}-{generator}"
                if not release_path(table, size, generator).exists():
                    continue
                if key in results and not again:
                    continue
                entry = audit_cell(table, size, generator, cap, shadow)
                entry["commit"] = _commit()
                results[key] = entry
                CACHE.write_text(json.dumps(results, indent=1, default=str) + "\n")
                print(f"{key}: done", flush=True)


# ------------------------------------------------------------------------------- report
SYNTHCHECK_RUNS = (("no-reference", "synthcheck, no --reference"),
                   ("reference", "synthcheck --reference"),
                   ("reference-all", "synthcheck --reference, all attacks"),
                   ("reference-shadow", "synthcheck --reference + shadow"))
DEFAULT = ("dcr", "dcr-ratio", "density-ratio", "query-match", "exact-copy", "shadow")


def _best(attacks: dict, only=None) -> tuple[str, dict] | None:
    chosen = {k: v for k, v in attacks.items() if only is None or k in only}
    if not chosen:
        return None
    name = max(chosen, key=lambda a: (chosen[a]["auc"], chosen[a]["tpr"]))
    return name, chosen[name]


def _cell(found: tuple[str, dict] | None, verdict: str | None = None) -> str:
    if found is None:
        return ""
    name, values = found
    text = f"{values['auc']:.3f} / {values['tpr']:.1%} ({name})"
    return text + (f" {verdict}" if verdict else "")


def report(results: dict) -> str:
    lines = [
        "# synthcheck on real generators, beside the published attacks",
        "",
        "Written by `benchmarks/generators.py` from `benchmarks/generators.json`; the commands, "
        "the design and what did not finish are below the tables. Each cell: AUC / TPR at "
        "1 % FPR (conservative rule) of the best attack of that column (by AUC), its name, and "
        "for synthcheck the verdict. Members = n train rows, non-members = n holdout rows, "
        f"reference = {REFERENCE_ROWS} further population rows (synthcheck `--reference`, the "
        "peers' `X_ref`); release = n rows sampled from the generator fitted on the members.",
        "",
        "| table | n | generator | no --reference (default) | --reference (default) | "
        "--reference, all attacks | --reference + shadow | best peer (domias package) | "
        "DOMIAS | plain DCR | holdout check | s: release / synthcheck / peers |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    order = {name: i for i, name in enumerate(GENERATORS)}
    for key in sorted(results, key=lambda k: (results[k]["table"], results[k]["size"],
                                              order.get(results[k]["generator"], 99))):
        e = results[key]
        cells = []
        for label, _ in SYNTHCHECK_RUNS:
            run = e.get(label)
            if not run:
                cells.append("")
            elif "refused" in run:
                cells.append("refused: " + run["refused"][:60])
            else:
                cells.append(_cell(_best(run["attacks"]), run["verdict"]))
        peers = e.get("peers", {})
        if peers.get("status") == "ok":
            best_peer = _cell(_best(peers["attacks"]))
            domias = peers["attacks"].get("DOMIAS (KDE)")
            domias = f"{domias['auc']:.3f} / {domias['tpr']:.1%}" if domias else ""
        else:
            best_peer, domias = peers.get("status", ""), ""
        plain = e.get("plain-dcr")
        plain = f"{plain['auc']:.3f} / {plain['tpr']:.1%}" if plain else ""
        broken = (e.get("reference") or {}).get("holdout_broken")
        seconds = " / ".join(
            [f"{e['release']['seconds']:.0f}",
             "+".join(f"{(e.get(label) or {}).get('seconds', 0):.0f}"
                      for label, _ in SYNTHCHECK_RUNS if e.get(label)),
             f"{peers.get('seconds', 0):.0f}"])
        lines.append(f"| {e['table']} | {e['size']} | {e['generator']} | " + " | ".join(cells)
                     + f" | {best_peer} | {domias} | {plain} | "
                     + ("" if broken is None else ("fires" if broken else "quiet"))
                     + f" | {seconds} |")
    lines += ["", "Seeds and load: each release's seed and the load average (1, 5, 15 min) "
              "when it was made are in generators.json (`release.seed`, `release.load`); "
              "synthcheck runs with seed 0."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("phase", choices=("releases", "audits", "report", "peers-child"))
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--no-shadow", action="store_true", help="skip the shadow attack runs")
    parser.add_argument("--again", action="store_true", help="re-audit cells already cached")
    parser.add_argument("--tables", default=",".join(TABLES))
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--generators", default=",".join(GENERATORS))
    parser.add_argument("--cap", type=float, default=1200, help="seconds per peer subprocess")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (shared machine)")
    args = parser.parse_args()
    tables = args.tables.split(",")
    sizes = [int(s) for s in args.sizes.split(",")]
    generators = args.generators.split(",")
    try:
        import torch

        torch.set_num_threads(args.threads)
    except ImportError:
        pass
    if args.phase == "peers-child":
        peers_child(args.folder)
    elif args.phase == "releases":
        releases(tables, sizes, generators)
    elif args.phase == "audits":
        audits(tables, sizes, generators, args.cap, not args.no_shadow, args.again)
    elif args.phase == "report":
        results = json.loads(CACHE.read_text()) if CACHE.exists() else {}
        kept = ""
        if REPORT.exists() and NOTES_MARK in REPORT.read_text():
            kept = REPORT.read_text().split(NOTES_MARK, 1)[1]
        REPORT.write_text(report(results) + "\n" + NOTES_MARK + kept)
        print(f"wrote {REPORT}")


if __name__ == "__main__":
    main()
