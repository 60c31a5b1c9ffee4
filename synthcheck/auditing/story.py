"""The verdict in words, written once for the CLI summary and page 1 of the certificate.

Every number these sentences quote is a policy check's bound or limit (``PolicyCheck``), so it
is the number the policy table beside them shows: the headline and the table cannot disagree.
On a FAIL the first sentence names each failing check (subject, figure, bound against limit);
on an INCONCLUSIVE it names the undecided checks and what limits them.
"""
from __future__ import annotations

from dataclasses import dataclass

from synthcheck.auditing.holdout_check import CHECK as PREMISE_CHECK
from synthcheck.auditing.results import HEADLINE_FPR, AuditResults, Outcome, PolicyCheck, Side
from synthcheck.measure.twins import CHECK as TWINS_CHECK
from synthcheck.support import formatting as fmt
from synthcheck.verdict.policy import CANARY_CHECK, CHECKS, EDPB_KEYS, TAIL_CHECK

#: what limits an undecided check, as the verdict sentence says it (``PolicyCheck.limited_by``)
LIMITED_BY = {
    "holdout": "too few holdout records",
    "max_candidates": "the --max-candidates sample",
    "level": "a measured figure close to the limit at the policy's levels",
    "premise": "a holdout that looks used to make the release",
}


def metric_of(check: PolicyCheck) -> str:
    """The quantity a check's bound is on: "auc", "tpr", "epsilon" or "p"."""
    if check.check in EDPB_KEYS:
        return "tpr"  # a risk, in percent like a rate
    if check.check == CANARY_CHECK:
        return "epsilon"
    if check.side is Side.P_VALUE or check.check not in CHECKS:
        return "p" if check.side is Side.P_VALUE or check.check.startswith("copied") else "auc"
    return CHECKS[check.check][0]


def bound_text(check: PolicyCheck) -> str:
    """The bound as the policy table shows it: "8.4 %", "0.652", "1.73", "p < 1e-05"."""
    if check.bound is None:
        return "not measurable"
    return fmt.figure(metric_of(check), check.bound)


def limit_text(check: PolicyCheck) -> str:
    return fmt.figure(metric_of(check), check.limit)


def figure_phrase(check: PolicyCheck, with_limit: bool = True) -> str:
    """A check's figure, bound and limit as the table shows them:
    "TPR at FPR 1 % ≥ 8.4 % (limit 5.0 %)"."""
    metric = metric_of(check)
    if check.check == CANARY_CHECK and check.outcome is Outcome.FAIL:
        return f"DP claim refuted, ε ≥ {bound_text(check)} (claimed {limit_text(check)})"
    if check.check == TAIL_CHECK:  # its limit is a share of alpha, stated under the table
        return f"{check.figure} {bound_text(check)}"
    if check.check == TWINS_CHECK:  # the premise: a random split of train and holdout
        return f"{check.figure} beyond a random split, {bound_text(check)}"
    if metric == "p":  # its limit is a share of alpha, stated under the table
        return f"{check.figure} {bound_text(check)}, copied more than the holdout explains"
    if check.outcome is Outcome.FAIL:
        relation = "" if metric == "epsilon" else "≥ "
    elif check.outcome is Outcome.INCONCLUSIVE:
        relation = "up to "
    else:
        relation = "" if metric == "epsilon" else "≤ "
    limit = f" (limit {limit_text(check)})" if with_limit else ""
    return f"{check.figure} {relation}{bound_text(check)}{limit}"


def check_phrase(check: PolicyCheck) -> str:
    """One check in a few words: "dcr-ratio: TPR at FPR 1 % ≥ 8.4 % (limit 5.0 %)"."""
    return f"{check.subject}: {figure_phrase(check)}"


def checks_phrase(checks: tuple[PolicyCheck, ...]) -> tuple[str | None, str]:
    """Several checks grouped by subject, and their limits said once when several subjects
    share them: ("AUC 0.600; TPR at FPR 1 % 5.0 %", "dcr: AUC ≥ 0.652, TPR at FPR 1 % ≥
    8.4 %; dcr-ratio: ..."); (None, ...) with each limit beside its figure otherwise."""
    inferred = [c for c in checks if c.check == "max_inference_risk"]
    grouped = None
    if len(inferred) > 2:  # one phrase for many secret columns, not a column each
        checks = tuple(c for c in checks if c.check != "max_inference_risk")
        bounds = sorted(c.bound or 0.0 for c in inferred)
        grouped = (f"inference of {len(inferred)} secret columns: EDPB risk "
                   f"{'≥' if inferred[0].side is Side.LOWER else '≤'} "
                   f"{fmt.percent(bounds[0])} to {fmt.percent(bounds[-1])} "
                   f"(limit {limit_text(inferred[0])})")
    subjects: dict[str, list[PolicyCheck]] = {}
    for check in checks:
        subjects.setdefault(check.subject, []).append(check)
    limits = {(c.figure, limit_text(c)) for c in checks if metric_of(c) != "p"}
    shared = len(subjects) > 1 and len({figure for figure, _ in limits}) == len(limits) > 0
    named = "; ".join([f"{subject}: " + ", ".join(figure_phrase(c, not shared) for c in group)
                       for subject, group in subjects.items()] + ([grouped] if grouped else []))
    listed = "; ".join(f"{figure} {limit}" for figure, limit in sorted(limits))
    return (listed if shared else None), named


