"""The risk formula and its interval, computed by hand."""
from __future__ import annotations

import pytest

from synthcheck.edpb.risk import risk_of
from synthcheck.measure import stats


def test_risk_is_the_excess_over_the_control_share_of_what_the_control_cannot_do():
    found = risk_of(60, 100, 20, 100, 0.95)
    assert found.attack_rate == 0.6 and found.control_rate == 0.2
    assert found.risk == pytest.approx((0.6 - 0.2) / (1 - 0.2))


def test_interval_is_the_formula_at_the_corners_of_bonferroni_rate_intervals():
    found = risk_of(60, 100, 20, 100, 0.95)
    a_low, a_high = stats.clopper_pearson(60, 100, 0.975)
    c_low, c_high = stats.clopper_pearson(20, 100, 0.975)
    assert found.low == pytest.approx((a_low - c_high) / (1 - c_high))
    assert found.high == pytest.approx((a_high - c_low) / (1 - c_low))
    assert found.low < found.risk < found.high and found.level == 0.95


def test_no_better_than_the_control_is_risk_zero_and_bounds_stay_in_0_1():
    found = risk_of(10, 100, 30, 100, 0.95)
    assert found.risk == 0.0 and found.low == 0.0 and 0.0 <= found.high <= 1.0
    every = risk_of(100, 100, 100, 100, 0.95)  # the control does everything: nothing added
    assert every.risk == 0.0 and every.low == 0.0


def test_counts_are_kept_so_the_verdict_can_recompute_bounds_at_its_own_level():
    found = risk_of(7, 50, 3, 40, 0.9)
    assert (found.attack_successes, found.attacks, found.control_successes, found.controls) \
        == (7, 50, 3, 40)
