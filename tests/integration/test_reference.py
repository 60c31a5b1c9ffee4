"""--reference: further real records, never scored, in every cross-fitted reference, and the
check that the holdout was really held out."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synthcheck
from synthcheck.attacks.base import AttackInputs
from synthcheck.errors import InputError

CORPUS = Path(__file__).resolve().parents[2] / "benchmarks" / "data"
pytestmark = pytest.mark.slow  # whole audits (the quick loop is -m 'not slow')


def corpus(table: str) -> dict[str, pd.DataFrame]:
    return {part: pd.read_csv(CORPUS / table / f"{part}.csv.gz", low_memory=False)
            for part in ("train", "holdout", "population")}


def near_copies(rows: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Rows with 1 % multiplicative noise on their numbers (whole numbers stay whole)."""
    rng = np.random.default_rng(seed)
    out = rows.copy()
    for column in out.columns:
        if pd.api.types.is_numeric_dtype(out[column]) and not pd.api.types.is_bool_dtype(out[column]):
            values = out[column].to_numpy(dtype=float)
            noisy = values * (1 + 0.01 * rng.standard_normal(len(values)))
            whole = np.nan_to_num(values) == np.round(np.nan_to_num(values))
            out[column] = np.where(whole.all(), np.round(noisy), noisy)
    return out.reset_index(drop=True)


def test_reference_rows_join_every_fold_but_never_meet_their_twin(adult):
    """Reference records are in every fold's reference; a candidate's nearest reference row is
    never itself; scores change (the references grew) but stay honest on a clean release."""
    seen = {}
    original = AttackInputs.reference_neighbours

    def spy(self):
        found = original(self)
        seen.setdefault("found", found)
        seen.setdefault("inputs", self)
        return found

    AttackInputs.reference_neighbours = spy
    try:
        result = synthcheck.audit(adult["train"], adult["holdout"],
                                  synthetic=adult["population"].iloc[:600],
                                  reference=adult["population"].iloc[600:],
                                  id_column="person_id", attacks=["dcr-ratio"])
    finally:
        AttackInputs.reference_neighbours = original
    found, inputs = seen["found"], seen["inputs"]
    assert inputs.extra_reference_rows == len(adult["population"]) - 600
    sizes = inputs.reference_sizes()
    assert (sizes == sizes[0]).all()  # members and non-members: references of the same size
    nearest = found.indices[:, 0]
    assert (nearest != np.arange(len(inputs.is_member))).all()
    assert (nearest == -1).any()  # some candidates' closest reference is a --reference row
    own = nearest >= 0
    folds = inputs.folds
    assert (folds.candidate_fold[nearest[own]] != folds.candidate_fold[own]).all()
    block = result.document["inputs"]["reference"]
    assert block["rows_used"] == len(adult["population"]) - 600 and block["rows_scored"] == 0


def test_reference_changes_the_audit_id_and_is_fingerprinted(adult):
    release = adult["population"].iloc[:600]
    without = synthcheck.audit(adult["train"], adult["holdout"], synthetic=release,
                               id_column="person_id", attacks=["dcr-ratio"])
    with_ref = synthcheck.audit(adult["train"], adult["holdout"], synthetic=release,
                                reference=adult["population"].iloc[600:], id_column="person_id",
                                attacks=["dcr-ratio"])
    assert without.document["audit_id"] != with_ref.document["audit_id"]
    assert len(with_ref.document["inputs"]["reference"]["sha256"]) == 64
    assert "reference" not in without.document["inputs"]
    assert "never used to train" in without.document["premise"]
    assert "--reference" in without.summary
    assert with_ref.document["holdout_check"]["broken"] is False


def test_reference_overlapping_train_is_refused_or_dropped(adult):
    tables = {k: v.drop(columns="person_id") for k, v in adult.items()}
    reference = pd.concat([tables["population"].iloc[600:], tables["train"].iloc[:3]],
                          ignore_index=True)
    with pytest.raises(InputError, match="3 reference row.*train or holdout.*--drop-overlap"):
        synthcheck.audit(tables["train"], tables["holdout"],
                         synthetic=tables["population"].iloc[:600], reference=reference,
                         attacks=["dcr"])
    dropped = synthcheck.audit(tables["train"], tables["holdout"],
                               synthetic=tables["population"].iloc[:600], reference=reference,
                               attacks=["dcr-ratio"], drop_overlap=True)
    assert dropped.document["inputs"]["reference"]["rows_dropped"] == 3