def _limits_label(limits: str) -> str:
    return "limits" if ";" in limits else "limit"


def premise_sentence(results: AuditResults) -> str | None:
    """The holdout check's sentence when it found the premise broken (None otherwise): the
    figure it quotes is in the holdout check's table on page 1 and in the summary."""
    broken = [c for c in results.checks if c.check == PREMISE_CHECK]
    if not broken or results.holdout_check is None:
        return None
    named = "; ".join(f"{c.subject}: AUC ≥ {bound_text(c)} (limit {limit_text(c)})"
                      for c in broken)
    return (f"The holdout is closer to the release than {results.holdout_check.reference_rows} "
            f"fresh reference records ({named}): the audit's premise, that the holdout was "
            "never used to make the release, does not hold, so the verdict cannot be PASS.")


def verdict_sentence(results: AuditResults) -> str:
    """The first sentence under the verdict: what decided it (each failing check named with
    its figure, bound and limit; on INCONCLUSIVE each undecided check and what limits it; a
    broken holdout premise first)."""
    premise = premise_sentence(results)
    checks = results.checks
    if results.verdict is Outcome.FAIL:
        failing = results.failing()
        limits, named = checks_phrase(failing)
        where = f" ({_limits_label(limits)} {limits})" if limits else ""
        text = f"{len(failing)} of {len(checks)} checks exceed the policy's limits{where}: {named}."
        return text if premise is None else f"{text} {premise}"
    if results.verdict is Outcome.INCONCLUSIVE:
        undecided = tuple(c for c in results.inconclusive() if c.check != PREMISE_CHECK)
        if premise is not None and not undecided:
            return f"{premise} No other check exceeds a limit or is undecided."
        why = sorted({LIMITED_BY.get(c.limited_by or "", "the records scored")
                      for c in undecided})
        limits, named = checks_phrase(undecided)
        where = f"; {_limits_label(limits)} {limits}" if limits else ""
        text = (f"No check exceeds a limit, but {len(undecided)} of {len(checks)} cannot be "
                f"decided ({' and '.join(why)}{where}): {named}.")
        return text if premise is None else f"{premise} {text}"
    return f"All {len(checks)} checks are within the policy's limits."


@dataclass(frozen=True)
class Headline:
    """The plain sentence's numbers: members caught at FPR 1 % by the strongest attack, as its
    policy check's bound (None when the policy has no such limit), and the largest ε bound of
    the ε checks (None without an ε limit)."""

    strongest: str
    attack: str | None
    tpr_check: PolicyCheck | None
    epsilon_check: PolicyCheck | None


def headline(results: AuditResults) -> Headline:
    best = results.overall.strongest
    attack = best.attack if best else None
    tpr_key = next((key for key, (metric, fpr, _) in CHECKS.items()
                    if metric == "tpr" and fpr == HEADLINE_FPR), None)
    tpr_check = next((c for c in results.checks
                      if c.subject == attack and c.check == tpr_key), None)
    epsilon_checks = [c for c in results.checks if c.check == "max_epsilon" and c.bound is not None]
    epsilon_check = max(epsilon_checks, key=lambda c: c.bound, default=None)
    return Headline(best.describe() if best else "none", attack, tpr_check, epsilon_check)


def epsilon_ceiling(results: AuditResults, check: PolicyCheck) -> float | None:
    """The most the ε check's attack could have shown at the check's level (None in documents
    before issue 16)."""
    attack = results.attacks.get(check.subject)
    return None if attack is None else attack.verdict_bounds.epsilon_ceiling


