"""From per-record scores to the results.json document and the per-record table.

Everything here is arithmetic on score arrays (via ``stats``); no attack knowledge.
"""
from __future__ import annotations

import hashlib
import json
import math
from typing import Any

import numpy as np
import pandas as pd

from synthcheck import SCHEMA_VERSION, __version__, stats

FPR_TARGETS = (0.001, 0.01, 0.1)
FLAG_FPR = 0.001


def _fpr_key(fpr: float) -> str:
    return repr(fpr)  # "0.001", "0.01", "0.1"


def _tpr_table(members: np.ndarray, non_members: np.ndarray, confidence: float) -> dict:
    table = {}
    for fpr in FPR_TARGETS:
        found = stats.tpr_at_fpr(members, non_members, fpr, confidence)
        table[_fpr_key(fpr)] = None if found is None else found.as_dict()
    return table


def _verdict_tpr_table(members: np.ndarray, non_members: np.ndarray, level: float) -> dict:
    """One-sided bounds at ``level`` for every FPR target, at any number of non-members (the
    bounds stay honest when the point estimate is not measurable; ``value`` is then null)."""
    table = {}
    for fpr in FPR_TARGETS:
        found = stats.tpr_at_fpr(members, non_members, fpr)
        table[_fpr_key(fpr)] = {
            "value": None if found is None else found.value,
            "low": stats.tpr_lower_bound(members, non_members, fpr, level),
            "high": stats.tpr_upper_bound(members, non_members, fpr, level)}
    return table


def flag_threshold(non_members: np.ndarray) -> tuple[bool, float | None]:
    """Whether FPR 0.1 % is measurable with these non-members, and the score threshold that
    flags records at it (None: no threshold flags anyone within that FPR)."""
    if len(non_members) < stats.minimum_non_members(FLAG_FPR):
        return False, None
    return True, stats.threshold_at_fpr(non_members, FLAG_FPR)


def flagged_mask(scores: np.ndarray, threshold: float | None) -> np.ndarray:
    return scores >= threshold if threshold is not None else np.zeros(len(scores), bool)


def attack_statistics(members: np.ndarray, non_members: np.ndarray, *, confidence: float,
                      epsilon_confidence: float, verdict_confidence: float, delta: float,
                      seed: int) -> dict:
    """Every number results.json reports for one attack."""
    measurable, threshold = flag_threshold(non_members)
    flagged = None
    if measurable:
        flagged = {"members": int(flagged_mask(members, threshold).sum()),
                   "non_members": int(flagged_mask(non_members, threshold).sum())}
    fpr, tpr = stats.roc_curve(members, non_members)
    return {
        "auc": stats.roc_auc(members, non_members, confidence).as_dict(),
        "tpr_at_fpr": _tpr_table(members, non_members, confidence),
        "advantage": stats.membership_advantage(members, non_members),
        "epsilon_lower_bound": stats.epsilon_lower_bound(members, non_members, delta,
                                                         epsilon_confidence, seed),
        "flagged": flagged,
        "verdict_bounds": {  # one-sided: every low and every high holds at ``level``
            "level": verdict_confidence,
            "auc": stats.roc_auc(members, non_members, 2.0 * verdict_confidence - 1.0).as_dict(),
            "tpr_at_fpr": _verdict_tpr_table(members, non_members, verdict_confidence),
            "epsilon_lower_bound": stats.epsilon_lower_bound(members, non_members, delta,
                                                             verdict_confidence, seed),
        },
        "curves": {
            "roc": {"fpr": [float(v) for v in fpr], "tpr": [float(v) for v in tpr]},
            "score_histogram": stats.histogram({"members": members, "non_members": non_members},
                                               tail=0.005),
        },
    }


