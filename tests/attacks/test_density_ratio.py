"""The density-ratio classifiers: folds fitted side by side give the scores of one by one."""
from __future__ import annotations

import threading

from synthcheck.attacks import density_ratio
from synthcheck.attacks.density_ratio import DensityRatio
from tests.attacks.test_contract import tiny_inputs


def test_folds_fitted_on_threads_score_bit_for_bit_as_one_after_the_other(adult, monkeypatch):
    attack = DensityRatio(estimator="classifier", max_iter=30)
    inputs, _ = tiny_inputs(adult, [attack])
    serial = attack._classifier_scores(inputs, threads=1)
    seen: set[int] = set()
    original = density_ratio._fit_and_score

    def recording(fold, shared):
        seen.add(threading.get_ident())
        return original(fold, shared)

    monkeypatch.setattr(density_ratio, "_fit_and_score", recording)
    threaded = attack._classifier_scores(inputs, threads=2)
    assert len(seen) == 2  # the folds ran on the pool's two threads
    assert threaded.tobytes() == serial.tobytes()
