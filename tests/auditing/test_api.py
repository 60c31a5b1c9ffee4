"""The Python surface: dir(synthcheck), Audit.metrics, the plotting helpers, the notebook view."""
from __future__ import annotations

import pytest

import synthcheck
from tests.conftest import partial_leak


def test_dir_lists_the_public_api():
    names = [name for name in dir(synthcheck) if not name.startswith("_")]
    assert names == ["Audit", "InputError", "SCHEMA_VERSION", "Signer", "audit"]
    assert "__version__" in dir(synthcheck)


@pytest.fixture(scope="module")
def leaky(adult):
    return synthcheck.audit(adult["train"], adult["holdout"],
                            synthetic=partial_leak(adult, 1, 0.2), id_column="person_id",
                            seed=0, quiet=True)


@pytest.mark.slow
def test_metrics_is_a_tidy_table_with_the_checks_outcomes(leaky):
    metrics = leaky.metrics
    assert list(metrics.columns) == ["attack", "figure", "value", "low", "high", "level",
                                     "outcome"]
    assert len(metrics) == 6 * len(leaky.results.attacks)
    auc = metrics.set_index(["attack", "figure"]).loc[("dcr", "auc")]
    assert auc["value"] == leaky.results.attacks["dcr"].auc.value
    assert auc["low"] <= auc["value"] <= auc["high"]
    failing = {(check.subject, check.check) for check in leaky.results.failing()}
    assert ("dcr", "max_tpr_at_fpr_1pct") in failing
    assert metrics.set_index(["attack", "figure"]).loc[("dcr", "tpr_at_fpr_1%"), "outcome"] == "FAIL"
    assert metrics.set_index(["attack", "figure"]).loc[("dcr", "advantage"), "outcome"] is None


@pytest.mark.slow
def test_plot_helpers_return_figures_and_the_notebook_view_names_no_record(leaky):
    from matplotlib.figure import Figure

    for figure in (leaky.plot_roc(), leaky.plot_scores(), leaky.plot_attribution("dcr")):
        assert isinstance(figure, Figure) and figure.axes
    with pytest.raises(ValueError, match="not attributed"):
        leaky.plot_attribution("exact-copy")
    view = leaky._repr_html_()
    assert "FAIL" in view and "<table" in view
    assert not any(str(name) in view for name in leaky.records["id"].head(50))
