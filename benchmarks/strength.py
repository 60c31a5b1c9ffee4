"""Attack strength on many real tables: does synthcheck catch what simple reference attacks catch?

    python benchmarks/strength.py                          # every table and release (~30-40 min)
    python benchmarks/strength.py --tables loans,randhie --releases partial,cart --no-domias
    python benchmarks/strength.py --report                 # only rewrite STRENGTH.md

Per table (benchmarks/data/<table>/: disjoint train / holdout / population slices of real rows,
see make_data.py) and release, synthcheck audits train (members) vs holdout (non-members) and
each of its attacks' AUC, TPR at 1 % FPR and the verdict are printed beside two reference
attacks scored on the same files:

* ``plain-dcr``: minus the distance to the closest release row, numbers divided by their
  standard deviation in the release (missing: the release median plus an indicator),
  categories one-hot (a mismatch costs 2). The 40-line DCR that issue 9 measured against.
* ``domias``: the official ``domias`` package (KDE densities: ``baselines.kde_baseline``,
  the paper's eq. 2). Slow, so it runs on 1,000-row slices (members, non-members, release), with the
  other 2,000 holdout rows as its reference set, in a subprocess with a time cap; synthcheck
  and plain-dcr are scored on the same 1,000-row slices for a like-for-like comparison.

Both reference attacks use the columns synthcheck audits (its inferred types), so the comparison
is about the attacks and encodings, not about which columns each sees.

Releases (``RELEASES``): ``clean`` (population rows), ``full`` (every train row with numeric
noise of 1 % of the column's sd, whole-number columns rounded), ``partial`` (10 % of those +
90 % population), ``copies`` (1 % verbatim train rows + 99 % population), ``smoothed`` (train
rows drawn with replacement, noise 10 % sd, each categorical cell redrawn from its marginal with
probability 0.1), ``copula`` (SDV GaussianCopula), ``cart`` (sequential CART as in R's synthpop:
each column drawn from the training rows in the leaf a tree fitted on the earlier columns puts
the synthetic row in, min. 5 rows per leaf).

Results are cached per (table, release) in benchmarks/strength.json (with the commit they were
measured at), so a subset can be re-run; STRENGTH.md is rewritten from the cache every time.
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

DATA = HERE / "data"
CACHE = HERE / "strength.json"
REPORT = HERE / "STRENGTH.md"
TABLES = ("adult", "gss_wages", "cpssw8", "nasscds", "loans", "doctorcontacts", "flchain",
          "wa_churn", "star", "flights", "seattlepets", "covid_testing", "randhie")
RELEASES = ("clean", "full", "partial", "copies", "smoothed", "copula", "cart")
DOMIAS_RELEASES = ("partial", "smoothed", "cart")
# what a user would pass: seattlepets' zip codes are 5 digits in train but ZIP+4 in a few other
# rows, so inference calls the column numeric and the other tables are refused
METADATA = {"seattlepets": {"columns": {"zip_code": {"sdtype": "categorical"}}}}
SMALL_ROWS = 1000
TARGET_FPR = 0.01
SEED = 9


# ------------------------------------------------------------------------------- data
def load(table: str) -> dict[str, pd.DataFrame]:
    return {part: pd.read_csv(DATA / table / f"{part}.csv.gz", low_memory=False)
            for part in ("train", "holdout", "population")}


def numeric_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns
            if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])]


def whole_number(column: pd.Series) -> bool:
    values = column.dropna().to_numpy(dtype=np.float64)
    return values.size > 0 and bool(np.all(values == np.round(values)))


def with_noise(rows: pd.DataFrame, reference: pd.DataFrame, relative: float,
               rng: np.random.Generator) -> pd.DataFrame:
    """Numbers + N(0, (relative x sd)^2), sd of the column in ``reference``; whole-number
    columns stay whole; missing stays missing."""
    out = rows.copy()
    for column in numeric_columns(rows):
        values = out[column].to_numpy(dtype=np.float64)
        sd = float(np.nanstd(reference[column].to_numpy(dtype=np.float64)))
        noisy = values + rng.normal(0.0, relative * sd, len(values))
        if whole_number(reference[column]):
            noisy = np.round(noisy)
        out[column] = noisy
    return out


def sequential_cart(train: pd.DataFrame, rows: int, rng: np.random.Generator,
                    min_leaf: int = 5) -> pd.DataFrame:
    """synthpop's CART: column j of each synthetic row is the value of a random training row in
    the leaf where a tree fitted on columns < j (training data) puts the synthetic row."""
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    codes = {}  # numeric view of every column for trees: numbers (NaN -> sentinel) or codes
    for column in train.columns:
        values = train[column]
        if column in numeric_columns(train):
            x = values.to_numpy(dtype=np.float64)
            low = np.nanmin(x) - 1.0 if np.isfinite(x).any() else -1.0
            codes[column] = np.where(np.isnan(x), low, x)
        else:
            codes[column] = pd.factorize(values.astype(str), sort=True)[0].astype(np.float64)
    first = train.columns[0]
    picked = rng.integers(0, len(train), rows)
    synthetic = {first: train[first].to_numpy()[picked]}
    synthetic_codes = {first: codes[first][picked]}
    for j, column in enumerate(train.columns[1:], start=1):
        features = np.column_stack([codes[c] for c in train.columns[:j]])
        target = codes[column]
        many_levels = len(np.unique(target)) > 50
        model = (DecisionTreeRegressor if many_levels or column in numeric_columns(train)
                 else DecisionTreeClassifier)(min_samples_leaf=min_leaf,
                                              random_state=int(rng.integers(2**31 - 1)))
        model.fit(features, target)
        train_leaves = model.apply(features)
        new_leaves = model.apply(np.column_stack([synthetic_codes[c] for c in train.columns[:j]]))
        order = np.argsort(train_leaves, kind="stable")
        sorted_leaves = train_leaves[order]
        start = np.searchsorted(sorted_leaves, new_leaves, "left")
        count = np.searchsorted(sorted_leaves, new_leaves, "right") - start
        chosen = order[start + (rng.random(rows) * count).astype(np.int64)]
        synthetic[column] = train[column].to_numpy()[chosen]
        synthetic_codes[column] = target[chosen]
    return pd.DataFrame(synthetic, columns=train.columns).astype(train.dtypes.to_dict())


def make_release(kind: str, train: pd.DataFrame, population: pd.DataFrame, seed: int
                 ) -> tuple[pd.DataFrame, dict]:
    """The release and facts about it (e.g. how many train rows it holds)."""
    rng = np.random.default_rng([SEED, seed, RELEASES.index(kind)])
    n = len(train)
    if kind == "clean":
        return population.copy(), {}
    if kind == "full":
        return with_noise(train, train, 0.01, rng), {"train_rows_copied": n}
    if kind in ("partial", "copies"):
        share = 0.10 if kind == "partial" else 0.01
        copied = int(round(share * n))
        rows = train.iloc[rng.choice(n, copied, replace=False)]
        leaked = with_noise(rows, train, 0.01, rng) if kind == "partial" else rows
        honest = population.iloc[rng.choice(len(population), n - copied, replace=False)]
        release = pd.concat([leaked, honest], ignore_index=True)
        return release.iloc[rng.permutation(n)].reset_index(drop=True), {"train_rows_copied": copied}
    if kind == "smoothed":
        rows = train.iloc[rng.integers(0, n, n)].reset_index(drop=True)
        release = with_noise(rows, train, 0.10, rng)
        for column in release.columns:
            if column in numeric_columns(train):
                continue
            redraw = rng.random(n) < 0.1
            pool = train[column].to_numpy()
            values = release[column].to_numpy(copy=True)
            values[redraw] = pool[rng.integers(0, n, int(redraw.sum()))]
            release[column] = values
        return release, {}
    if kind == "copula":
        from sdv.metadata import Metadata
        from sdv.single_table import GaussianCopulaSynthesizer

        metadata = Metadata.detect_from_dataframes({"t": train})
        synthesizer = GaussianCopulaSynthesizer(metadata)
        synthesizer.fit({"t": train})
        synthesizer._set_random_state(int(rng.integers(2**31 - 1)))  # SDV has no public seed
        sampled = synthesizer.sample(n)
        return (sampled["t"] if isinstance(sampled, dict) else sampled), {}
    if kind == "cart":
        return sequential_cart(train, n, rng), {}
    raise ValueError(kind)


# ------------------------------------------------------------------------------- scoring
def auc_and_tpr(scores: np.ndarray, is_member: np.ndarray) -> dict:
    """AUC (ties count half) and TPR at 1 % FPR by the conservative rule synthcheck uses: the
    threshold stays strictly above the (K+1)-th largest non-member score, K = floor(FPR x n)."""
    from scipy.stats import rankdata

    scores = np.asarray(scores, dtype=np.float64)
    ranks = rankdata(scores)
    members, non = is_member.sum(), (~is_member).sum()
    auc = (ranks[is_member].sum() - members * (members + 1) / 2) / (members * non)
    non_scores = np.sort(scores[~is_member])[::-1]
    budget = int(np.floor(TARGET_FPR * non + 1e-9))
    cutoff = non_scores[budget] if budget < non else -np.inf
    return {"auc": float(auc), "tpr": float((scores[is_member] > cutoff).mean())}


def plain_dcr(candidates: pd.DataFrame, release: pd.DataFrame, numeric: list[str],
              categorical: list[str]) -> np.ndarray:
    """Minus the Euclidean distance to the closest release row: numbers / sd (release),
    missing numbers = release median + a 0/1 indicator, categories one-hot."""
    def as_numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
        return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)

    gaps = {c for c in numeric if np.isnan(as_numbers(release, c)).any()
            or np.isnan(as_numbers(candidates, c)).any()}

    def numbers(frame: pd.DataFrame) -> np.ndarray:
        parts = []
        for column in numeric:
            ref, x = as_numbers(release, column), as_numbers(frame, column)
            sd = np.nanstd(ref) if np.isfinite(ref).any() else 1.0
            sd = sd if sd > 0 else 1.0
            median = np.nanmedian(ref) if np.isfinite(ref).any() else 0.0
            parts.append(np.where(np.isnan(x), median, x) / sd)
            if column in gaps:
                parts.append(np.isnan(x).astype(np.float64))
        return np.column_stack(parts) if parts else np.zeros((len(frame), 0))

    def codes(frame: pd.DataFrame) -> np.ndarray:
        out = np.empty((len(frame), len(categorical)), dtype=np.int64)
        for k, column in enumerate(categorical):
            levels = {v: i for i, v in enumerate(pd.unique(release[column].astype(str)))}
            out[:, k] = frame[column].astype(str).map(levels).fillna(-1).to_numpy(dtype=np.int64)
        return out

    a, b = numbers(candidates), numbers(release)
    ca, cb = codes(candidates), codes(release)
    best = np.empty(len(candidates))
    for start in range(0, len(candidates), 500):
        block = slice(start, start + 500)
        squared = ((a[block] ** 2).sum(axis=1)[:, None] + (b ** 2).sum(axis=1)[None, :]
                   - 2.0 * a[block] @ b.T)
        np.maximum(squared, 0.0, out=squared)
        for k in range(ca.shape[1]):  # one-hot: a mismatch costs 1 + 1
            squared += 2.0 * ((ca[block, k][:, None] != cb[None, :, k]) | (ca[block, k][:, None] < 0))
        best[block] = np.sqrt(squared.min(axis=1))
    return -best


def synthcheck_scores(train, holdout, release, metadata=None) -> dict:
    import synthcheck

    started = time.perf_counter()
    # rows distinct in the file may coincide on the audited columns (an id column left out):
    # those holdout rows are dropped, here and for the reference attacks
    audit = synthcheck.audit(train, holdout, synthetic=release, seed=0, drop_overlap=True,
                             metadata=metadata)
    records = audit.records
    kept = records.loc[records["role"] == "holdout", "row"].to_numpy() - 1
    is_member = records["member"].to_numpy(dtype=bool)
    attacks = {column[len("score_"):]: auc_and_tpr(records[column].to_numpy(), is_member)
               for column in records.columns if column.startswith("score_")}
    return {"attacks": attacks, "verdict": audit.verdict, "seconds": time.perf_counter() - started,
            "types": audit.types, "holdout": holdout.iloc[kept].reset_index(drop=True)}


def typed(frame: pd.DataFrame, types) -> pd.DataFrame:
    """The columns synthcheck audits, as synthcheck reads them (numbers, booleans as 0/1, dates
    as seconds, categories as text): what the reference attacks see."""
    from synthcheck.inputs.columns import coerce_table
    from synthcheck.inputs.load import Table

    return coerce_table(Table("benchmark", "<benchmark>", frame, ""), types)


def kinds(types) -> tuple[list[str], list[str]]:
    from synthcheck.inputs.columns import CATEGORICAL

    return ([c for c, k in types.kinds.items() if k != CATEGORICAL],
            [c for c, k in types.kinds.items() if k == CATEGORICAL])


def reference_dcr(train, holdout, release, types) -> dict:
    train, holdout, release = (typed(f, types) for f in (train, holdout, release))
    numeric, categorical = kinds(types)
    candidates = pd.concat([train, holdout], ignore_index=True)
    is_member = np.r_[np.ones(len(train), bool), np.zeros(len(holdout), bool)]
    return auc_and_tpr(plain_dcr(candidates, release, numeric, categorical), is_member)


def domias_child(folder: Path) -> dict:
    """Runs in a subprocess: official DOMIAS with KDE densities (the package's
    ``baselines.kde_baseline``, its eq. 2 p_G / p_R) on arrays written by ``run_domias``. The
    package's ``evaluate_performance`` wraps the same computation in a generator fit, five other
    baselines and a CTGAN (LOGAN 0); those are what make it take 17-55 s, so they are skipped."""
    from domias.baselines import kde_baseline

    arrays = np.load(folder / "arrays.npz")
    test = np.vstack([arrays["members"], arrays["non_members"]])
    _, ratio = kde_baseline(test, arrays["release"], arrays["reference"])
    scores = np.asarray(ratio, dtype=np.float64)
    return {"scores": np.nan_to_num(scores, nan=0.0, posinf=1e300).tolist()}


def domias_arrays(members, non_members, reference, release, types) -> dict:
    """Numbers as they are (missing: release median), categories as codes ordered by their
    frequency in the release; a tiny jitter keeps KDE covariances invertible."""
    def encode(frame: pd.DataFrame) -> np.ndarray:
        parts = []
        for column in numeric:
            ref = pd.to_numeric(release[column], errors="coerce").to_numpy(dtype=np.float64)
            x = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=np.float64)
            median = np.nanmedian(ref) if np.isfinite(ref).any() else 0.0
            parts.append(np.where(np.isnan(x), median, x))
        for column in categorical:
            order = release[column].astype(str).value_counts().index
            levels = {v: i for i, v in enumerate(order)}
            parts.append(frame[column].astype(str).map(levels).fillna(len(levels))
                         .to_numpy(dtype=np.float64))
        return np.column_stack(parts)

    numeric, categorical = kinds(types)
    frames = {name: typed(frame, types) for name, frame in
              (("members", members), ("non_members", non_members), ("reference", reference),
               ("release", release))}
    release = frames["release"]  # encode() reads the release's medians and level order
    encoded = {name: encode(frame) for name, frame in frames.items()}
    stacked = np.vstack(list(encoded.values()))
    keep = stacked.std(axis=0) > 0
    scale = np.where(keep, stacked.std(axis=0), 1.0)
    rng = np.random.default_rng([SEED, 0xD0])
    return {name: (x[:, keep] / scale[keep] + rng.normal(0, 1e-3, (len(x), int(keep.sum()))))
            for name, x in encoded.items()}


def run_domias(arrays: dict, cap: float) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        np.savez(Path(folder) / "arrays.npz", **arrays)
        command = [sys.executable, str(Path(__file__).resolve()), "--domias-child", folder]
        started = time.perf_counter()
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=cap)
        except subprocess.TimeoutExpired:
            return {"status": f"did not finish in {cap:.0f} s"}
        if done.returncode != 0:
            tail = (done.stderr.strip().splitlines() or ["?"])[-1]
            return {"status": f"failed: {tail[:100]}"}
        scores = np.asarray(json.loads(done.stdout.strip().splitlines()[-1])["scores"])
    is_member = np.r_[np.ones(len(arrays["members"]), bool),
                      np.zeros(len(arrays["non_members"]), bool)]
    return auc_and_tpr(scores, is_member) | {"status": "ok",
                                             "seconds": time.perf_counter() - started}


# ------------------------------------------------------------------------------- one cell
def measure(table: str, release_kind: str, domias: bool, cap: float) -> dict:
    """One (table, release) cell; a release or slice synthcheck refuses as bad input (e.g. SDV
    replaced a name column by fake names, a zip code column that is numeric only in train) is
    recorded as refused."""
    from synthcheck.errors import InputError

    try:
        return _measure(table, release_kind, domias, cap)
    except InputError as error:
        return {"refused": str(error)[:200]}


def _measure(table: str, release_kind: str, domias: bool, cap: float) -> dict:
    parts = load(table)
    train, holdout, population = parts["train"], parts["holdout"], parts["population"]
    started = time.perf_counter()
    release, facts = make_release(release_kind, train, population, seed=0)
    made = time.perf_counter() - started
    ours = synthcheck_scores(train, holdout, release, METADATA.get(table))
    entry = {"rows": len(train), "release_seconds": made, "facts": facts,
             "synthcheck": ours["attacks"], "verdict": ours["verdict"],
             "synthcheck_seconds": ours["seconds"],
             "plain-dcr": reference_dcr(train, ours["holdout"], release, ours["types"])}
    if release_kind in DOMIAS_RELEASES:
        # like for like at 1,000 rows: members, non-members, a release made the same way from
        # the 1,000 members; DOMIAS's reference = the other holdout rows
        small = min(SMALL_ROWS, len(train) // 2)
        members, non_members = train.iloc[:small], holdout.iloc[:small]
        reference = holdout.iloc[small:].reset_index(drop=True)
        small_release, _ = make_release(release_kind, members, population, seed=1)
        mine = synthcheck_scores(members, non_members, small_release, METADATA.get(table))
        entry["small"] = {"rows": small, "synthcheck": mine["attacks"], "verdict": mine["verdict"],
                          "plain-dcr": reference_dcr(members, mine["holdout"], small_release,
                                                     mine["types"])}
        if domias:
            arrays = domias_arrays(members, mine["holdout"], reference, small_release,
                                   mine["types"])
            entry["small"]["domias"] = run_domias(arrays, cap)
    return entry


# ------------------------------------------------------------------------------- report
def _commit() -> str:
    try:
        head = subprocess.run(["git", "-C", str(HERE), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(HERE), "status", "--porcelain", "--",
                                "../synthcheck"], capture_output=True, text=True).stdout.strip()
        return head + ("+changes" if dirty else "")
    except OSError:
        return "?"


def best(attacks: dict) -> tuple[str, dict]:
    name = max(attacks, key=lambda a: (attacks[a]["tpr"], attacks[a]["auc"]))
    return name, attacks[name]


def best_auc(attacks: dict) -> float:
    return max(a["auc"] for a in attacks.values())


def cell(result: dict | None) -> str:
    if not result:
        return ""
    if result.get("status", "ok") != "ok":
        return result["status"]
    return f"{result['auc']:.3f} / {result['tpr']:.3f}"


def checks(results: dict, table: str) -> list[str]:
    """The issue's must-show conditions for one table: a list of misses (empty = all hold)."""
    misses = []
    got = {k: v for k, v in results.get(table, {}).items() if "refused" not in v}
    for kind in ("partial", "cart"):
        entry = got.get(kind)
        if not entry:
            continue
        for scale, block in (("3k", entry), ("1k", entry.get("small"))):
            if not block:
                continue
            ours = best(block["synthcheck"])[1]["tpr"]
            references = [block["plain-dcr"]["tpr"]]
            if block.get("domias", {}).get("status") == "ok":
                references.append(block["domias"]["tpr"])
            if ours < 0.9 * max(references) - 1e-12:
                misses.append(f"{kind} {scale}: best TPR {ours:.3f} < 0.9 x reference "
                              f"{max(references):.3f}")
        if kind == "partial" and best(entry["synthcheck"])[1]["tpr"] < 0.08:
            misses.append(f"partial: best TPR {best(entry['synthcheck'])[1]['tpr']:.3f} < 0.08")
    if "full" in got and best_auc(got["full"]["synthcheck"]) < 0.98:
        misses.append(f"full: best AUC {best_auc(got['full']['synthcheck']):.3f} < 0.98")
    if "copies" in got and got["copies"]["verdict"] != "FAIL":
        misses.append(f"copies: verdict {got['copies']['verdict']}")
    if "clean" in got and got["clean"]["verdict"] != "PASS":
        misses.append(f"clean: verdict {got['clean']['verdict']}")
    return misses


