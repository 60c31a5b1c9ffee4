"""synthcheck's EDPB risks beside anonymeter 1.1's on the same files (issue 21, part 5).

    python benchmarks/edpb.py run                      # every cached real-generator release
    python benchmarks/edpb.py run --tables adult --generators copula
    python benchmarks/edpb.py speed --rows 10000       # run time at 10k rows, both tools
    python benchmarks/edpb.py report                   # rewrite EDPB.md from the cache

anonymeter pins numpy < 1.27, so it runs in its own environment, in a subprocess
(``ANON_PYTHON``, default /work/anon-venv/bin/python; make it with
``python3 -m venv /work/anon-venv && /work/anon-venv/bin/pip install anonymeter pyarrow``),
reading the same three tables from Parquet files this script writes.

Cells: the releases of benchmarks/generators.py (``benchmarks/generator_releases/``, made by
``python benchmarks/generators.py releases``): members = the first n train rows, control = the
first n holdout rows, the release as sampled. Both tools get the same questions:

* singling out: 500 univariate and 500 multivariate (3-column) predicates asked; anonymeter's
  two modes are separate evaluators, synthcheck reports both and the pooled risk;
* linkability: the columns cut in two halves in table order, 1 nearest neighbour, every member
  (n attacks) and every control record;
* inference: every column in turn the secret, the others known, every member.

Risks with their 95 % intervals as each tool computes them (synthcheck: Clopper-Pearson rates
at 97.5 % each, the risk formula at their corners; anonymeter: Wilson score rates and an
error-propagated interval), and the seconds each took, with the load average beside them.
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

HERE = Path(__file__).resolve().parent
CACHE = HERE / "edpb.json"
REPORT = HERE / "EDPB.md"
NOTES_MARK = "<!-- notes below are kept by edpb.py report -->"
ANON_PYTHON = os.environ.get("ANON_PYTHON", "/work/anon-venv/bin/python")
UNIVARIATE = MULTIVARIATE = 500
CONFIDENCE = 0.95
CAP = 1800  # seconds for one anonymeter cell
# multivariate query attempts per query asked, both tools (synthcheck's MULTIVARIATE_ATTEMPTS):
# anonymeter's default, 10 million, ran past 6 minutes on the 5-column cpssw8 release
ATTEMPTS = 50


def load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


# -- synthcheck ------------------------------------------------------------------------------


def synthcheck_risks(train, holdout, release, attacks: int | None = None,
                     secrets: list[str] | None = None) -> dict:
    """synthcheck's three risks (``synthcheck.edpb.assess``) on raw frames, and its seconds
    (typing and encoding included, as an audit does them)."""
    sys.path.insert(0, str(HERE.parent))
    import numpy as np
    import pandas as pd

    from synthcheck.distance.encode import MixedEncoder
    from synthcheck.edpb.assess import EdpbSettings, assess
    from synthcheck.inputs.columns import coerce_table, decide_types
    from synthcheck.inputs.load import load_table

    started = time.perf_counter()
    tables = {role: load_table(frame, role) for role, frame in
              (("train", train), ("holdout", holdout), ("synthetic", release))}
    types = decide_types(tables["train"], None, None)
    typed = {role: coerce_table(table, types) for role, table in tables.items()}
    candidates = pd.concat([typed["train"], typed["holdout"]], ignore_index=True)
    is_member = np.r_[np.ones(len(train), bool), np.zeros(len(holdout), bool)]
    missing = {c for c in types.columns
               if candidates[c].isna().any() or typed["synthetic"][c].isna().any()}
    encoder = MixedEncoder(types).fit(typed["synthetic"], missing)
    settings = EdpbSettings(max_records=attacks or min(len(train), len(holdout)),
                            univariate=UNIVARIATE, multivariate=MULTIVARIATE,
                            secret_columns=tuple(secrets) if secrets else None)
    found, _ = assess(encoder, types.kinds, typed["synthetic"],
                      encoder.transform(typed["synthetic"]), candidates,
                      encoder.transform(candidates), is_member, seed=0,
                      confidence=CONFIDENCE, settings=settings)
    seconds = time.perf_counter() - started

    def plain(risk) -> dict:
        return {"risk": risk.risk, "low": risk.low, "high": risk.high,
                "attack_rate": risk.attack_rate, "control_rate": risk.control_rate,
                "attacks": risk.attacks}

    single = found.singling_out
    return {"seconds": seconds, "load": load(), "columns": list(types.columns),
            "singling_out": plain(single) | {"made": single.made, "why_fewer": single.why_fewer},
            "univariate": plain(single.univariate) if single.univariate else None,
            "multivariate": plain(single.multivariate) if single.multivariate else None,
            "linkability": plain(found.linkability) if found.linkability else None,
            "link_columns": [list(found.linkability.first_columns),
                             list(found.linkability.second_columns)]
            if found.linkability else None,
            "inference": {name: plain(risk) for name, risk in found.inference.items()}}


# -- anonymeter (in its own environment) -----------------------------------------------------


def anonymeter_risks(train, holdout, release, link_columns, secrets, attacks: int,
                     singling_out: bool = True) -> dict:
    """anonymeter 1.1's risks in a subprocess of ``ANON_PYTHON`` (killed after ``CAP`` s)."""
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for name, frame in (("ori", train), ("control", holdout), ("syn", release)):
            frame.to_parquet(folder / f"{name}.parquet", index=False)
        (folder / "spec.json").write_text(json.dumps({
            "link_columns": link_columns, "secrets": secrets, "attacks": attacks,
            "singling_out": singling_out}))
        try:
            # -P: not benchmarks/ first on the path (a module there could shadow a package)
            subprocess.run([ANON_PYTHON, "-P", __file__, "anon-child", "--folder", str(folder)],
                           check=True, timeout=CAP)
        except subprocess.TimeoutExpired:
            return {"error": f"killed after {CAP} s"}
        except subprocess.CalledProcessError as error:
            return {"error": f"exit {error.returncode}"}
        return json.loads((folder / "out.json").read_text())


