"""--reference: further real records, never scored, in every cross-fitted reference, and the
check that the holdout was really held out."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import synthcheck
from benchmarks.holdout_check import corpus, half_held_out_release
from synthcheck.attacks.base import AttackInputs
from synthcheck.errors import InputError

pytestmark = pytest.mark.slow  # whole audits (the quick loop is -m 'not slow')


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
    words = " ".join(re.sub(r"<[^>]+>", "", page_one(without)).split())
    assert without.document["premise"] in words  # page 1 says it
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
    if table == "adult":  # page 1 tells the same story, quoting the holdout check's table
        page_one_tells_the_broken_premise(checked)


def page_one(audit) -> str:
    """Page 1 of the audit's certificate as HTML (no PDF: the words are what is checked)."""
    import datetime as dt

    from synthcheck.certificate.render import Issuance, build_context, render_html

    issuance = Issuance.now(audit.results, "Test Issuer Ltd", "AB:" * 31 + "CD",
                            dt.datetime(2026, 5, 14, 10, 0, tzinfo=dt.timezone.utc))
    return render_html(build_context(audit.results, issuance), "pdf").split('id="numbers"')[0]


def page_one_tells_the_broken_premise(checked) -> None:
    """The verdict sentence opens with the broken premise and quotes the lower bound the
    holdout check's table on page 1 shows; no "too few holdout records" for it."""
    from synthcheck.auditing.story import bound_text, verdict_sentence

    results = checked.results
    premise = next(c for c in results.checks if c.check == "holdout_integrity")
    sentence = verdict_sentence(results)
    assert sentence.startswith("The holdout is closer to the release than"), sentence
    assert bound_text(premise) in sentence and "too few holdout" not in sentence
    page = page_one(checked)
    table = re.search(r'<p class="small holdout-check">.*?</p>', page,
                      re.DOTALL).group(0)
    assert bound_text(premise) in table and "closer than fresh records" in table
    assert "The holdout is closer to the release than" in page


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
