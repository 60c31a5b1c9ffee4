"""Generator specs: resolving names, checking objects and samples, making the release."""
from __future__ import annotations

import json
import pickle

import numpy as np
import pandas as pd
import pytest

import synthcheck
from synthcheck.cli.main import main
from synthcheck.errors import InputError
from synthcheck.generators import fit_and_sample, make_spec, read_params
from synthcheck.generators.controls import NoisyCopies
from synthcheck.inputs.columns import decide_types
from synthcheck.inputs.load import load_table
from tests.conftest import FIXTURES

COPIES = "synthcheck.generators.controls:NoisyCopies"


@pytest.fixture(scope="module")
def small(adult):
    return adult["train"].head(200).copy(), adult["holdout"].head(200).copy()


@pytest.fixture(scope="module")
def types(small):
    return decide_types(load_table(small[0], "train"), None, "person_id")


def run(small, **options):
    train, holdout = small
    if options.get("generator") is not None:  # jobs applies only with a generator
        options.setdefault("jobs", 1)
    return synthcheck.audit(train, holdout, id_column="person_id", **options)


@pytest.mark.parametrize("name, expected", [
    ("sdv:GaussianCopulaSynthesizer", "sdv:GaussianCopulaSynthesizer"),
    ("sdv:GaussianCopula", "sdv:GaussianCopulaSynthesizer"),
    ("sdv:CTGAN", "sdv:CTGANSynthesizer"),
    ("sdv:TVAESynthesizer", "sdv:TVAESynthesizer"),
    ("sdv:CopulaGANSynthesizer", "sdv:CopulaGANSynthesizer"),
])
def test_every_sdv_single_table_synthesizer_resolves_by_name(types, name, expected):
    assert make_spec(name, types).name == expected


@pytest.mark.parametrize("name, fragment", [
    ("sdv:NoSuchSynthesizer", "not an SDV single-table synthesizer; available: sdv:CTGAN"),
    ("sdv:HMASynthesizer", "not an SDV single-table synthesizer"),
    ("no_such_module_xyz:make", "cannot import module 'no_such_module_xyz'"),
    ("synthcheck.generators.controls:NoSuchThing", "has no 'NoSuchThing'"),
    ("synthcheck.generators:DEFAULT_SHADOWS", "is not callable"),
    ("just-a-word", "neither sdv:<SynthesizerName> nor module:callable"),
])
def test_names_that_do_not_resolve_are_input_errors(types, name, fragment):
    with pytest.raises(InputError, match=None) as caught:
        make_spec(name, types)
    assert fragment in str(caught.value)


def test_an_object_without_sample_is_an_input_error(types):
    with pytest.raises(InputError, match=r"NoSample without sample\(\)"):
        make_spec("tests.generators.toys:NoSample", types)


def test_a_sample_with_the_wrong_columns_is_an_input_error(small):
    with pytest.raises(InputError, match=r"sample\(n\) lacks column\(s\) 'income_per_year'"):
        run(small, generator="tests.generators.toys:WrongColumns", attacks=["dcr"])


def test_parameters_a_generator_does_not_take_are_input_errors(types, tmp_path):
    with pytest.raises(InputError, match="does not take parameter\\(s\\) 'bogus'"):
        make_spec("sdv:GaussianCopulaSynthesizer", types, {"bogus": 1})
    with pytest.raises(InputError, match="rejected its parameters"):
        make_spec(COPIES, types, {"bogus": 1})
    listing = tmp_path / "params.json"
    listing.write_text("[1, 2]")
    with pytest.raises(InputError, match="must be a JSON object"):
        read_params(listing)
    broken = tmp_path / "broken.json"
    broken.write_text("{epochs: 3")
    with pytest.raises(InputError, match="cannot read JSON"):
        read_params(broken)
    with pytest.raises(InputError, match="neither inline JSON nor an existing JSON file"):
        read_params(tmp_path / "missing.json")
    assert read_params('{"epochs": 3}') == {"epochs": 3}


def test_parameters_come_from_a_json_file(types, tmp_path):
    path = tmp_path / "params.json"
    path.write_text(json.dumps({"default_distribution": "norm"}))
    spec = make_spec("sdv:GaussianCopulaSynthesizer", types, read_params(path))
    assert spec.describe() == {"name": "sdv:GaussianCopulaSynthesizer",
                               "params": {"default_distribution": "norm"}}


@pytest.mark.slow
def test_without_a_synthetic_table_the_release_is_fitted_on_train(small):
    train, _ = small
    result = run(small, generator=COPIES, generator_params={"noise": 0.0}, attacks=["dcr"])
    assert result.release is not None and len(result.release) == len(train)
    assert list(result.release.columns) == [c for c in train.columns if c != "person_id"]
    # noise 0: the release is made of train rows, so it was fitted on train (not holdout)
    train_rows = set(map(tuple, train.drop(columns="person_id").to_numpy().tolist()))
    assert all(tuple(row) in train_rows for row in result.release.to_numpy().tolist())
    generator = result.document["generator"]
    assert generator["name"] == COPIES and generator["params"] == {"noise": 0.0}
    assert generator["release_rows"] == len(train)
    assert result.document["attacks"]["dcr"]["auc"]["value"] > 0.95