def anon_child(folder: Path) -> None:
    """Runs under anonymeter's environment: no synthcheck import."""
    import warnings

    import pandas as pd
    from anonymeter.evaluators import singling_out_evaluator as so_module
    from anonymeter.evaluators import (
        InferenceEvaluator,
        LinkabilityEvaluator,
        SinglingOutEvaluator,
    )

    warnings.simplefilter("ignore")
    spec = json.loads((folder / "spec.json").read_text())
    ori, control, syn = (pd.read_parquet(folder / f"{n}.parquet")
                         for n in ("ori", "control", "syn"))
    attacks = spec["attacks"]
    out: dict = {"load_before": load()}

    def plain(evaluator) -> dict:
        risk = evaluator.risk(confidence_level=CONFIDENCE)
        results = evaluator.results(confidence_level=CONFIDENCE)
        return {"risk": float(risk.value), "low": float(risk.ci[0]), "high": float(risk.ci[1]),
                "attack_rate": float(results.attack_rate.value),
                "control_rate": float(results.control_rate.value),
                "attacks": int(results.n_attacks_ori)}

    generated: list[int] = []  # queries made (``queries()`` lists only the successful ones)
    original = so_module._generate_singling_out_queries

    def counting(*args, **kwargs):
        found = original(*args, **kwargs)
        generated.append(len(found))
        return found

    so_module._generate_singling_out_queries = counting
    if spec["singling_out"]:
        for mode, asked in (("univariate", UNIVARIATE), ("multivariate", MULTIVARIATE)):
            started = time.perf_counter()
            evaluator = SinglingOutEvaluator(ori=ori, syn=syn, control=control, n_attacks=asked,
                                             n_cols=3, seed=0, max_attempts=ATTEMPTS * asked)
            try:
                evaluator.evaluate(mode=mode)
                out[mode] = plain(evaluator) | {"made": generated[-1],
                                                "successes": len(evaluator.queries())}
            except Exception as error:  # noqa: BLE001 (anonymeter raises when it finds too few)
                out[mode] = {"error": f"{type(error).__name__}: {error}"[:300]}
            out[mode]["seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    evaluator = LinkabilityEvaluator(ori=ori, syn=syn, control=control, n_attacks=attacks,
                                     aux_cols=tuple(spec["link_columns"]), n_neighbors=1)
    evaluator.evaluate(n_jobs=-1)
    out["linkability"] = plain(evaluator) | {"seconds": time.perf_counter() - started}
    out["inference"] = {}
    started = time.perf_counter()
    for secret in spec["secrets"]:
        aux = [c for c in ori.columns if c != secret]
        evaluator = InferenceEvaluator(ori=ori, syn=syn, control=control, aux_cols=aux,
                                       secret=secret, n_attacks=attacks)
        evaluator.evaluate(n_jobs=-1)
        out["inference"][secret] = plain(evaluator)
    out["inference_seconds"] = time.perf_counter() - started
    out["load"] = load()
    (folder / "out.json").write_text(json.dumps(out))


# -- cells -----------------------------------------------------------------------------------


def read_cache() -> dict:
    return json.loads(CACHE.read_text()) if CACHE.exists() else {}


def write_cache(cache: dict) -> None:
    CACHE.write_text(json.dumps(cache, indent=1, sort_keys=True) + "\n")


