"""The plain-text summary printed by the CLI: a table per attack and the verdict's reasons."""
from __future__ import annotations

import re
import textwrap

from synthcheck.auditing.results import (
    FLAG_FPR,
    FPR_TARGETS,
    AttackFigures,
    AuditResults,
    Estimate,
    Outcome,
    RowCopies,
    ValueCopies,
    fpr_label,
)
from synthcheck.auditing.story import edpb_lines, verdict_sentence
from synthcheck.support import formatting as fmt


def _interval(entry: Estimate | None, percent: bool = False) -> str:
    """"0.652 [0.631, 0.673]", or for a rate in percent "8.4 [6.9, 10.1]" (the header says %)."""
    if entry is None:
        return "not measurable"
    if percent:
        def shown(value: float) -> str:
            return fmt.percent(value, space=False).rstrip("%")
    else:
        def shown(value: float) -> str:
            return f"{value:.3f}"
    return f"{shown(entry.value)} [{shown(entry.low)}, {shown(entry.high)}]"


def _shadow_lines(shadow: AttackFigures | None) -> list[str]:
    """How the shadow attack's AUC grows with K, and whether fits failed: a user decides from
    these whether more shadows would help and whether the run was complete."""
    if not shadow:
        return []
    details = shadow.details
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


WIDTH = 100  # the summary fits a 100-column CI log; the full table is in results.json


