"""The plain-text summary printed by the CLI: a table per attack and the verdict's reasons."""
from __future__ import annotations


def _interval(entry: dict | None, percent: bool = False) -> str:
    if entry is None:
        return "not measurable"
    scale, unit = (100.0, "%") if percent else (1.0, "")
    return (f"{entry['value'] * scale:.3g}{unit} "
            f"[{entry['low'] * scale:.3g}, {entry['high'] * scale:.3g}]")


def _shadow_lines(shadow: dict | None) -> list[str]:
    """How the shadow attack's AUC grows with K, and whether fits failed: a user decides from
    these whether more shadows would help and whether the run was complete."""
    if not shadow:
        return []
    details = shadow.get("details", {})
    steps = details.get("auc_by_shadows") or []
    lines = []
    if steps:
        shown = ", ".join(f"K={step['shadows']}: {step['value']:.3f}" for step in steps)
        lines.append(f"AUC of the shadow attack by number of shadow fits: {shown}")
    failed = details.get("shadows_failed") or []
    if failed:
        lines.append(f"failed shadow fits: {len(failed)} of {details.get('shadows_requested')} "
                     f"after a retry; scored with {details.get('shadows_used')}")
    return lines


def summary_text(results: dict) -> str:
    confidence = results["parameters"]["confidence"]
    header = (f"{'attack':<14} {'AUC [' + format(confidence, '.0%') + ' CI]':<26} "
              f"{'TPR@FPR 0.1%':<24} {'TPR@FPR 1%':<24} {'TPR@FPR 10%':<24} "
              f"{'advantage':>9} {'eps >=':>7}")
    lines = [header, "-" * len(header)]
    for name, attack in results["attacks"].items():
        tpr = attack["tpr_at_fpr"]
        lines.append(f"{name:<14} {_interval(attack['auc']):<26} {_interval(tpr['0.001'], True):<24} "
                     f"{_interval(tpr['0.01'], True):<24} {_interval(tpr['0.1'], True):<24} "
                     f"{attack['advantage']:>9.3f} {attack['epsilon_lower_bound']:>7.2f}")
    counts = results["counts"]
    lines.append("")
    lines.append(f"members {counts['members']}, non-members {counts['non_members']}, "
                 f"synthetic rows {counts['synthetic']}")
    union = counts.get("flagged")
    if union and union.get("fpr_achieved") is not None:
        lines.append(f"flagged at FPR 0.1 % by any attack: {union['members']} members, "
                     f"{union['non_members']} non-members (union FPR "
                     f"{union['fpr_achieved']:.2%}; ids in records.parquet)")
    else:
        lines.append(f"records flagged at FPR 0.1 %: {counts['flagged_records']} "
                     f"(ids in records.parquet)")
    lines += _shadow_lines(results["attacks"].get("shadow"))
    overall = results["overall"]
    source = overall.get("from_attack", {}).get("epsilon_lower_bound")
    lines.append(f"strongest attack: {overall['strongest_attack'] or 'no attack stands out'}; "
                 f"epsilon lower bound: {overall['epsilon_lower_bound']:.2f}"
                 + (f" ({source})" if source else ""))
    lines.append("")
    lines.append(f"VERDICT: {results['verdict']} (policy '{results['policy']['name']}', "
                 f"{results['policy']['multiplicity']}-adjusted, alpha {results['policy']['alpha']})")
    shown = [r for r in results["verdict_reasons"] if r["outcome"] != "PASS"] or results["verdict_reasons"][:1]
    for reason in shown:
        lines.append(f"  {reason['outcome']:<12} {reason['reason']}")
    return "\n".join(lines)
