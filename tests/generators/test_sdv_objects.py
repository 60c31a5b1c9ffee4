"""What an SDV user holds (issue 11): a Metadata object, metadata as a dict or a JSON file, and
a synthesizer instance, fitted or not. GaussianCopula on 300 rows keeps these quick."""
from __future__ import annotations

import json
import sys
import warnings

import pytest

import synthcheck
from synthcheck.cli.main import main
from synthcheck.errors import InputError

sdv_metadata = pytest.importorskip("sdv.metadata")
from sdv.single_table import GaussianCopulaSynthesizer  # noqa: E402 (after the importorskip)

pytestmark = pytest.mark.slow  # whole audits (the quick loop is -m 'not slow')


@pytest.fixture(scope="module")
def small(adult):
    return adult["train"].head(300).copy(), adult["holdout"].head(300).copy()


@pytest.fixture(scope="module")
def metadata(small):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return sdv_metadata.Metadata.detect_from_dataframes({"adult": small[0]})


def test_metadata_as_an_sdv_object_a_dict_or_a_file(small, metadata, tmp_path):
    train, holdout = small
    path = tmp_path / "metadata.json"
    path.write_text(json.dumps(metadata.to_dict()))
    seen = []
    for given in (metadata, metadata.to_dict(), str(path)):
        result = synthcheck.audit(train, holdout, synthetic=holdout, metadata=given,
                                  attacks="dcr", drop_overlap=True)
        seen.append((result.types.id_column, result.types.kinds, result.types.from_metadata))
    assert seen[0] == seen[1] == seen[2]
    assert seen[0][0] == "person_id" and seen[0][2] is True
    with pytest.raises(InputError, match="^metadata: must be a JSON file, a dict or an SDV"):
        synthcheck.audit(train, holdout, synthetic=holdout, metadata=42)


@pytest.mark.parametrize("fitted", [False, True])
def test_an_sdv_synthesizer_instance_is_cloned_with_its_parameters(small, metadata, fitted):
    train, holdout = small
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synthesizer = GaussianCopulaSynthesizer(metadata, default_distribution="uniform")
        if fitted:
            synthesizer.fit({"adult": train})
    result = synthcheck.audit(train, holdout, generator=synthesizer, metadata=metadata,
                              attacks="dcr")
    generator = result.document["generator"]
    assert generator["name"] == "sdv:GaussianCopulaSynthesizer"
    assert generator["params"]["default_distribution"] == "uniform"
    assert ("already fitted" in generator["instance"]) is fitted
    assert result.release is not None and len(result.release) == 300


def test_generator_params_inline_json_on_the_command_line(small, tmp_path, capsys):
    paths = {}
    for role, frame in zip(("train", "holdout"), small):
        paths[role] = tmp_path / f"{role}.csv"
        frame.to_csv(paths[role], index=False)
    code = main(["audit", "--train", str(paths["train"]), "--holdout", str(paths["holdout"]),
                 "--id-column", "person_id", "--generator", "sdv:GaussianCopula",
                 "--generator-params", '{"default_distribution": "norm"}', "--attacks", "dcr",
                 "--json", "--quiet"])
    out = capsys.readouterr().out
    assert code == 3
    assert json.loads(out)["generator"]["params"] == {"default_distribution": "norm"}


def test_approx_neighbours_without_faiss_is_a_clear_error(small, monkeypatch):
    from synthcheck.auditing.pipeline import choose_neighbours

    monkeypatch.setitem(sys.modules, "faiss", None)  # as if it were not installed
    train, holdout = small
    with pytest.raises(InputError, match=r"^neighbours: approx needs faiss.*synthcheck\[approx\]"):
        synthcheck.audit(train, holdout, synthetic=holdout, neighbours="approx")
    assert choose_neighbours("auto", 10**6, 10**6) == "exact"
    monkeypatch.delitem(sys.modules, "faiss")
    assert choose_neighbours("auto", 10**6, 10**6) == "approx"
