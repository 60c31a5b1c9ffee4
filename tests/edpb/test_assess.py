"""The three risks on the bundled Adult slices: a verbatim release, the issue's column-shuffled
release (values copied, rows broken apart) and other real records."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synthcheck.distance.encode import MixedEncoder
from synthcheck.edpb.assess import EdpbSettings, assess, resolve_columns
from synthcheck.inputs.columns import coerce_table, decide_types
from synthcheck.inputs.load import load_table
from tests.conftest import FIXTURES


@pytest.fixture(scope="module")
def real():
    train = load_table(pd.read_csv(FIXTURES / "adult_train.csv"), "train")
    holdout = load_table(pd.read_csv(FIXTURES / "adult_holdout.csv"), "holdout")
    types = decide_types(train, None, "person_id")
    return train, holdout, types


def run(real, release: pd.DataFrame, settings: EdpbSettings | None = None):
    train, holdout, types = real
    synthetic = coerce_table(load_table(release, "synthetic"), types)
    members, others = coerce_table(train, types), coerce_table(holdout, types)
    candidates = pd.concat([members, others], ignore_index=True)
    is_member = np.r_[np.ones(len(members), bool), np.zeros(len(others), bool)]
    encoder = MixedEncoder(types).fit(synthetic, set(types.columns))
    return assess(encoder, types.kinds, synthetic, encoder.transform(synthetic), candidates,
                  encoder.transform(candidates), is_member, seed=0, confidence=0.95,
                  settings=settings or EdpbSettings())


def test_a_verbatim_release_is_high_on_all_three(real):
    found, records = run(real, real[0].frame.copy())
    assert found.singling_out.low > 0.9
    assert found.linkability.low > 0.1 and found.linkability.control_rate < 0.01
    assert min(r.risk for r in found.inference.values()) > 0.9
    members = records.singled_out[:1500]
    assert np.nansum(members) == found.singling_out.attack_successes
    assert found.records == 1500 and set(found.inference) == set(real[2].columns)


def test_column_shuffled_training_values_are_singled_out(real):
    """Issue 21's false PASS: every column of train shuffled on its own (what an
    independent-marginals generator does): no row is a person, but values held by one person
    are in the release, and univariate predicates single them out."""
    rng = np.random.default_rng(1)
    shuffled = real[0].frame.copy()
    for column in shuffled.columns:
        shuffled[column] = rng.permutation(shuffled[column].to_numpy())
    found, _ = run(real, shuffled)
    assert found.singling_out.univariate.low > 0.3
    assert found.linkability.high < 0.05  # no row is a person: nothing to link


def test_other_real_records_show_no_risk_beyond_chance(real):
    population = pd.read_csv(FIXTURES / "adult_population.csv")
    found, _ = run(real, population)
    for name, risk in found.risks().items():
        assert risk.low <= 0.05, name  # an interval reaching (near) zero


def test_known_and_secret_columns_are_honoured_and_resolved_in_table_order(real):
    settings = EdpbSettings(known_columns=("sex", "age", "race"), secret_columns=("income_per_year",),
                            max_records=300, univariate=20, multivariate=20)
    found, records = run(real, real[0].frame.copy(), settings)
    assert found.known_columns == ("age", "race", "sex")
    assert list(found.inference) == ["income_per_year"]
    assert found.inference["income_per_year"].known_columns == ("age", "race", "sex")
    assert found.linkability.first_columns == ("age", "race")
    assert found.records == 300 and np.isfinite(records.linked).sum() == 600
    columns = ["a", "b", "c"]
    assert resolve_columns(columns, EdpbSettings()) == (tuple(columns), tuple(columns))


def test_figures_do_not_depend_on_how_the_search_is_built(real, monkeypatch):
    """Linkability and inference read which synthetic row is nearest; on a release full of
    equally near rows (every row twice, and copies of members) the answer must be the same
    whatever the search's cells, first cells and k-means steps (``lowest_of_ties``)."""
    import synthcheck.distance.neighbours as neighbours

    population = pd.read_csv(FIXTURES / "adult_population.csv")
    release = pd.concat([population, real[0].frame.sample(300, random_state=2),
                         population.sample(frac=1.0, random_state=3)], ignore_index=True)
    expected, expected_records = run(real, release)
    for name, value in (("CELL_ROWS", 16), ("FIRST_CELLS", 1), ("K_MEANS_STEPS", 1)):
        monkeypatch.setattr(neighbours, name, value)
    found, records = run(real, release)
    assert found == expected
    for field in ("singled_out", "linked", "inferred"):
        np.testing.assert_array_equal(getattr(records, field), getattr(expected_records, field))
