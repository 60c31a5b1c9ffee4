"""``AuditResults``: everything one audit found, typed and frozen; the only thing it returns.

Every figure is computed once, in ``audit.pipeline``'s measure step, and carries what it needs
to be read: an ``Estimate`` its two-sided interval and level, a ``PolicyCheck`` its bound's side
("lower": the figure is at least the bound; "upper": at most) and one-sided level. The
summary, the certificate, ``verify``, ``verify --reproduce`` and ``synthcheck records`` read
this object (or the same object rebuilt from results.json by ``audit.results_json``), never
re-derive a figure, so a number shown in two places is the same number.

Field names are results.json's keys (``audit.results_json`` writes and reads them by one generic
rule), so adding a figure or a section is adding a field here: see /work/notes/results-api.md.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from synthcheck.edpb.assess import Edpb
from synthcheck.measure.attack_results import FLAG_FPR, FPR_TARGETS, HEADLINE_FPR, fpr_label
from synthcheck.measure.attribution import ColumnAttribution
from synthcheck.support.codec import section
from synthcheck.verdict.outcome import CannotFail, Outcome, PolicyCheck, Side

__all__ = ["FLAG_FPR", "FPR_TARGETS", "HEADLINE_FPR", "AuditResults", "CannotFail", "Outcome",
           "PolicyCheck", "Side", "fpr_label"]  # and the figures below




# -- figures ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """A figure with its two-sided confidence interval [low, high] at ``level``."""

    value: float
    low: float
    high: float
    level: float | None = section()  # documents before schema 1.2 do not record it

    @property
    def at_ceiling(self) -> bool:
        return self.value >= 1.0


@dataclass(frozen=True)
class TprEstimate(Estimate):
    """TPR at a target FPR by the conservative rule, with what it achieved: ``fpr_achieved``
    (the empirical FPR of ``threshold``, never above the target) and the score ``threshold``
    (None: no threshold within the budget flags anyone)."""

    fpr_achieved: float = 0.0
    threshold: float | None = None


@dataclass(frozen=True)
class BoundPair:
    """One-sided bounds for the verdict: ``low`` holds at the FAIL level, ``high`` at the PASS
    level (``VerdictBounds`` says which); ``value`` the point estimate (None: not measurable)."""

    value: float | None
    low: float
    high: float


@dataclass(frozen=True)
class VerdictBounds:
    """An attack's bounds as the verdict reads them: lows at ``level`` (multiplicity-adjusted,
    what a FAIL reads), highs at ``pass_level`` (1 - alpha, what a PASS reads)."""

    level: float
    pass_level: float | None
    auc: BoundPair
    tpr_at_fpr: dict[float, BoundPair | None]
    epsilon_lower_bound: float
    #: the largest ε bound this audit could show at ``level`` (a perfect attack). Issue 16.
    epsilon_ceiling: float | None = section()


@dataclass(frozen=True)
class ChanceCount:
    members: float
    non_members: float


@dataclass(frozen=True)
class Flagged:
    """Records whose score reaches the FLAG_FPR threshold, against what chance would flag
    (``expected_by_chance``) and the chance of at least as many members (``p_value``)."""

    members: int
    non_members: int
    expected_by_chance: ChanceCount | None = None
    p_value: float | None = None


@dataclass(frozen=True)
class Curves:
    """Fixed-size pictures of the scores: the ROC curve and a score histogram."""

    roc: dict[str, tuple[float, ...]]
    score_histogram: dict[str, Any]


@dataclass(frozen=True)
class AttackFigures:
    """One attack's figures, each computed once: AUC and TPRs at the audit's confidence
    (two-sided), the ε lower bound at the Bonferroni level across attacks
    (``epsilon_level``), and the one-sided bounds the verdict read."""

    description: str
    auc: Estimate
    tpr_at_fpr: dict[float, TprEstimate | None]
    advantage: float
    epsilon_lower_bound: float
    flagged: Flagged | None
    verdict_bounds: VerdictBounds
    curves: Curves
    details: dict[str, Any] = field(default_factory=dict)
    epsilon_level: float | None = section()
    #: the largest ε bound this audit design could show at ``epsilon_level``: a perfect attack
    #: (every member above every non-member) with these candidates and δ; at least
    #: ``epsilon_lower_bound``. Issue 16: "ε ≥ 0.00" next to it reads as weak, not as private.
    epsilon_ceiling: float | None = section()

    def tpr(self, fpr: float = HEADLINE_FPR) -> TprEstimate | None:
        return self.tpr_at_fpr.get(fpr)

    def strength(self) -> Estimate:
        """What "strongest" compares: TPR at FPR 1 % where measurable, else the AUC."""
        return self.tpr(HEADLINE_FPR) or self.auc


# -- verdict ----------------------------------------------------------------------------------


# -- copies -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowCopies:
    columns: int
    counted: str
    members: int
    members_found: int
    non_members: int
    non_members_found: int
    p_value: float | None


@dataclass(frozen=True)
class ValueCopies:
    why: str
    in_release: bool
    members: int | None = section()
    members_found: int | None = section()
    non_members: int | None = section()
    non_members_found: int | None = section()
    p_value: float | None = section()


@dataclass(frozen=True)
class Copies:
    """Members' rows, and values of columns left out of the distances, found verbatim in the
    release against the holdout's (counts and p-values only)."""

    test: str
    rows: RowCopies | None
    columns: dict[str, ValueCopies]
    # the worst case (members' whole records no other real record shares, found verbatim),
    # reported whatever the verdict; judged only by a policy's [worst_case]
    unique_rows: RowCopies | None = section()


