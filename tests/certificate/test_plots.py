"""The certificate's figures show what their captions say (synthcheck.certificate.plots)."""
from __future__ import annotations

import numpy as np
import pytest

from synthcheck.certificate import plots
from synthcheck.measure import stats


def attack_entry(members: np.ndarray, non_members: np.ndarray) -> dict:
    fpr, tpr = stats.roc_curve(members, non_members)
    return {"auc": stats.roc_auc(members, non_members).as_dict(),
            "curves": {"roc": {"fpr": list(fpr), "tpr": list(tpr)}}}


def test_percentile_shares_put_separated_members_in_the_top_bin():
    rng = np.random.default_rng(0)
    non_members = rng.normal(size=2000)
    members = np.r_[rng.normal(size=1600), np.full(400, 10.0)]  # a fifth beyond every one
    edges, shares = plots.percentile_shares(*attack_entry(members, non_members)["curves"]["roc"]
                                            .values())
    assert edges[0] == 0 and edges[-1] == 100 and len(shares) == plots.PERCENTILE_BINS
    assert sum(shares) == pytest.approx(100.0)
    assert shares[-1] == pytest.approx(20 + 80 / 20, abs=1.5)  # the copies plus their share
    assert max(shares[:-1]) < 6.5


def test_tied_scores_spread_evenly_over_the_percentiles_they_share():
    # an exact-copy-like attack: 5 % of members copied (score 1), everything else tied at 0
    non_members = np.zeros(1000)
    members = np.r_[np.ones(50), np.zeros(950)]
    _, shares = plots.percentile_shares(*attack_entry(members, non_members)["curves"]["roc"]
                                        .values())
    # the tie covers every percentile: 95 % of members spread flat, the copies on the top edge
    assert shares[0] == pytest.approx(95 / 20)
    assert shares[-1] == pytest.approx(95 / 20 + 5)


def test_the_roc_shows_a_perfect_attack_and_a_weak_one_apart():
    rng = np.random.default_rng(1)
    non_members = rng.normal(size=1500)
    attacks = {"perfect": attack_entry(non_members + 100, non_members),
               "weak": attack_entry(rng.normal(0.55, 1, 1500), non_members)}
    figure = plots.roc_figure(attacks, 1500, 1500)
    linear, log = figure.axes[:2]
    assert linear.get_xscale() == "linear" and log.get_yscale() == "log"
    assert linear.get_ylim()[1] > 1 and log.get_ylim()[1] > 1  # 100 % is not the frame
    weak = next(line for line in linear.get_lines() if "weak" in line.get_label())
    tpr_at_half = np.interp(0.5, *weak.get_data())
    assert tpr_at_half > 0.6  # AUC ~0.65 visibly above the diagonal on linear axes
    labels = [t.get_text() for t in figure.legends[0].get_texts()]
    assert any("AUC 1.00" in label for label in labels)
    assert any("AUC 0.6" in label for label in labels)