def run(tables, sizes, generators, again: bool) -> None:
    import pandas as pd

    sys.path.insert(0, str(HERE.parent))
    from benchmarks.generators import inputs, release_path

    cache = read_cache()
    for table in tables:
        for size in sizes:
            for generator in generators:
                key = f"{table}-{size}-{generator}"
                path = release_path(table, size, generator)
                made = generator in CONSTRUCTED
                if (not made and not path.exists()) or (key in cache and not again):
                    continue
                data = inputs(table, size)
                release = (constructed(generator, data["train"]) if made
                           else pd.read_parquet(path))
                ours = synthcheck_risks(data["train"], data["holdout"], release)
                theirs = anonymeter_risks(data["train"], data["holdout"], release,
                                          ours["link_columns"], ours["columns"], size)
                cache[key] = {"table": table, "size": size, "generator": generator,
                              "synthcheck": ours, "anonymeter": theirs}
                write_cache(cache)
                print(f"{key}: synthcheck {ours['seconds']:.1f} s, anonymeter "
                      f"{_anon_seconds(theirs):.1f} s (load {ours['load']})", flush=True)


#: releases made here from the members (not generators): the issue's leaks and a clean one
CONSTRUCTED = {
    "shuffled": "every column of train shuffled on its own (values copied, rows broken: an "
                "independent-marginals generator)",
    "half-copied": "half the train rows verbatim, the other half columns shuffled",
}


def constructed(kind: str, train):
    import numpy as np

    rng = np.random.default_rng(21)
    shuffled = train.copy()
    for column in shuffled.columns:
        shuffled[column] = rng.permutation(shuffled[column].to_numpy())
    if kind == "shuffled":
        return shuffled
    half = len(train) // 2
    import pandas as pd

    return pd.concat([train.iloc[:half], shuffled.iloc[half:]], ignore_index=True)


def _anon_seconds(found: dict) -> float:
    return (sum(found.get(m, {}).get("seconds", 0.0) for m in ("univariate", "multivariate"))
            + found.get("linkability", {}).get("seconds", 0.0)
            + found.get("inference_seconds", 0.0))


def speed(rows: int, attacks: int, secrets: int) -> None:
    """Both tools on ``rows`` members, ``rows`` controls and ``rows`` release rows (disjoint
    slices of the whole Adult table: a release of other real records; run time does not
    depend on what the generator was), ``attacks`` targets each, ``secrets`` secret columns."""
    sys.path.insert(0, str(HERE.parent))
    from benchmarks.data import adult

    whole = adult().sample(frac=1.0, random_state=5).reset_index(drop=True)
    train, holdout, release = (whole.iloc[k * rows:(k + 1) * rows].reset_index(drop=True)
                               for k in range(3))
    chosen = list(train.columns)[-secrets:]
    ours = synthcheck_risks(train, holdout, release, attacks, chosen)
    ours_seconds = ours["seconds"]
    theirs = anonymeter_risks(train, holdout, release, ours["link_columns"], chosen, attacks)
    cache = read_cache()
    cache[f"speed-{rows}-{attacks}"] = {"rows": rows, "attacks": attacks, "secrets": chosen,
                              "synthcheck": ours, "anonymeter": theirs}
    write_cache(cache)
    print(f"speed {rows}: synthcheck {ours_seconds:.1f} s, anonymeter "
          f"{_anon_seconds(theirs):.1f} s ({secrets} secrets each), load {ours['load']}",
          flush=True)


# -- report ----------------------------------------------------------------------------------


def _risk(entry: dict | None) -> str:
    if not entry or "risk" not in entry:
        return "–" if not entry else f"error: {entry.get('error', '?')[:40]}"
    return f"{entry['risk']:.2f} [{entry['low']:.2f}, {entry['high']:.2f}]"


def _rates(entry: dict | None) -> str:
    if not entry or "risk" not in entry:
        return "–"
    return f"{entry['attack_rate']:.2f} / {entry['control_rate']:.2f}"