NOTES_START, NOTES_END = "<!-- notes: kept by strength.py -->", "<!-- end of notes -->"


def summary(results: dict) -> list[str]:
    """One line per table: the must-show quantities side by side."""
    def tpr_pair(entry: dict | None) -> str:
        if not entry:
            return ""
        ours = best(entry["synthcheck"])[1]["tpr"]
        reference = max([entry["plain-dcr"]["tpr"]] + (
            [entry["domias"]["tpr"]] if entry.get("domias", {}).get("status") == "ok" else []))
        return f"{ours:.3f} vs {reference:.3f}"

    lines = ["| table | partial: best vs reference TPR (3k) | partial (1k, with DOMIAS) | "
             "cart (3k) | cart (1k, with DOMIAS) | full: highest AUC | copies | clean | checks |",
             "|---|---|---|---|---|---|---|---|---|"]
    for table in [t for t in TABLES if t in results]:
        got = {k: v for k, v in results[table].items() if "refused" not in v}
        partial, cart = got.get("partial"), got.get("cart")
        full = got.get("full")
        misses = checks(results, table)
        lines.append("| " + " | ".join([
            table, tpr_pair(partial), tpr_pair(partial and partial.get("small")),
            tpr_pair(cart), tpr_pair(cart and cart.get("small")),
            f"{best_auc(full['synthcheck']):.3f}" if full else "",
            got["copies"]["verdict"] if "copies" in got else "",
            got["clean"]["verdict"] if "clean" in got else "",
            "hold" if not misses else f"**{len(misses)} missed**"]) + " |")
    return lines