def test_reference_with_other_columns_is_refused(adult):
    with pytest.raises(InputError, match="reference.*'age'|'age'.*reference") as error:
        synthcheck.audit(adult["train"], adult["holdout"], synthetic=adult["population"].iloc[:600],
                         reference=adult["population"].iloc[600:].drop(columns="age"),
                         id_column="person_id")
    assert "\n" not in str(error.value)


def test_reference_too_small_is_refused(adult):
    with pytest.raises(InputError, match="reference has 20 usable row"):
        synthcheck.audit(adult["train"], adult["holdout"], synthetic=adult["population"].iloc[:600],
                         reference=adult["population"].iloc[600:620], id_column="person_id")


def half_held_out_release(parts: dict, seed: int) -> pd.DataFrame:
    """What a generator trained on train AND holdout releases: near-copies of 30 % of train
    and 30 % of holdout, the rest fresh population rows (records in neither)."""
    train, holdout, population = parts["train"], parts["holdout"], parts["population"]
    rng = np.random.default_rng(seed)
    n = len(train)
    copied = int(0.3 * n)
    rows = [near_copies(train.iloc[rng.choice(n, copied, replace=False)], seed),
            near_copies(holdout.iloc[rng.choice(len(holdout), copied, replace=False)], seed + 1),
            population.iloc[2000:2000 + n - 2 * copied]]
    return pd.concat(rows, ignore_index=True).sample(frac=1, random_state=seed)


@pytest.mark.parametrize("table", ["adult", "gss_wages"])
def test_a_holdout_that_was_trained_on_stops_a_pass(table):
    """The issue's must-show: the vendor's generator saw train and holdout alike. Members vs
    holdout shows nothing (every AUC near 0.5), but the holdout is closer to the release than
    fresh reference records: not PASS, and the first reason names the holdout."""
    parts = {name: frame.iloc[:400] for name, frame in corpus(table).items()}
    parts["population"] = corpus(table)["population"]
    release = half_held_out_release(parts, seed=3)
    reference = parts["population"].iloc[:1000]
    blind = synthcheck.audit(parts["train"], parts["holdout"], synthetic=release,
                             drop_overlap=True)
    assert max(a["auc"]["value"] for a in blind.document["attacks"].values()) < 0.56
    checked = synthcheck.audit(parts["train"], parts["holdout"], synthetic=release,
                               reference=reference, drop_overlap=True)
    assert checked.verdict != "PASS"
    assert checked.document["holdout_check"]["broken"] is True
    first = checked.document["verdict_reasons"][0]
    assert first["check"] == "holdout_integrity" and first["reason"].startswith("holdout:")
    assert "holdout" in checked.summary.split("VERDICT")[1]


@pytest.mark.parametrize("table", ["adult", "gss_wages"])
def test_an_honest_holdout_passes_the_check(table):
    """The other side: a release of fresh population rows; the holdout is no closer to it
    than the reference records, so the check does not fire."""
    parts = corpus(table)
    checked = synthcheck.audit(parts["train"].iloc[:400], parts["holdout"].iloc[:400],
                               synthetic=parts["population"].iloc[2000:2400],
                               reference=parts["population"].iloc[:1000], drop_overlap=True)
    assert checked.document["holdout_check"]["broken"] is False
    assert not any(r["check"] == "holdout_integrity" for r in checked.document["verdict_reasons"])


def test_reproduce_rereads_the_reference(adult, tmp_path):
    """verify --reproduce needs the reference file and gets the same numbers from it; without
    it, it names the missing file."""
    from synthcheck.auditing.reproduce import reproduce

    files = {"train": adult["train"], "holdout": adult["holdout"],
             "synthetic": adult["population"].iloc[:600],
             "reference": adult["population"].iloc[600:]}
    paths = {}
    for role, frame in files.items():
        paths[role] = tmp_path / f"{role}.csv"
        frame.to_csv(paths[role], index=False)
    certified = synthcheck.audit(str(paths["train"]), str(paths["holdout"]),
                                 synthetic=str(paths["synthetic"]),
                                 reference=str(paths["reference"]), id_column="person_id",
                                 attacks=["dcr", "dcr-ratio"])
    again = reproduce(certified.results, paths)
    assert again.ok and again.compared > 0
    with pytest.raises(InputError, match="--reference"):
        reproduce(certified.results, {k: v for k, v in paths.items() if k != "reference"})