# -- inputs, parameters, policy ---------------------------------------------------------------


@dataclass(frozen=True)
class InputFile:
    """One input as certified: its fingerprint, rows and columns (rows dropped and scored for
    train and holdout), and where it was read from (not part of the audit id)."""

    sha256: str
    rows: int
    columns: int
    source: str | None = None
    rows_dropped: int | None = section()
    rows_scored: int | None = section()
    rows_used: int | None = section()  # reference records: kept after dropping overlaps


@dataclass(frozen=True)
class Inputs:
    train: InputFile
    holdout: InputFile
    synthetic: InputFile
    id_column: str | None
    column_types: dict[str, str]
    excluded_columns: dict[str, str] = field(default_factory=dict)
    holdout_rows_dropped_as_overlap: int = 0
    train_duplicated_records: int = 0
    #: holdout records equal to a train record on the audited columns only (another id or
    #: excluded value): audited, left out of the copy test on both sides. Since 0.3.0.
    holdout_natural_duplicates: int | None = section()
    #: the permutation p-value of "more holdout records with a train twin than a random split
    #: gives" (synthcheck.measure.twins); None when no holdout record has one. Since 0.3.0.
    holdout_twins_p: float | None = section()
    #: what --metadata decided (sdtype and datetime format of each column it named, the
    #: primary key), so a buyer reproduces the audit without the vendor's file. Since 0.3.0.
    metadata: dict[str, Any] | None = section()
    #: ``--reference``: further real records in neither train nor holdout, never scored
    reference: InputFile | None = section()

    def role(self, name: str) -> InputFile:
        return {"train": self.train, "holdout": self.holdout, "synthetic": self.synthetic,
                "reference": self.reference}[name]


@dataclass(frozen=True)
class HoldoutAttack:
    """One attack of the holdout check: holdout ("members") vs reference records."""

    auc: float
    low: float  # one-sided lower bound at the check's level
    closer: bool  # low > 0.5: the holdout is closer to the release than the fresh records


@dataclass(frozen=True)
class HoldoutCheck:
    """With ``--reference``: was the holdout really held out? (auditing/holdout_check.py)"""

    test: str
    level: float
    holdout_rows: int
    reference_rows: int
    broken: bool
    attacks: dict[str, HoldoutAttack]


@dataclass(frozen=True)
class CandidateSample:
    """The stratified sample scored under ``--max-candidates``."""

    max_candidates: int
    seed: int
    members: int
    non_members: int
    sampling: str = "stratified by membership"
    of_members: int | None = None
    of_non_members: int | None = None


