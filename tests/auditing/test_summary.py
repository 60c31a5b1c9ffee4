"""The plain-text summary's shadow lines: growth with K and failed fits are visible."""
from __future__ import annotations

from types import SimpleNamespace

from synthcheck.auditing.summary import _shadow_lines


def test_shadow_lines_show_growth_with_k_and_failed_fits():
    shadow = SimpleNamespace(details={
        "auc_by_shadows": [{"shadows": 4, "value": 0.61, "low": 0.5, "high": 0.7},
                           {"shadows": 8, "value": 0.66, "low": 0.6, "high": 0.72}],
        "shadows_failed": [{"shadow": 3, "error": "boom"}],
        "shadows_requested": 8, "shadows_used": 7})
    lines = _shadow_lines(shadow)
    assert lines[0] == "AUC of the shadow attack by number of shadow fits: K=4: 0.610, K=8: 0.660"
    assert lines[1].startswith("failed shadow fits: 1 of 8") and "scored with 7" in lines[1]
    assert _shadow_lines(None) == []
