"""Numbers are written one way everywhere: percent for rates, a floor for p-values."""
from __future__ import annotations

from synthcheck.support import formatting as fmt


def test_rates_are_percent_with_the_decimals_they_need():
    assert fmt.percent(0.0843) == "8.4 %"
    assert fmt.percent(0.0021) == "0.21 %"
    assert (fmt.percent(0.0), fmt.percent(1.0)) == ("0 %", "100 %")
    assert fmt.percent(0.05, space=False) == "5.0%"


def test_levels_keep_the_digits_that_matter():
    assert fmt.level(0.95) == "95 %"
    assert fmt.level(1 - 0.05 / 18) == "99.72 %"
    assert fmt.level(0.9875) == "98.75 %"


def test_p_values_below_the_print_floor_are_not_shown_as_a_number():
    assert fmt.p_value(3e-12) == "p < 1e-05"
    assert fmt.p_value(0.0098) == "p = 0.0098"
    assert fmt.p_value(1.0) == "p = 1"
    assert "e-05" not in fmt.p_value(2e-5) or fmt.p_value(2e-5) == "p = 2e-05"


def test_long_lines_fit_a_ci_log_without_splitting_words():
    line = "  ✓ " + "signed by CN=Test Issuer Ltd,O=Example; " * 8 + "/a/very/long/path/" + "x" * 120
    fitted = fmt.fit(line).splitlines()
    assert all(len(part) <= 100 or " " not in part.strip() for part in fitted)
    assert "".join(p.strip() for p in fitted).replace(" ", "") == line.replace(" ", "")
