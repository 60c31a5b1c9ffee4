"""The one rule of honest evaluation: no record is scored by a reference fitted on it."""
from __future__ import annotations

import numpy as np
import pytest

import synthcheck
from synthcheck.attacks.base import AttackInputs
from synthcheck.distance.crossfit import make_folds


def test_no_holdout_record_is_in_its_own_reference():
    is_member = np.r_[np.ones(300, bool), np.zeros(200, bool)]
    folds = make_folds(is_member, 5, seed=3)
    for fold in range(folds.count):
        scored = set(folds.scored_in(fold))
        reference = set(folds.reference_rows(fold))
        assert not scored & reference
        assert not is_member[list(reference)].any()
        assert len(reference) in (160,)  # same size for members and non-members of the fold
    assert sorted(np.concatenate([folds.scored_in(f) for f in range(5)])) == list(range(500))


@pytest.mark.slow
def test_reference_neighbours_never_return_the_record_itself(adult):
    """Holdout rows are all distinct, so a cross-fitted reference distance of 0 would mean the
    record sat in its own reference; and the nearest index must never be the record."""
    result_inputs = {}

    original = AttackInputs.reference_neighbours

    def spy(self):
        found = original(self)
        result_inputs["found"], result_inputs["self"] = found, self
        return found

    AttackInputs.reference_neighbours = spy
    try:
        synthcheck.audit(adult["train"], adult["holdout"], synthetic=adult["population"],
                         id_column="person_id", attacks=["dcr-ratio"])
    finally:
        AttackInputs.reference_neighbours = original
    found, inputs = result_inputs["found"], result_inputs["self"]
    positions = np.arange(len(inputs.is_member))
    assert (found.indices[:, 0] != positions).all()
    assert (found.distances[~inputs.is_member, 0] > 0).all()
    folds = inputs.folds
    assert (folds.candidate_fold[found.indices[:, 0]] != folds.candidate_fold).all()


@pytest.mark.slow
def test_leaking_the_record_into_its_reference_would_be_caught(adult):
    """Make the violation on purpose: holdout records scored against a reference containing
    themselves get distance 0, look like non-members, and the negative control's AUC moves
    far from 0.5. The honest pipeline keeps it near 0.5 (see test_pipeline)."""
    from synthcheck.distance import crossfit

    honest = crossfit.ReferenceFolds.reference_rows
    crossfit.ReferenceFolds.reference_rows = lambda self, fold: np.flatnonzero(~self.is_member)
    try:
        leaky = synthcheck.audit(adult["train"], adult["holdout"], synthetic=adult["population"],
                                 id_column="person_id", attacks=["dcr-ratio"])
    finally:
        crossfit.ReferenceFolds.reference_rows = honest
    assert leaky.document["attacks"]["dcr-ratio"]["auc"]["value"] > 0.9