def strongest_attack(attacks: dict[str, dict]) -> str:
    """The attack that catches most members at 1 % FPR (AUC where that is not measurable)."""
    def strength(name: str) -> tuple[float, float]:
        tpr = attacks[name]["tpr_at_fpr"]["0.01"]
        return (tpr["value"] if tpr else -1.0, attacks[name]["auc"]["value"])
    return max(attacks, key=strength)


def overall(attacks: dict[str, dict]) -> dict:
    best = strongest_attack(attacks)
    return {"strongest_attack": best, "auc": attacks[best]["auc"],
            "tpr_at_fpr": attacks[best]["tpr_at_fpr"], "advantage": attacks[best]["advantage"],
            "epsilon_lower_bound": max(a["epsilon_lower_bound"] for a in attacks.values())}


def records_table(names: pd.Series, roles: np.ndarray, rows: np.ndarray, is_member: np.ndarray,
                  scores: dict[str, np.ndarray]) -> pd.DataFrame:
    """One row per candidate: id, role, row in its file, member flag, each attack's score,
    percentile among non-members and flag at the FPR 0.1 % threshold. For the data owner."""
    table = pd.DataFrame({"id": names.to_numpy(), "role": roles, "row": rows,
                          "member": is_member})
    percentiles, flags = [], []
    for name, score in scores.items():
        non_members = score[~is_member]
        percentile = stats.percentile_among(non_members, score)
        flagged = flagged_mask(score, flag_threshold(non_members)[1])
        table[f"score_{name}"] = score
        table[f"percentile_{name}"] = percentile
        table[f"flagged_{name}"] = flagged
        percentiles.append(percentile)
        flags.append(flagged)
    table["risk_percentile"] = np.max(percentiles, axis=0)
    table["flagged"] = np.any(flags, axis=0)
    return table


def summaries(distance_to_synthetic: np.ndarray, is_member: np.ndarray,
              risk_percentile: np.ndarray) -> dict:
    """Small histograms for the certificate's plots, independent of table size."""
    positive = distance_to_synthetic[distance_to_synthetic > 0]
    floor = float(positive.min()) if positive.size else 1e-6
    clipped = np.maximum(distance_to_synthetic, floor)
    return {
        "distance_to_synthetic": stats.histogram(
            {"train": clipped[is_member], "holdout": clipped[~is_member]}, bins=40, log=True),
        "risk": stats.histogram({"members": risk_percentile[is_member],
                                 "non_members": risk_percentile[~is_member]}, bins=20),
    }


#: The parts of results.json that determine every number in it: the inputs (fingerprints, rows
#: in each file, dropped and scored, the audited and excluded columns and their types), the
#: generator, every parameter, the policy and the tool version. The audit id hashes them.
AUDIT_ID_PARTS = ("tool_version", "inputs", "generator", "parameters", "policy")
#: Where a file or policy was read from does not change the results.
_NOT_DETERMINING = ("source",)


def audit_id(document: dict) -> str:
    """``SC-`` and 16 hex digits of the SHA-256 over :data:`AUDIT_ID_PARTS` of ``document``
    (a results dict, or the parts of one), in canonical JSON. ``verify`` recomputes it from a
    certificate's embedded results; two audits that differ in anything that determines their
    results (an excluded column, a dropped row, a parameter, the policy) get different ids."""
    def determining(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: determining(v) for k, v in value.items() if k not in _NOT_DETERMINING}
        if isinstance(value, list):
            return [determining(v) for v in value]
        return value

    material = _clean({part: document.get(part) for part in AUDIT_ID_PARTS})
    text = json.dumps(determining(material), sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"))
    return "SC-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16].upper()


def _clean(value: Any) -> Any:
    """JSON-safe values: numpy scalars to Python, non-finite floats to strings-free nulls."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if math.isfinite(value) else None
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def document(**parts: Any) -> dict:
    """The results.json document; its ``audit_id`` is computed from the other parts."""
    result = _clean({"schema_version": SCHEMA_VERSION, "tool_version": __version__} | parts)
    result["audit_id"] = audit_id(result)
    return result
