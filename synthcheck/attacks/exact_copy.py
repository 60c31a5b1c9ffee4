"""Exact copies: 1 for a candidate whose row the release holds verbatim (every audited column
identical after type coercion), 0 otherwise.

Natural duplicates exist in real data, so a copy is evidence only against the holdout's
baseline: the verdict reads this attack through the copy test (``synthcheck.measure.copies``: members
found vs non-members found, a one-sided exact test), not through the attack limits. Rows are
compared by 64-bit hashes, so memory is a few arrays of one number per row, at any size.
"""
from __future__ import annotations

from typing import ClassVar

from synthcheck.attacks.base import Attack, AttackInputs, AttackScores


class ExactCopy(Attack):
    name = "exact-copy"
    description = ("1 when the release holds a row identical to the candidate on every audited "
                   "column (after type coercion), else 0; judged against the holdout's natural "
                   "duplicates by a one-sided exact test")
    checked_by_limits: ClassVar[bool] = False

    def score(self, inputs: AttackInputs) -> AttackScores:
        from synthcheck.inputs.rows import found_rows

        found = found_rows(inputs.candidates, inputs.synthetic, scheduler=inputs.scheduler)
        return AttackScores(found.astype("float64"),
                            {"columns_compared": len(inputs.candidates.columns)})

    def why_not_attributed(self) -> str:
        return ("its verdict is the copy test on whole rows (results.json 'copies'); a row "
                "copied on every column has no single column to blame")