def report(results: dict, notes: str = "") -> str:
    attack_names = sorted({a for t in results.values() for e in t.values()
                           for a in e.get("synthcheck", {})})
    lines = [
        "# Attack strength on real tables", "",
        "Tables below are written by `python benchmarks/strength.py` from its cache "
        "(`benchmarks/strength.json`); the notes between the markers are kept as written. "
        "Each cell: **AUC / TPR at 1 % FPR** (conservative rule). Members: the train slice, "
        "non-members: the holdout slice (3,000 rows each; flchain 2,624, wa_churn 2,340). "
        "*best* is synthcheck's strongest attack by TPR at 1 % FPR; *reference* the better of "
        "plain-dcr and (1k rows only) DOMIAS. The `1k` rows repeat partial, smoothed and cart on "
        "1,000-row slices with official DOMIAS beside them (its reference set: the other 2,000 "
        "holdout rows).", "",
        NOTES_START, notes.strip(), NOTES_END, "",
        "## Summary", "",
    ] + summary(results) + [""]
    header = (["table", "release"] + attack_names +
              ["best", "verdict", "plain-dcr", "domias (1k)", "commit"])
    for table in [t for t in TABLES if t in results]:
        lines += [f"## {table}", "", "| " + " | ".join(header[1:]) + " |",
                  "|" + "---|" * (len(header) - 1)]
        for kind in [k for k in RELEASES if k in results[table]]:
            entry = results[table][kind]
            if "refused" in entry:
                lines.append(f"| {kind} | synthcheck refused the release (bad input): "
                             f"{entry['refused']} |" + " |" * (len(header) - 3))
                continue
            for label, block in ((kind, entry), (f"{kind} 1k", entry.get("small"))):
                if not block:
                    continue
                name, top = best(block["synthcheck"])
                row = [label] + [cell(block["synthcheck"].get(a)) for a in attack_names]
                row += [f"{name} {top['tpr']:.3f}", block["verdict"], cell(block["plain-dcr"]),
                        cell(block.get("domias")), entry.get("commit", "")]
                lines.append("| " + " | ".join(row) + " |")
        misses = checks(results, table)
        lines += ["", "Must-show checks: " + ("all hold." if not misses else
                                              "**missed**: " + "; ".join(misses) + "."), ""]
    return "\n".join(lines) + "\n"


