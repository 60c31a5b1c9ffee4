"""Is the holdout really held out? Checked against fresh real records (``--reference``).

Every number of an audit rests on one premise: the holdout records were never used to make the
release. A vendor who trained on them (or built the release from them) makes members and
"non-members" look alike, and every attack reads AUC 0.5. The premise can be tested when the
auditor has further real records of the same population that the vendor never had: the same
attacks, run with the holdout as "members" and the reference records as "non-members", must
find no difference. A holdout significantly closer to the release than the fresh records means
the premise is broken (or the reference records come from another population): the audit
cannot PASS.

The check is the audit's own machinery on other roles: holdout rows are scored against
references drawn from the reference records outside their fold, reference records against the
same; no record is scored by a model fitted on it. Its false-alarm rate on an honest holdout is
at most the policy's alpha: each attack's one-sided AUC lower bound is read at alpha divided by
the number of attacks checked (Bonferroni). It can only turn a PASS into INCONCLUSIVE, so it
does not change the error rates of the verdict's other checks.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from synthcheck.attacks import Attack, AttackInputs
from synthcheck.auditing.results import HoldoutAttack, HoldoutCheck
from synthcheck.distance.crossfit import make_folds
from synthcheck.measure.twins import CHECK as TWINS_CHECK
from synthcheck.measure.twins import TwinTest
from synthcheck.support import formatting as fmt
from synthcheck.verdict.outcome import Outcome, PolicyCheck, Side

CHECK = "holdout_integrity"


def premise_note() -> str:
    """The plain sentence page 1 and the summary carry when no reference records were given."""
    return ("The verdict assumes the holdout was never used to train the generator or to make "
            "the release; it was not checked (no --reference). Anyone holding real records of "
            "the same population in neither train nor holdout can check it: re-run the audit "
            "with --reference FILE; a holdout closer to the release than those fresh records "
            "stops a PASS.")


TEST = ("the audit's attacks with the holdout as members and the reference records as "
        "non-members; the holdout is closer to the release than fresh records when an AUC's "
        "one-sided lower bound exceeds 0.5")


def premise_reason(found: HoldoutCheck) -> PolicyCheck | None:
    """The verdict's check when the premise is broken (None otherwise): INCONCLUSIVE, and
    first among the reasons."""
    if not found.broken:
        return None
    name, entry = max(((n, e) for n, e in found.attacks.items() if e.closer),
                      key=lambda item: item[1].low)
    return PolicyCheck(
        check=CHECK, subject=f"holdout vs reference ({name})", limit=0.5, bound=entry.low,
        outcome=Outcome.INCONCLUSIVE,
        reason=f"holdout: {name} tells the holdout from {found.reference_rows} fresh reference "
               f"records (AUC {fmt.auc(entry.auc)}, lower bound {fmt.auc(entry.low)} > 0.5): the "
               "holdout is closer to the release than records the generator never saw, so it "
               "was likely used to train it (or the reference comes from another population); "
               "members vs holdout cannot show the leakage, and the audit cannot PASS",
        level=found.level, figure="auc", side=Side.LOWER, limited_by="premise")


def twins_reason(found: TwinTest, alpha: float) -> PolicyCheck | None:
    """The verdict's check when the holdout holds more train twins than a random split gives
    (None otherwise): INCONCLUSIVE, among the premise's reasons. A false alarm on an honest
    split has probability at most ``alpha`` (an exact permutation test), and it can only stop
    a PASS."""
    if found.p_value > alpha:
        return None
    return PolicyCheck(
        check=TWINS_CHECK, subject="holdout vs train", limit=alpha, bound=found.p_value,
        outcome=Outcome.INCONCLUSIVE,
        reason=f"holdout: {found.holdout_with_twin} of {found.holdout_rows} holdout records "
               "equal a train record on every audited column under another id or excluded "
               f"value, against {found.train_with_twin} of {found.train_rows} train records "
               "equal to another train record: more than a random split gives (permutation "
               f"{fmt.p_value(found.p_value)} ≤ α {alpha:g}). Train records put into the holdout "
               "would be scored as non-members and hide the leakage, so the audit cannot PASS; "
               "drop them from the holdout or show that the split was random",
        level=1.0 - alpha, figure="train twins in the holdout", side=Side.P_VALUE,
        limited_by="premise")


def premise_text(found: HoldoutCheck | None) -> str:
    """The sentence on the audit's premise (the holdout was held out) every output carries."""
    if found is None:
        return premise_note()
    if found.broken:
        return ("The holdout looks closer to the release than fresh reference records: the "
                "premise that it was never used to make the release does not hold (see the "
                "holdout check), so the verdict cannot be PASS.")
    return (f"The holdout was checked against {found.reference_rows} reference records the "
            "generator never saw (--reference): no attack found it closer to the release than "
            "them (no one-sided lower bound above chance).")