def _table(rows: list[list[str]], align: str) -> list[str]:
    """Columns as wide as their widest cell; ``align`` is one of '<' '>' per column."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(align))]
    lines = [" ".join(f"{cell:{a}{w}}" for cell, a, w in zip(row, align, widths)).rstrip()
             for row in rows]
    lines.insert(1, "-" * max(len(line) for line in lines))
    return lines


def _wrapped(text: str, indent: str = "") -> list[str]:
    """``text`` in lines of at most WIDTH; a number stays with its unit ("95 %")."""
    glued = re.sub(r"(\d) %", "\\1\u00a0%", text)
    lines = textwrap.wrap(glued, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ",
                          break_on_hyphens=False, break_long_words=False) or [""]
    return [line.replace("\u00a0", " ") for line in lines]


def tally(results: AuditResults) -> str:
    """'16 checks: 16 PASS' or '16 checks: 1 FAIL, 2 INCONCLUSIVE, 13 PASS'."""
    counts = results.tally()
    shown = ", ".join(f"{n} {o}" for o, n in counts.items() if n)
    total = len(results.checks)
    return f"{total} check{'s' if total != 1 else ''}: {shown}"


def _found(count: RowCopies | ValueCopies) -> str:
    p = count.p_value
    return (f"{count.members_found} of {count.members} members, "
            f"{count.non_members_found} of {count.non_members} non-members"
            + (f" ({fmt.p_value(p)})" if p is not None else ""))


def _column_and_copy_lines(results: AuditResults) -> list[str]:
    """How many columns were audited, which were left out and why, and what was found verbatim
    in the release (counts only)."""
    inputs = results.inputs
    checked = results.copies.columns if results.copies else {}
    lines = [f"columns audited: {len(inputs.column_types)}; left out of the distances: "
             f"{len(inputs.excluded_columns) + (inputs.id_column is not None)}"
             + (" (each gets an exact-value check)" if checked else "")]
    for column, entry in checked.items():
        lines.append(f"  {column}: {entry.why}")
        lines.append(f"    values found in the release: {_found(entry)}" if entry.in_release
                     else "    not in the release")
    rows = results.copies.rows if results.copies else None
    if rows is not None:
        lines.append(f"exact copies of rows ({rows.columns} audited columns): {_found(rows)}")
    unique = results.copies.unique_rows if results.copies else None
    if unique is not None:  # the worst case, shown whatever the verdict
        lines.append(f"worst case: {unique.members_found} member record"
                     f"{'' if unique.members_found == 1 else 's'} that no other real record "
                     f"shares copied verbatim into the release (non-members: "
                     f"{unique.non_members_found})")
    return lines


def _flagged_line(results: AuditResults) -> str:
    """Records flagged at FPR 0.1 % by any attack, against chance; or why that cannot be said."""
    counts, union = results.counts, results.counts.flagged
    if all(attack.flagged is None for attack in results.attacks.values()):
        needed = round(1 / FLAG_FPR)
        return (f"flagged at FPR {fpr_label(FLAG_FPR)}: not measurable with "
                f"{counts.non_members:,} non-members ({needed:,} needed)")
    if union is None or union.fpr_achieved is None:
        return f"records flagged at FPR {fpr_label(FLAG_FPR)}: {counts.flagged_records}"
    chance = union.fpr_achieved * counts.members  # members flagged if none leaked
    return (f"flagged at FPR {fpr_label(FLAG_FPR)} by any attack: {union.members} members "
            f"(chance alone: about {chance:.0f}), {union.non_members} non-members (union FPR "
            f"{fmt.percent(union.fpr_achieved)})")


def summary_text(results: AuditResults) -> str:
    """The summary for a person or a CI log: at most 100 characters a line. Names no file (the
    CLI says what it wrote) and no record. Rates in percent; each figure says its level."""
    confidence = fmt.level(results.confidence).replace(" ", "")
    rows = [["attack", f"AUC [{confidence} CI]",
             *(f"TPR% @FPR {fpr_label(fpr).replace(' ', '')}" for fpr in FPR_TARGETS),
             "eps >="]]
    for name, attack in results.attacks.items():
        rows.append([name, _interval(attack.auc),
                     *(_interval(attack.tpr(fpr), True) for fpr in FPR_TARGETS),
                     fmt.epsilon(attack.epsilon_lower_bound)])
    lines = _table(rows, "<<<<<>")
    levels = {a.epsilon_level for a in results.attacks.values() if a.epsilon_level}
    epsilon_at = f" at {fmt.level(levels.pop())}" if len(levels) == 1 else ""
    lines += _wrapped(f"estimates with two-sided {fmt.level(results.confidence)} intervals; TPR "
                      f"in percent; eps >=: the one-run epsilon lower bound{epsilon_at}. The "
                      "verdict reads one-sided bounds at its own levels (below).")
    counts = results.counts
    lines.append("")
    reference = results.inputs.reference
    lines.append(f"members {counts.members}, non-members {counts.non_members}, "
                 f"synthetic rows {counts.synthetic}"
                 + (f", reference records {reference.rows_used} (never scored)"
                    if reference is not None else ""))
    lines += _wrapped(_flagged_line(results))
    for line in _shadow_lines(results.attacks.get("shadow")):
        lines += _wrapped(line)
    for line in _column_and_copy_lines(results):
        lines += _wrapped(line.lstrip(), " " * (len(line) - len(line.lstrip())))
    for line in attribution_lines(results):
        lines += _wrapped(line)
    for line in edpb_lines(results):
        lines += _wrapped(line.lstrip(), " " * (len(line) - len(line.lstrip())))
    overall = results.overall
    strongest = overall.strongest.describe() if overall.strongest else (
        overall.strongest_attack or "not recorded")
    lines += _wrapped(f"strongest attack: {strongest}")
    source = overall.from_attack.get("epsilon_lower_bound")
    lines += _wrapped(f"epsilon lower bound: {fmt.epsilon(overall.epsilon_lower_bound)}"
                      + (f" ({source}{epsilon_at}, the highest over attacks)" if source else "")
                      + ("" if overall.epsilon_ceiling is None else
                         f"; this audit could show at most {fmt.epsilon(overall.epsilon_ceiling)}"
                         " (a perfect attack with these candidates, level and delta)"))
    canary = results.canary_audit
    if canary is not None:
        lines += _wrapped(f"canary audit (one more fit of the generator): {canary.canaries} "
                          f"canaries, {canary.included} included by fair coins; epsilon lower "
                          f"bound {fmt.epsilon(canary.epsilon_lower_bound)} at "
                          f"{fmt.level(canary.level)} ({canary.attack}, delta "
                          f"{canary.delta:.2g}); this design could show at most "
                          f"{fmt.epsilon(canary.epsilon_ceiling)}")
    lines.append("")
    policy = results.policy
    lines += _wrapped(f"VERDICT: {results.verdict.value} (policy '{policy.name}', "
                      f"{policy.multiplicity}-adjusted, alpha {policy.alpha}); "
                      f"{tally(results)}")
    lines += _wrapped(verdict_sentence(results), "  ")
    for reason in sorted(results.checks, key=lambda c: c.outcome is not Outcome.FAIL):
        if reason.outcome is not Outcome.PASS:
            lines += _wrapped(f"{reason.outcome.value:<12} {reason.reason}", "  ")
    for unfailable in results.cannot_fail or ():
        lines += _wrapped(f"{'CANNOT FAIL':<12} {unfailable.reason}", "  ")
    for line in holdout_check_lines(results):
        lines += _wrapped(line)
    broken = results.holdout_check is not None and results.holdout_check.broken
    if results.premise and not broken:  # a broken premise opens the verdict sentence
        lines += _wrapped(results.premise)
    return "\n".join(lines)


def records_text(records, attacks: list[str], top: int, show_ids: bool, role: str) -> str:
    """The ``top`` records most at risk (highest calibrated risk percentile), with each
    attack's percentile among non-members; for the data owner. Records are named by their row
    in their file unless ``show_ids``."""
    chosen = records if role == "all" else records[records["role"] == role]
    # ties at the top (many records above every non-member) go by the attacks' mean percentile
    strength = chosen[[f"percentile_{a}" for a in attacks]].mean(axis=1)
    ranked = (chosen.assign(_strength=strength)
              .sort_values(["risk_percentile", "_strength", "row"], ascending=[False, False, True])
              .head(top))
    rows = [["rank", "id" if show_ids else "record", "risk pct", *attacks, "flagged"]]
    for rank, (_, record) in enumerate(ranked.iterrows(), start=1):
        name = str(record["id"]) if show_ids else f"{record['role']} row {int(record['row'])}"
        rows.append([str(rank), name, f"{record['risk_percentile']:.1f}",
                     *(f"{record[f'percentile_{a}']:.1f}" for a in attacks),
                     "yes" if record["flagged"] else ""])
    group = "" if role == "all" else f"{role} "
    lines = [f"the {len(ranked)} of {len(chosen)} {group}records most at risk (percentile among "
             "non-members; 100 = above all)"]
    lines += _table(rows, ">" + "<" + ">" * (len(attacks) + 1) + "<")
    if "matches_exactly" in ranked.columns and len(ranked):
        lines.append("")
        lines += _wrapped("why: the columns each record's closest synthetic row reproduces "
                          "(exactly; nearly = numbers within 0.1 sd), and its distance to that "
                          "row vs to the closest other real record")
        for rank, (_, record) in enumerate(ranked.iterrows(), start=1):
            exactly = record["matches_exactly"] or "none"
            nearly = record.get("matches_nearly") or "none"
            lines += (textwrap.wrap(f"{rank:>4} exactly: {exactly}; nearly: {nearly}; distance to "
                              f"synthetic {record['distance_to_synthetic']:.3g} vs real "
                              f"{record['distance_to_reference']:.3g}", WIDTH,
                              subsequent_indent=" " * 5, break_on_hyphens=False,
                              break_long_words=False))
    if not show_ids:
        lines.append("records are named by their data row in the input file; --show-ids names "
                     "them by id (not for shared logs)")
    return "\n".join(lines)


def attribution_lines(results: AuditResults, most: int = 3) -> list[str]:
    """Which columns drive each attack: for a failing attack always (naming the columns, or
    saying that no single one does, or why it was not attributed), for the others only when a
    column stands out. Attacks with the same finding share a line. Column names and AUCs only,
    never a value."""
    found = results.column_attribution
    if found is None:
        return []
    failing = {check.subject for check in results.failing()}
    findings: dict[tuple[str, str], list[str]] = {}  # (verb, what) -> attacks
    for name in results.attacks:
        attack = found.attacks.get(name)
        fails = name in failing
        if attack is None:
            if fails and name in found.not_attributed:
                findings.setdefault(("FAIL", "columns not attributed: "
                                     + found.not_attributed[name]), []).append(name)
            continue
        driving = attack.driving
        if not driving:
            if fails:
                why = ("driven by no single column: leaving any one out of the distances changes "
                       "the AUC by no more than chance would (as when a leak spans several "
                       "columns or whole rows)")
                findings.setdefault(("FAIL", why), []).append(name)
            continue
        shown = ", ".join(f"{c.column} (AUC {attack.auc:.2f}, {c.auc_without:.2f} without it)"
                          for c in driving[:most])
        more = f" and {len(driving) - most} more" if len(driving) > most else ""
        verb = "FAIL" if fails else "draws"
        findings.setdefault((verb, ("driven by " if fails else "most on ") + shown + more),
                            []).append(name)
    lines = []
    for (verb, what), names in findings.items():
        subject = " and ".join([", ".join(names[:-1]), names[-1]] if len(names) > 1 else names)
        if verb == "FAIL":
            lines.append(f"{subject} {'FAILs' if len(names) == 1 else 'FAIL'}, {what}")
        else:
            lines.append(f"{subject} {'draws' if len(names) == 1 else 'draw'} {what}")
    return lines


#: The metrics table's figures: name, how to read it from an attack's figures, and the policy
#: check that reads it (None: no limit reads it).
METRIC_FIGURES = (
    ("auc", lambda a: a.auc, "max_auc"),
    ("tpr_at_fpr_0.1%", lambda a: a.tpr(0.001), "max_tpr_at_fpr_0_1pct"),
    ("tpr_at_fpr_1%", lambda a: a.tpr(0.01), "max_tpr_at_fpr_1pct"),
    ("tpr_at_fpr_10%", lambda a: a.tpr(0.1), "max_tpr_at_fpr_10pct"),
    ("advantage", lambda a: a.advantage, None),
    ("epsilon_lower_bound", lambda a: a.epsilon_lower_bound, "max_epsilon"),
)


def metrics_rows(results: AuditResults) -> list[dict]:
    """One row per attack and figure: value, low, high (the two-sided interval at its level;
    None where a figure has none, value None where it is not measurable), the level, and the
    outcome of the policy check that reads it (None when no limit does). The ε lower bound is
    itself a one-sided bound at its Bonferroni level over attacks, so it has no interval."""
    outcomes = {(c.subject, c.check): c.outcome.value for c in results.checks}
    rows = []
    for attack, figures in results.attacks.items():
        for figure, read, check in METRIC_FIGURES:
            entry = read(figures)
            if entry is None or isinstance(entry, (int, float)):
                value, low, high = entry, None, None
                level = figures.epsilon_level if figure == "epsilon_lower_bound" else None
            else:
                value, low, high, level = entry.value, entry.low, entry.high, entry.level
            rows.append({"attack": attack, "figure": figure, "value": value, "low": low,
                         "high": high, "level": level,
                         "outcome": outcomes.get((attack, check)) if check else None})
    return rows


def holdout_check_lines(results: AuditResults) -> list[str]:
    """The holdout check (``--reference``) as the certificate's table shows it: each attack's
    AUC and one-sided lower bound (holdout as members, reference records as non-members)."""
    found = results.holdout_check
    if found is None:
        return []
    each = "; ".join(f"{name} AUC {fmt.auc(entry.auc)}, lower bound {fmt.auc(entry.low)}"
                     + (" (closer)" if entry.closer else "")
                     for name, entry in found.attacks.items())
    line = (f"holdout check: holdout vs {found.reference_rows} reference records, lower bounds "
            f"at {fmt.level(found.level)} (limit {fmt.auc(0.5)}): {each}")
    return [line]
