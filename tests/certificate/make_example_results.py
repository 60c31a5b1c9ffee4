"""Build ``example_results.json``: a realistic results dict for certificate tests.

The scores are simulated (members a little closer to the synthetic data than non-members), so the
file does not depend on the audit engine; every aggregate in it is computed the way the schema
describes. Rebuild with ``python tests/certificate/make_example_results.py [rows]``; with a row
count it prints the dict for that audit size instead of writing the file.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from scipy import stats

HERE = Path(__file__).parent
FPRS = ("0.001", "0.01", "0.1")


def clopper_pearson(k: int, n: int, level: float) -> tuple[float, float]:
    a = 1 - level
    low = 0.0 if k == 0 else float(stats.beta.ppf(a / 2, k, n - k + 1))
    high = 1.0 if k == n else float(stats.beta.ppf(1 - a / 2, k + 1, n - k))
    return low, high


def roc(members: np.ndarray, non_members: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    thresholds = np.unique(np.concatenate([members, non_members]))[::-1]
    m, n = np.sort(members), np.sort(non_members)
    tpr = 1 - np.searchsorted(m, thresholds, side="left") / len(m)
    fpr = 1 - np.searchsorted(n, thresholds, side="left") / len(n)
    return np.r_[0.0, fpr], np.r_[0.0, tpr], np.r_[np.inf, thresholds]


def tpr_at(fpr, tpr, thr, target, n_members, n_non, level, measurable):
    if not measurable:
        return None
    ok = fpr <= target
    i = int(np.flatnonzero(ok)[np.argmax(tpr[ok])])
    k = round(tpr[i] * n_members)
    low, high = clopper_pearson(k, n_members, level)
    threshold = None if not np.isfinite(thr[i]) else float(thr[i])
    return {"value": float(tpr[i]), "low": low, "high": high, "fpr_achieved": float(fpr[i]),
            "threshold": threshold}


def auc_interval(members, non_members, level):
    u = stats.mannwhitneyu(members, non_members).statistic
    n1, n2 = len(members), len(non_members)
    auc = u / (n1 * n2)
    q1, q2 = auc / (2 - auc), 2 * auc**2 / (1 + auc)
    se = np.sqrt((auc * (1 - auc) + (n1 - 1) * (q1 - auc**2) + (n2 - 1) * (q2 - auc**2)) / (n1 * n2))
    z = stats.norm.ppf(1 - (1 - level) / 2)
    return {"value": float(auc), "low": float(max(0, auc - z * se)), "high": float(min(1, auc + z * se))}


def downsample(fpr, tpr, points=200):
    grid = np.unique(np.r_[0.0, np.geomspace(1e-4, 1, points - 1)])
    idx = np.searchsorted(fpr, grid, side="right") - 1
    return [float(x) for x in fpr[idx]], [float(x) for x in tpr[idx]]


def histogram(edges, **series):
    out = {"edges": [float(e) for e in edges]}
    for name, values in series.items():
        out[name] = [int(c) for c in np.histogram(np.clip(values, edges[0], edges[-1]), edges)[0]]
    return out


def epsilon_lower_bound(members, non_members, delta, level):
    """Threshold chosen on one half, Clopper-Pearson bound evaluated on the other (DESIGN.md)."""
    half_m, half_n = len(members) // 2, len(non_members) // 2
    fpr, tpr, thr = roc(members[:half_m], non_members[:half_n])
    best = int(np.argmax(tpr - fpr))
    t = thr[best]
    m2, n2 = members[half_m:], non_members[half_n:]
    fn, fp = int((m2 < t).sum()), int((n2 >= t).sum())
    fnr_up = clopper_pearson(fn, len(m2), level)[1]
    fpr_up = clopper_pearson(fp, len(n2), level)[1]
    candidates = [np.log(max(1 - delta - fnr_up, 1e-300) / fpr_up),
                  np.log(max(1 - delta - fpr_up, 1e-300) / fnr_up)]
    return float(max(0.0, *candidates))


def build(rows_train: int = 1500, rows_holdout: int = 1500, seed: int = 7) -> dict:
    rng = np.random.default_rng(seed)
    level, delta, n_attacks = 0.95, 1e-5, 3
    verdict_level = 1 - 0.05 / n_attacks
    n_m, n_n = rows_train, rows_holdout
    # Distances to the closest synthetic record: members a little closer than non-members.
    d_train = rng.gamma(2.0, 0.55, n_m)
    d_train[: max(1, n_m // 200)] *= 0.05          # a few memorised-looking records
    d_holdout = rng.gamma(2.0, 0.6, n_n)
    d_ref_m, d_ref_n = rng.gamma(2.0, 0.6, n_m), rng.gamma(2.0, 0.6, n_n)
    scores = {
        "dcr": (-d_train, -d_holdout),
        "dcr-ratio": (-np.log(d_train / d_ref_m), -np.log(d_holdout / d_ref_n)),
        "density-ratio": (rng.normal(0.15, 1, n_m), rng.normal(0, 1, n_n)),
    }
    descriptions = {
        "dcr": "Distance to the closest synthetic record (score = minus the distance).",
        "dcr-ratio": "Distance to the closest synthetic record divided by the distance to the "
                     "closest reference (holdout) record, cross-fitted (GAN-Leaks calibrated).",
        "density-ratio": "DOMIAS: log p_synthetic(x) - log p_reference(x), cross-fitted "
                         "reference density.",
    }
    attacks = {}
    for name, (sm, sn) in scores.items():
        fpr, tpr, thr = roc(sm, sn)
        table, vtable = {}, {}
        for key in FPRS:
            measurable = not (name == "density-ratio" and key == "0.001") and n_n * float(key) >= 1
            table[key] = tpr_at(fpr, tpr, thr, float(key), n_m, n_n, level, measurable)
            vtable[key] = tpr_at(fpr, tpr, thr, float(key), n_m, n_n, verdict_level, measurable)
        flagged = None
        if table["0.001"] is not None and table["0.001"]["threshold"] is not None:
            t = table["0.001"]["threshold"]
            flagged = {"members": int((sm >= t).sum()), "non_members": int((sn >= t).sum())}
        edges = np.linspace(min(sm.min(), sn.min()), max(sm.max(), sn.max()), 41)
        rf, rt = downsample(fpr, tpr)
        attacks[name] = {
            "description": descriptions[name],
            "auc": auc_interval(sm, sn, level),
            "tpr_at_fpr": table,
            "advantage": float(np.max(tpr - fpr)),
            "epsilon_lower_bound": epsilon_lower_bound(sm, sn, delta, level),
            "flagged": flagged,
            "verdict_bounds": {
                "level": verdict_level,
                "auc": auc_interval(sm, sn, verdict_level),
                "tpr_at_fpr": vtable,
                "epsilon_lower_bound": epsilon_lower_bound(sm, sn, delta, verdict_level),
            },
            "curves": {"roc": {"fpr": rf, "tpr": rt},
                       "score_histogram": histogram(edges, members=sm, non_members=sn)},
        }
    strongest = max(attacks, key=lambda a: attacks[a]["auc"]["value"])
    limits = {"auc_upper": 0.6, "tpr_at_fpr_0.01_upper": 0.05, "epsilon_lower": 1.0}
    reasons = []
    for name, attack in attacks.items():
        vb = attack["verdict_bounds"]
        checks = [("auc_upper", vb["auc"]["high"], "upper bound of the ROC AUC"),
                  ("tpr_at_fpr_0.01_upper",
                   None if vb["tpr_at_fpr"]["0.01"] is None else vb["tpr_at_fpr"]["0.01"]["high"],
                   "upper bound of the TPR at FPR 1 %"),
                  ("epsilon_lower", vb["epsilon_lower_bound"], "empirical epsilon lower bound")]
        for check, bound, what in checks:
            limit = limits[check]
            if bound is None:
                outcome, reason = "INCONCLUSIVE", f"{what} is not measurable with {n_n} non-members"
            elif bound <= limit:
                outcome, reason = "PASS", f"{what} {bound:.3f} <= limit {limit}"
            else:
                outcome, reason = "FAIL", f"{what} {bound:.3f} > limit {limit}"
            reasons.append({"check": check, "attack": name, "limit": limit, "bound": bound,
                            "outcome": outcome, "reason": reason})
    outcomes = {r["outcome"] for r in reasons}
    verdict = "FAIL" if "FAIL" in outcomes else "INCONCLUSIVE" if "INCONCLUSIVE" in outcomes else "PASS"
    risk_edges = np.linspace(0, 100, 21)
    sm, sn = scores[strongest]
    pct = lambda s: 100 * np.searchsorted(np.sort(sn), s, side="right") / len(sn)
    dist_edges = np.linspace(0, float(np.quantile(np.r_[d_train, d_holdout], 0.99)), 41)
    overall = attacks[strongest]
    return {
        "schema_version": "1.0",
        "tool_version": "0.1.0",
        "audit_id": "sc-" + f"{rng.integers(2**63):016x}"[:16],
        "created": "2026-05-14T09:30:00Z",
        "verdict": verdict,
        "verdict_reasons": reasons,
        "policy": {"name": "default", "source": None, "limits": limits, "alpha": 0.05,
                   "multiplicity": "bonferroni",
                   "text": ("[limits]\nauc_upper = 0.6\ntpr_at_fpr_0.01_upper = 0.05\n"
                            "epsilon_lower = 1.0\n\n[statistics]\nalpha = 0.05\n"
                            "multiplicity = \"bonferroni\"\n")},
        "inputs": {
            "train": {"sha256": "3f0c" + "a1" * 30, "rows": rows_train, "columns": 16,
                      "source": "adult_train.csv"},
            "holdout": {"sha256": "9b12" + "c3" * 30, "rows": rows_holdout, "columns": 16,
                        "source": "adult_holdout.csv"},
            "synthetic": {"sha256": "e7d4" + "5f" * 30, "rows": rows_train, "columns": 16,
                          "source": "adult_synthetic.csv"},
            "id_column": "person_id",
            "column_types": {"age": "numeric", "workclass": "categorical", "fnlwgt": "numeric",
                             "education": "categorical", "education-num": "numeric",
                             "marital_status": "categorical", "occupation": "categorical",
                             "relationship": "categorical", "race": "categorical",
                             "sex": "categorical", "capital_gain": "numeric",
                             "capital_loss": "numeric", "hours_per_week": "numeric",
                             "native_country": "categorical", "income_per_year": "categorical"},
            "excluded_columns": {"person_id": "id column"},
        },
        "generator": {"name": "sdv:GaussianCopulaSynthesizer", "parameters": {"seed": 7}},
        "parameters": {"seed": seed, "confidence": level, "folds": 5, "delta": delta,
                       "attacks": list(attacks)},
        "counts": {"members": n_m, "non_members": n_n},
        "attacks": attacks,
        "overall": {"strongest_attack": strongest, "auc": overall["auc"],
                    "tpr_at_fpr": overall["tpr_at_fpr"], "advantage": overall["advantage"],
                    "epsilon_lower_bound": max(a["epsilon_lower_bound"] for a in attacks.values())},
        "summaries": {
            "distance_to_synthetic": histogram(dist_edges, train=d_train, holdout=d_holdout),
            "risk": histogram(risk_edges, members=pct(sm), non_members=pct(sn)),
        },
        "notes": [
            ("TPR at a target FPR uses the conservative rule: the largest TPR among thresholds "
             "whose FPR does not exceed the target, without interpolation."),
            ("The epsilon lower bound assumes train and holdout are a random split of one "
             "population."),
            "density-ratio: TPR at FPR 0.1 % not measurable (too few non-members per fold).",
            "Verdict bounds are Bonferroni-adjusted across 3 attacks (level 0.9833).",
        ],
    }


if __name__ == "__main__":
    if len(sys.argv) > 1:
        n = int(sys.argv[1])
        print(json.dumps(build(n, n), sort_keys=True, indent=2))
    else:
        (HERE / "example_results.json").write_text(
            json.dumps(build(), sort_keys=True, indent=2) + "\n")