def checked_attacks(attacks: Sequence[Attack]) -> list[Attack]:
    """The attacks the check re-runs: those the policy's limits read, without a generator
    (the shadow attack's shadows are fitted on train and holdout, not on the reference)."""
    return [a for a in attacks if a.checked_by_limits and not a.requires_generator]


def holdout_inputs(inputs: AttackInputs, reference: pd.DataFrame, encoded_reference: np.ndarray,
                   folds: int) -> AttackInputs:
    """The audit's inputs with other roles: the scored holdout rows as "members", the
    reference records as "non-members" (and as the only reference), same release, encoding,
    kernel bandwidth and neighbour search."""
    holdout = ~inputs.is_member
    candidates = pd.concat([inputs.candidates[holdout], reference], ignore_index=True)
    is_member = np.r_[np.ones(int(holdout.sum()), bool), np.zeros(len(reference), bool)]
    checked = AttackInputs(
        candidates=candidates, is_member=is_member, synthetic=inputs.synthetic,
        types=inputs.types, encoder=inputs.encoder,
        encoded_candidates=np.vstack([inputs.encoded_candidates[holdout], encoded_reference]),
        encoded_synthetic=inputs.encoded_synthetic,
        folds=make_folds(is_member, folds, inputs.seed + 1), seed=inputs.seed,
        kde_bandwidth=inputs.kde_bandwidth, progress=inputs.progress,
        neighbour_search=inputs.neighbour_search, scheduler=inputs.scheduler)
    checked._cache["spacing"] = inputs.synthetic_spacing  # the same bandwidth, computed once
    return checked


def check_holdout(attacks: Sequence[Attack], inputs: AttackInputs, reference: pd.DataFrame,
                  encoded_reference: np.ndarray, *, folds: int, alpha: float,
                  delta: float) -> HoldoutCheck | None:
    """Run ``attacks`` (resolved) with holdout vs reference; None when none applies."""
    from synthcheck.measure.attack_results import attack_result

    chosen = checked_attacks(attacks)
    if not chosen:
        return None
    checked = holdout_inputs(inputs, reference, encoded_reference, folds)
    level = 1.0 - alpha / len(chosen)
    found = {}
    with inputs.progress.stage("holdout vs reference", len(chosen)) as tick:
        for index, attack in enumerate(chosen):
            scores = checked.scores_of(attack).scores
            result = attack_result(scores, checked.is_member, delta=delta,
                                   seed=inputs.seed + 1000 + index)
            bounds = result.auc_bounds(level)
            found[attack.name] = HoldoutAttack(auc=float(bounds.value), low=float(bounds.low),
                                               closer=bool(bounds.low > 0.5))
            tick(1)
    return HoldoutCheck(test=TEST, level=level, holdout_rows=int((~inputs.is_member).sum()),
                        reference_rows=len(reference),
                        broken=any(entry.closer for entry in found.values()), attacks=found)