def headline_sentences(results: AuditResults) -> list[str]:
    """The plain sentences after the verdict sentence (numbers from the policy table)."""
    found = headline(results)
    lines = []
    guess = fmt.percent(HEADLINE_FPR, 0)
    if found.tpr_check is not None and found.tpr_check.bound is not None:
        check = found.tpr_check
        relation = "at least" if check.side is Side.LOWER else "at most"
        lines.append(f"An attacker who wrongly accuses {guess} of outsiders catches {relation} "
                     f"{bound_text(check)} of the training records (guessing catches {guess}); "
                     f"strongest attack: {found.strongest}.")
    else:
        lines.append(f"Strongest attack: {found.strongest}.")
    if premise_sentence(results) is not None:  # the figure reads members against this holdout
        lines[0] = ("Measured against this holdout, which the check above finds used: "
                    + lines[0][0].lower() + lines[0][1:])
    if found.epsilon_check is not None:
        ceiling = epsilon_ceiling(results, found.epsilon_check)
        could = ("" if ceiling is None else
                 f"; this audit could show at most {fmt.epsilon(ceiling)}")
        if found.epsilon_check.bound > 0:
            # the ceiling is in the policy table's ε column head: not repeated here (page 1)
            lines.append("Differential privacy: the generator is not (ε, δ)-private for any ε "
                         f"below {bound_text(found.epsilon_check)} "
                         f"({found.epsilon_check.subject}).")
        elif ceiling is not None and not any(c.check == "max_epsilon"
                                             for c in results.cannot_fail or ()):
            # "none measurable", as the policy table says, rather than "ε ≥ 0.00"
            lines.append(f"Differential privacy: no measurable lower bound on ε{could} (a "
                         "perfect attack at this size, level and δ); the attacks showed none, "
                         "which is not a sign that the generator is private.")
        elif any(c.check == "max_epsilon" for c in results.cannot_fail or ()):
            ceiling = next(c for c in results.cannot_fail if c.check == "max_epsilon")
            lines.append("Differential privacy: no measurable lower bound on ε, and at this "
                         f"size a perfect attack could show at most {fmt.epsilon(ceiling.ceiling)}"
                         f" (limit {fmt.epsilon(ceiling.limit)}): this audit cannot show that "
                         "the generator is not private.")
        else:
            lines.append("Differential privacy: no measurable lower bound on ε (this does not "
                         "show that the generator is private).")
    return lines


# -- the EDPB criteria ----------------------------------------------------------------------

#: The three criteria in plain words (Article 29 Working Party, Opinion 05/2014), said once for
#: the certificate and the owner's report.
EDPB_CRITERIA = {
    "singling out": ("Can someone isolate one person's record? Conditions read off the release "
                    "(a value it holds once, an extreme, a combination of three values) are put "
                    "to the members and to as many holdout records; the release singles people "
                    "out when such a condition picks out exactly one member more often than "
                    "exactly one holdout record."),
    "linkability": ("Can two parts of a person's record, held in two places, be joined through "
                   "the release? Each part is matched to its closest synthetic row; they are "
                   "linked when both land on the same row, a risk when that happens more often "
                   "for members than for holdout records."),
    "inference": ("Can someone who knows some of a person's values learn another (a secret "
                 "column)? The guess is the secret in the closest synthetic row on the known "
                 "columns (a number counts as right within 5 % of the secret and of the "
                 "column's spread); a risk when it is right more often for members than for "
                 "holdout records."),
}
EDPB_RISK_SENTENCE = (
    "Each risk is (success on members − success on holdout records) / (1 − success on holdout "
    "records): 0 when the release tells an attacker no more about the people it was made from "
    "than about anyone else, 1 when every attack the holdout resists succeeds on its members.")


@dataclass(frozen=True)
class EdpbRow:
    """One EDPB risk as the summary and the certificate show it, and the policy's check on it
    (None: the policy sets no limit on it)."""

    criterion: str  # "singling out", "linkability", "inference"
    subject: str  # "singling out", "linkability", "inference of 'income'"
    risk: object  # synthcheck.edpb.risk.Risk
    check: PolicyCheck | None


def edpb_rows(results: AuditResults, inference_rows: int | None = None) -> list[EdpbRow]:
    """Singling out, linkability and each secret column's inference, highest inference risk
    first (at most ``inference_rows`` of them); empty when the audit did not assess them."""
    edpb = results.edpb
    if edpb is None:
        return []
    checks = {c.subject: c for c in results.checks if c.check in EDPB_KEYS}
    rows = [EdpbRow("singling out", "singling out", edpb.singling_out,
                    checks.get("singling out"))]
    if edpb.linkability is not None:
        rows.append(EdpbRow("linkability", "linkability", edpb.linkability,
                            checks.get("linkability")))
    inferred = sorted(edpb.inference.items(), key=lambda item: -item[1].risk)
    for name, risk in inferred[:inference_rows]:
        subject = f"inference of '{name}'"
        rows.append(EdpbRow("inference", subject, risk, checks.get(subject)))
    return rows


def edpb_lines(results: AuditResults) -> list[str]:
    """The summary's EDPB block: each risk with its interval and the two success rates."""
    edpb = results.edpb
    if edpb is None:
        return []
    shown = 3
    lines = [(f"EDPB risks (risk [{fmt.level(edpb.level)} CI]; success on members vs on as "
              f"many holdout records, {edpb.records:,} each):")]
    for row in edpb_rows(results, shown):
        risk = row.risk
        lines.append(f"  {row.subject}: {fmt.percent(risk.risk)} [{fmt.percent(risk.low)}, "
                     f"{fmt.percent(risk.high)}] ({fmt.percent(risk.attack_rate)} vs "
                     f"{fmt.percent(risk.control_rate)})"
                     + (f" {row.check.outcome.value}" if row.check is not None else ""))
    if len(edpb.inference) > shown:
        lines.append(f"  inference: the {shown} highest of {len(edpb.inference)} secret columns "
                     "shown (all in results.json)")
    return lines