@dataclass(frozen=True)
class NeighbourRecall:
    recall: float
    sample: int
    low: float | None = None
    high: float | None = None
    #: the search's setting: k-means cells of the base table, and how many of them each query
    #: visited (tuned until a sample reached the target recall). Since 0.3.0 (schema 1.3).
    cells: int | None = section()
    nprobe: int | None = section()


@dataclass(frozen=True)
class RecordedParameters:
    """The method's parameters as given, and the choices the audit made ("auto" resolved):
    everything needed to repeat it (``audit.results_json.audit_parameters`` rebuilds the
    checked ``AuditParameters``)."""

    seed: int
    confidence: float
    folds: int
    delta: float
    attacks: tuple[str, ...]
    neighbours: str = "exact"
    candidates: CandidateSample | str = "all"
    attack_parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    density_estimator: str | None = section()
    neighbour_recall: dict[str, NeighbourRecall] | None = section()
    #: how ``delta`` was chosen when not given: "1/m^2" (m: the candidates the one-run audit
    #: guesses on, twice the smaller of members and non-members); None: given. Since 0.4.0.
    delta_rule: str | None = section()
    #: the EDPB risks' attacker knowledge as given (None: the default, every audited column;
    #: ``edpb`` records the columns used). Since schema 1.3.
    known_columns: tuple[str, ...] | None = section()
    secret_columns: tuple[str, ...] | None = section()

    @property
    def sampled(self) -> CandidateSample | None:
        return self.candidates if isinstance(self.candidates, CandidateSample) else None


@dataclass(frozen=True)
class PolicyRecord:
    """The policy as applied (its TOML text reproduces it)."""

    name: str
    limits: dict[str, float]
    alpha: float
    multiplicity: str
    source: str | None = None
    text: str = ""
    worst_case: dict[str, int] | None = section()  # zero-tolerance counts, when set
    tail: bool | None = section()  # False: the tail check switched off (recorded only then)
    edpb: dict[str, float] | None = section()  # limits on the EDPB risks, when set
    claimed_epsilon: float | None = section()  # the DP claim a canary audit checks


@dataclass(frozen=True)
class CanaryAudit:
    """The canary audit (``--canaries``; synthcheck/generators/canaries.py): ``canaries`` made,
    ``included`` in the canary fit's training copy by fair coins, the one-run ε lower bound on
    them at ``level`` with ``delta`` (the largest over ``attacks``, each at a Bonferroni share;
    ``attack`` the one it comes from) and the most this design could show
    (``epsilon_ceiling``). A fit of its own, never the release certified. Issue 16."""

    canaries: int
    included: int
    epsilon_lower_bound: float
    epsilon_ceiling: float
    level: float
    delta: float
    attack: str
    attacks: dict[str, float] = field(default_factory=dict)  # each attack's score AUC
    claimed_epsilon: float | None = None
    fitted_rows: int | None = None
    design: str = ""


# -- counts and overall -----------------------------------------------------------------------


@dataclass(frozen=True)
class FlaggedUnion:
    """Records flagged by any attack at its FLAG_FPR threshold, and the FPR the union
    achieves on the non-members (each attack allows FLAG_FPR, the union up to attacks x it)."""

    members: int
    non_members: int
    fpr_achieved: float | None
    fpr_per_attack: float = FLAG_FPR


@dataclass(frozen=True)
class Counts:
    members: int
    non_members: int
    synthetic: int
    flagged_records: int = 0
    flagged: FlaggedUnion | None = section()