@pytest.mark.slow
def test_synthetic_rows_sets_the_release_size(small):
    result = run(small, generator=COPIES, synthetic_rows=123, attacks=["dcr"])
    assert len(result.release) == 123 and result.document["counts"]["synthetic"] == 123


@pytest.mark.slow
def test_with_a_synthetic_table_the_generator_only_trains_shadows(small, adult):
    synthetic = adult["population"].head(200)
    result = run(small, synthetic=synthetic, generator=COPIES, shadows=4, attacks=["dcr", "shadow"])
    assert result.release is None
    assert "given synthetic table" in result.document["generator"]["release"]
    assert result.document["counts"]["synthetic"] == 200
    with pytest.raises(InputError, match="synthetic_rows: applies only"):
        run(small, synthetic=synthetic, generator=COPIES, synthetic_rows=100)


@pytest.mark.parametrize("options, fragment", [
    ({"shadows": 2}, "shadows: must be an integer >= 4"),
    ({"jobs": 0}, "jobs: must be an integer >= -1, not 0"),
    ({"synthetic_rows": -5}, "synthetic_rows: must be an integer >= 50"),
])
def test_bad_generator_options_are_input_errors(small, options, fragment):
    with pytest.raises(InputError, match=fragment):
        run(small, generator=COPIES, **options)


@pytest.mark.slow
def test_shadow_runs_by_default_only_when_a_generator_is_given(small, adult):
    plain = run(small, synthetic=adult["population"].head(200))
    assert list(plain.document["attacks"]) == ["dcr", "dcr-ratio", "density-ratio",
                                               "query-match", "exact-copy"]
    with_generator = run(small, generator=COPIES, shadows=4)
    assert list(with_generator.document["attacks"]) == ["dcr", "dcr-ratio", "density-ratio",
                                                        "query-match", "exact-copy", "shadow"]
    chosen = run(small, generator=COPIES, attacks=["dcr"])
    assert list(chosen.document["attacks"]) == ["dcr"]
    with pytest.raises(InputError, match="needs a generator"):
        run(small, synthetic=adult["population"].head(200), attacks=["shadow"])


@pytest.mark.slow
def test_a_python_class_works_as_a_generator(small):
    result = run(small, generator=NoisyCopies, generator_params={"noise": 0.01}, attacks=["dcr"])
    assert result.document["generator"]["name"].endswith("controls:NoisyCopies")


@pytest.mark.slow
def test_fits_are_seeded_and_leave_global_random_state_alone(types, small):
    spec = make_spec("sdv:GaussianCopulaSynthesizer", types)
    frame = small[0].drop(columns="person_id")
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    first = fit_and_sample(spec, frame, 50, seed=1)
    assert np.array_equal(np.random.get_state()[1], before)
    again = fit_and_sample(pickle.loads(pickle.dumps(spec)), frame, 50, seed=1)
    other = fit_and_sample(spec, frame, 50, seed=2)
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other)
    assert list(first.columns) == list(frame.columns)


def cli(capsys, *extra):
    code = main(["audit", "--train", str(FIXTURES / "adult_train.csv"), "--holdout",
                 str(FIXTURES / "adult_holdout.csv"), "--id-column", "person_id", "--quiet",
                 *extra])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("name, fragment", [
    ("sdv:NoSuchSynthesizer", "not an SDV single-table synthesizer"),
    ("no_such_module_xyz:make", "cannot import module"),
    ("tests.generators.toys:NoSample", "without sample()"),
])
def test_cli_bad_generator_exits_2_with_one_line(capsys, name, fragment):
    code, err = cli(capsys, "--generator", name)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1, err
    assert lines[0].startswith("synthcheck: error: ") and fragment in lines[0]


def test_cli_bad_generator_params_file_exits_2(capsys, tmp_path):
    params = tmp_path / "params.json"
    params.write_text("not json")
    code, err = cli(capsys, "--generator", "sdv:GaussianCopulaSynthesizer",
                    "--generator-params", str(params))
    assert code == 2 and "--generator-params" in err and "cannot read JSON" in err
    assert str(params) in err


def test_an_sdv_synthesizer_class_is_built_by_name(adult):
    """Issue 19: generator=GaussianCopulaSynthesizer (the class, as docs/shadow.md allows)
    failed with SDV's "missing metadata"; it is the same as 'sdv:GaussianCopulaSynthesizer'."""
    pytest.importorskip("sdv")
    from sdv.single_table import GaussianCopulaSynthesizer

    from synthcheck.inputs.load import load_table

    types = decide_types(load_table(adult["train"].head(100), "train"), id_column="person_id")
    spec = make_spec(GaussianCopulaSynthesizer, types)
    assert spec.name == "sdv:GaussianCopulaSynthesizer" and spec.factory is None