def kept_notes() -> str:
    if not REPORT.exists():
        return ""
    text = REPORT.read_text()
    if NOTES_START in text and NOTES_END in text:
        return text.split(NOTES_START, 1)[1].split(NOTES_END, 1)[0]
    return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", default=",".join(TABLES))
    parser.add_argument("--releases", default=",".join(RELEASES))
    parser.add_argument("--no-domias", action="store_true", help="skip the DOMIAS subprocess")
    parser.add_argument("--cap", type=float, default=300, help="seconds per DOMIAS run")
    parser.add_argument("--report", action="store_true", help="only rewrite STRENGTH.md")
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--domias-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.domias_child:
        print(json.dumps(domias_child(Path(args.domias_child))))
        return
    results = json.loads(args.cache.read_text()) if args.cache.exists() else {}
    if not args.report:
        commit = _commit()
        for table in args.tables.split(","):
            if table not in TABLES:
                parser.error(f"unknown table {table}; known: {', '.join(TABLES)}")
            for kind in args.releases.split(","):
                if kind not in RELEASES:
                    parser.error(f"unknown release {kind}; known: {', '.join(RELEASES)}")
                started = time.perf_counter()
                entry = measure(table, kind, not args.no_domias, args.cap)
                previous = results.get(table, {}).get(kind, {})
                if args.no_domias and "domias" in previous.get("small", {}) and "small" in entry:
                    entry["small"]["domias"] = previous["small"]["domias"]  # keep the last run
                entry["commit"] = commit
                entry["seconds"] = time.perf_counter() - started
                results.setdefault(table, {})[kind] = entry
                if "refused" in entry:
                    print(f"{table:>14} {kind:>8}  refused: {entry['refused']}", flush=True)
                    args.cache.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
                    continue
                name, top = best(entry["synthcheck"])
                print(f"{table:>14} {kind:>8}  best {name} {cell(top)}  {entry['verdict']:<12} "
                      f"plain-dcr {cell(entry['plain-dcr'])}  "
                      f"domias {cell(entry.get('small', {}).get('domias'))}  "
                      f"({entry['seconds']:.0f} s)", flush=True)
                args.cache.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    REPORT.write_text(report(results, kept_notes()))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