@dataclass(frozen=True)
class Strongest:
    """The one rule for "strongest attack", read by every output: the attack with the highest
    ``figure`` (TPR at FPR 1 %; the AUC when that is not measurable for every attack), ties
    to the first named. ``stands_out``: its lower bound is above the runner-up's estimate.
    ``ceiling``: the attacks at the figure's maximum (every member caught); when two or more
    are there none can stand out, and ``describe`` says so rather than "no attack stands out"
    (which would read as "nothing found")."""

    attack: str | None
    figure: str
    stands_out: bool
    runner_up: str | None = None
    ceiling: tuple[str, ...] = ()
    all_at_ceiling: bool = False

    def describe(self) -> str:
        """The phrase every output uses for the strongest attack."""
        if self.attack is None:
            return "none (no attack was run)"
        if len(self.ceiling) >= 2:
            who = "every attack" if self.all_at_ceiling else ", ".join(self.ceiling)
            top = "100 %" if self.figure.startswith("TPR") else "1"
            return f"{who} at the ceiling ({self.figure} = {top}: every member caught)"
        if self.runner_up is None:
            return self.attack  # the only attack
        ahead = "clearly ahead of" if self.stands_out else "not clearly ahead of"
        return f"{self.attack} (highest {self.figure}, {ahead} {self.runner_up})"


@dataclass(frozen=True)
class Overall:
    """Overall leakage: each figure the highest over attacks, naming the attack it comes from
    (no single attack wins everywhere)."""

    strongest_attack: str | None
    auc: Estimate
    tpr_at_fpr: dict[float, TprEstimate | None]
    advantage: float
    epsilon_lower_bound: float
    from_attack: dict[str, Any]
    strongest: Strongest | None = section()
    #: the ceiling of the attack ``epsilon_lower_bound`` comes from (issue 16)
    epsilon_ceiling: float | None = section()


# -- the whole ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditResults:
    """Everything one audit found: the verdict and each check behind it, every attack's
    figures, the copy checks, the inputs, the parameters and policy, the counts, fixed-size
    summaries for the pictures, and the method notes. ``audit.results_json`` writes it as
    results.json and reads it back (``from_document(to_document(r)) == r``)."""

    schema_version: str
    tool_version: str
    audit_id: str
    created: str
    verdict: Outcome
    verdict_reasons: tuple[PolicyCheck, ...]
    policy: PolicyRecord
    inputs: Inputs
    generator: dict[str, Any] | None
    parameters: RecordedParameters
    counts: Counts
    attacks: dict[str, AttackFigures]
    overall: Overall
    summaries: dict[str, Any]
    notes: tuple[str, ...] = ()
    copies: Copies | None = section()
    #: how the inputs' fingerprints were computed (``inputs.fingerprint.RECIPE``); None in
    #: documents older than 0.3.0, which did not record it
    fingerprint_recipe: str | None = section()
    column_attribution: ColumnAttribution | None = section()
    holdout_check: HoldoutCheck | None = section()
    #: the audit's premise (the holdout was never used to make the release): how it was checked
    premise: str | None = section()
    #: the policy's limits no attack could FAIL at this size, level and δ (a perfect attack's
    #: bound would not exceed them): their PASS says nothing. Since issue 16.
    cannot_fail: tuple[CannotFail, ...] | None = section()
    #: ``--canaries``: the canary audit of the generator (a fit of its own). Issue 16.
    canary_audit: CanaryAudit | None = section()
    #: singling out, linkability and inference against the holdout (``synthcheck.edpb``).
    #: Since schema 1.3.
    edpb: Edpb | None = section()

    @property
    def checks(self) -> tuple[PolicyCheck, ...]:
        return self.verdict_reasons

    def failing(self) -> tuple[PolicyCheck, ...]:
        return tuple(c for c in self.verdict_reasons if c.outcome is Outcome.FAIL)

    def inconclusive(self) -> tuple[PolicyCheck, ...]:
        return tuple(c for c in self.verdict_reasons if c.outcome is Outcome.INCONCLUSIVE)

    def tally(self) -> dict[Outcome, int]:
        """Checks by outcome, the ones that decide first: FAIL, INCONCLUSIVE, PASS."""
        order = (Outcome.FAIL, Outcome.INCONCLUSIVE, Outcome.PASS)
        return {o: sum(c.outcome is o for c in self.verdict_reasons) for o in order}

    @property
    def confidence(self) -> float:
        return self.parameters.confidence

    def attack_names(self) -> list[str]:
        return list(self.attacks)