def report() -> None:
    cache = read_cache()
    lines = ["# EDPB risks: synthcheck beside anonymeter 1.1", "",
             ("Written by `python benchmarks/edpb.py report` from benchmarks/edpb.json (see the "
             "script's docstring for the cells and settings). Risk [95 % interval] as each tool "
             "computes it; rates: attack / control success. Seconds with the load average "
             "(1, 5, 15 min) of the shared 2-core machine beside them."), ""]
    cells = {k: v for k, v in cache.items() if not k.startswith("speed-")}
    lines += ["## Singling out", "",
              ("| release | synthcheck pooled | synthcheck univariate | anonymeter univariate "
              "(made) | synthcheck multivariate | anonymeter multivariate (made) |"),
              "|---|---|---|---|---|---|"]
    for key, cell in cells.items():
        ours, theirs = cell["synthcheck"], cell["anonymeter"]
        made = ours["singling_out"]["made"]
        lines.append(
            f"| {key} | {_risk(ours['singling_out'])} | {_risk(ours['univariate'])} "
            f"({made['univariate']}) | {_risk(theirs.get('univariate'))} "
            f"({theirs.get('univariate', {}).get('made', '–')}) | "
            f"{_risk(ours['multivariate'])} ({made['multivariate']}) | "
            f"{_risk(theirs.get('multivariate'))} "
            f"({theirs.get('multivariate', {}).get('made', '–')}) |")
    lines += ["", "## Linkability (the columns in two halves, 1 neighbour)", "",
              "| release | synthcheck | rates | anonymeter | rates |", "|---|---|---|---|---|"]
    for key, cell in cells.items():
        ours, theirs = cell["synthcheck"], cell["anonymeter"]
        lines.append(f"| {key} | {_risk(ours['linkability'])} | {_rates(ours['linkability'])} "
                     f"| {_risk(theirs.get('linkability'))} | "
                     f"{_rates(theirs.get('linkability'))} |")
    lines += ["", "## Inference (each column the secret, the others known)", "",
              ("The three secrets with the largest disagreement per release, and the highest "
              "risk over all secrets."), "",
              "| release | secret | synthcheck | rates | anonymeter | rates |",
              "|---|---|---|---|---|---|"]
    for key, cell in cells.items():
        ours, theirs = cell["synthcheck"]["inference"], cell["anonymeter"].get("inference", {})
        gaps = sorted(ours, key=lambda s: -abs(ours[s]["risk"] - theirs.get(s, {}).get(
            "risk", ours[s]["risk"])))
        for secret in gaps[:3]:
            lines.append(f"| {key} | {secret} | {_risk(ours[secret])} | {_rates(ours[secret])} "
                         f"| {_risk(theirs.get(secret))} | {_rates(theirs.get(secret))} |")
        top_ours = max(ours.values(), key=lambda r: r["risk"])
        top_theirs = max((r for r in theirs.values() if "risk" in r), key=lambda r: r["risk"],
                         default=None)
        lines.append(f"| {key} | highest of {len(ours)} | {_risk(top_ours)} | | "
                     f"{_risk(top_theirs)} | |")
    lines += ["", "## Run time", "",
              "synthcheck: typing, encoding and the three attacks; anonymeter: its evaluators "
              "(singling out univariate + multivariate / linkability / inference), not its "
              "process start and imports. speed-ROWS-TARGETS: ROWS members, controls and "
              "release rows (disjoint slices of the whole Adult table), TARGETS attacked, 3 "
              "secret columns.", "",
              "| cell | synthcheck s (load) | anonymeter s (load at its end) | anonymeter SO / "
              "link / inference |", "|---|---|---|---|"]
    for key, cell in cache.items():
        ours, theirs = cell["synthcheck"], cell["anonymeter"]
        parts = (sum(theirs.get(m, {}).get("seconds", 0.0) for m in ("univariate",
                                                                      "multivariate")),
                 theirs.get("linkability", {}).get("seconds", 0.0),
                 theirs.get("inference_seconds", 0.0))
        lines.append(f"| {key} | {ours['seconds']:.1f} ({ours['load']}) | "
                     f"{_anon_seconds(theirs):.1f} ({theirs.get('load', '?')}) | "
                     + " / ".join(f"{p:.1f}" for p in parts) + " |")
    old = REPORT.read_text() if REPORT.exists() else ""
    notes = old[old.index(NOTES_MARK):] if NOTES_MARK in old else NOTES_MARK + "\n"
    REPORT.write_text("\n".join(lines) + "\n\n" + notes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("phase", choices=("run", "speed", "report", "anon-child"))
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--tables", default="adult,gss_wages,cpssw8")
    parser.add_argument("--sizes", default="300,1000")
    parser.add_argument("--generators", default="copula,ctgan,tvae,ctgan-1000,tvae-1000,cart,"
                                                "mst,arf,shuffled,half-copied")
    parser.add_argument("--again", action="store_true")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--attacks", type=int, default=2000)
    parser.add_argument("--secrets", type=int, default=3)
    args = parser.parse_args()
    if args.phase == "anon-child":
        anon_child(args.folder)
    elif args.phase == "run":
        run(args.tables.split(","), [int(s) for s in args.sizes.split(",")],
            args.generators.split(","), args.again)
    elif args.phase == "speed":
        speed(args.rows, args.attacks, args.secrets)
    else:
        report()


if __name__ == "__main__":
    main()
