"""verify --reproduce: a forged certificate fails, a genuine one passes; audit ids; trust."""
from __future__ import annotations

import copy
import json
import subprocess

import pandas as pd
import pytest

import synthcheck
from synthcheck.auditing.reproduce import tolerance
from synthcheck.auditing.results_json import audit_id
from synthcheck.certificate import issue
from synthcheck.certificate.verify import verify_certificate
from synthcheck.cli.main import main
from tests.certificate.conftest import needs_poppler
from tests.conftest import FIXTURES, partial_leak

pytestmark = pytest.mark.slow  # whole audits (the quick loop is -m 'not slow')

TRAIN, HOLDOUT = FIXTURES / "adult_train.csv", FIXTURES / "adult_holdout.csv"


@pytest.fixture(scope="module")
def releases(tmp_path_factory):
    """A clean release (other real people) and a leaky one (30 % near-copies of train)."""
    directory = tmp_path_factory.mktemp("releases")
    adult = {p: pd.read_csv(FIXTURES / f"adult_{p}.csv") for p in ("train", "population")}
    adult["population"].sample(1500, random_state=1).to_csv(directory / "clean.csv", index=False)
    partial_leak(adult, seed=3, share=0.3).to_csv(directory / "leaky.csv", index=False)
    return directory / "clean.csv", directory / "leaky.csv"


@pytest.fixture(scope="module")
def certificates(tmp_path_factory, releases, signer):
    """The issue's forgery: the clean audit's PASS results on the leaky release's
    fingerprints (audit id recomputed, so it is self-consistent), signed with the vendor key;
    and the genuine certificate of the clean audit."""
    clean, leaky = releases
    good = synthcheck.audit(TRAIN, HOLDOUT, synthetic=clean, id_column="person_id")
    bad = synthcheck.audit(TRAIN, HOLDOUT, synthetic=leaky, id_column="person_id")
    assert (good.verdict, bad.verdict) == ("PASS", "FAIL")
    forged = copy.deepcopy(good.document)
    forged["inputs"]["synthetic"] = bad.document["inputs"]["synthetic"]
    forged["audit_id"] = audit_id(forged)
    directory = tmp_path_factory.mktemp("forgery")
    return {"forged": issue(forged, directory / "forged.pdf", signer),
            "genuine": good.certificate(directory / "genuine.pdf", signer)}


def run(capsys, *argv) -> tuple[int, str]:
    code = main([str(a) for a in argv])
    return code, capsys.readouterr().out


@needs_poppler
def test_the_forged_certificate_verifies_but_fails_reproduce(certificates, releases, issuer_dir,
                                                             capsys):
    files = ["--train", TRAIN, "--holdout", HOLDOUT, "--synthetic", releases[1]]
    trust = ["--trust", issuer_dir / "cert.pem"]
    code, out = run(capsys, "verify", certificates["forged"], *files, *trust)
    assert code == 0, out  # signature, fingerprints and audit id all hold: that is the forgery
    for pdf in certificates.values():  # and poppler validates both signatures
        done = subprocess.run(["pdfsig", str(pdf)], capture_output=True, text=True, check=False)
        assert "Signature is Valid." in done.stdout
    code, out = run(capsys, "verify", certificates["forged"], *files, *trust, "--reproduce")
    assert code == 1
    line = next(x for x in out.splitlines() if "re-run DISAGREES" in x)
    assert "attacks.dcr.auc.value: certificate 0.5" in line  # the first statistic that differs
    assert out.rstrip().endswith("INVALID: see the ✗ lines above")


@needs_poppler
def test_the_genuine_certificate_passes_reproduce(certificates, releases, issuer_dir, capsys):
    files = ["--train", TRAIN, "--holdout", HOLDOUT, "--synthetic", releases[0]]
    code, out = run(capsys, "verify", certificates["genuine"], *files, "--reproduce",
                    "--trust", issuer_dir / "cert.pem")
    assert code == 0, out
    assert "verdict and" in out and "reported values agree" in out


@needs_poppler
def test_without_trust_verify_says_untrusted_with_its_own_exit_code(certificates, capsys):
    code, out = run(capsys, "verify", certificates["genuine"])
    assert code == 4
    assert "issuer UNVERIFIED" in out and "anyone can make a key" in out
    assert "self-signed" in out
    verdict = [line for line in out.splitlines() if not line.startswith(" ")][-1]
    assert verdict.startswith("UNTRUSTED")  # the last unindented line (it wraps at 100)


def test_reproduce_needs_the_three_files(certificates, capsys):
    code = main(["verify", str(certificates["genuine"]), "--train", str(TRAIN), "--reproduce"])
    assert code == 2
    assert "--reproduce needs --holdout" in capsys.readouterr().err


def test_agreement_is_to_the_printed_precision():
    assert tolerance("attacks.dcr.auc.value") == 0.0005
    assert tolerance("attacks.dcr.epsilon_lower_bound") == 0.005
    assert tolerance("attacks.dcr.verdict_bounds.epsilon_lower_bound") == 0.005


def test_audit_id_covers_everything_that_determines_the_results(example_results):
    base = audit_id(example_results)
    assert base == example_results["audit_id"]

    def changed(edit) -> str:
        results = copy.deepcopy(example_results)
        edit(results)
        return audit_id(results)

    differ = {
        "an excluded column": lambda r: r["inputs"]["excluded_columns"].update(age="by hand"),
        "a column type": lambda r: r["inputs"]["column_types"].update(age="categorical"),
        "dropped rows": lambda r: r["inputs"]["holdout"].update(rows_dropped=3),
        "a parameter": lambda r: r["parameters"].update(folds=4),
        "the policy": lambda r: r["policy"]["limits"].update(max_auc=0.7),
        "a fingerprint": lambda r: r["inputs"]["train"].update(sha256="0" * 64),
    }
    for what, edit in differ.items():
        assert changed(edit) != base, what
    same = {
        "the run time": lambda r: r.update(created="2030-01-01T00:00:00Z"),
        "file locations": lambda r: r["inputs"]["train"].update(source="/elsewhere/train.csv"),
        "the results themselves": lambda r: r["attacks"]["dcr"]["auc"].update(value=0.9),
    }
    for what, edit in same.items():
        assert changed(edit) == base, what


def test_audit_ids_differ_when_exclusions_or_dropped_rows_differ(tmp_path, releases):
    clean = releases[0]
    plain = synthcheck.audit(TRAIN, HOLDOUT, synthetic=clean, id_column="person_id")
    excluded = synthcheck.audit(TRAIN, HOLDOUT, synthetic=clean, id_column="person_id",
                                metadata={"columns": {"native_country": {"sdtype": "country_code"}}})
    assert "native_country" in excluded.document["inputs"]["excluded_columns"]
    assert plain.document["audit_id"] != excluded.document["audit_id"]

    holdout = pd.read_csv(HOLDOUT)
    copies = pd.read_csv(TRAIN).iloc[:7].assign(person_id=[f"X{i}" for i in range(7)])
    overlap = pd.concat([holdout, copies], ignore_index=True)
    overlap.to_csv(tmp_path / "holdout.csv", index=False)
    dropped = synthcheck.audit(TRAIN, tmp_path / "holdout.csv", synthetic=clean,
                               id_column="person_id", drop_overlap=True)
    block = dropped.document["inputs"]["holdout"]
    # new ids: different records that agree on the audited columns, audited (issue 19)
    assert (block["rows"], block["rows_dropped"], block["rows_scored"]) == (1507, 0, 1507)
    assert dropped.document["inputs"]["holdout_natural_duplicates"] == 7
    assert dropped.document["audit_id"] not in (plain.document["audit_id"],
                                               excluded.document["audit_id"])


@needs_poppler
def test_verify_rejects_an_audit_id_that_does_not_match_the_results(tmp_path, example_results,
                                                                    signer):
    edited = copy.deepcopy(example_results)
    edited["inputs"]["excluded_columns"]["age"] = "excluded after the fact"  # id kept
    path = issue(edited, tmp_path / "edited.pdf", signer)
    report = verify_certificate(path)
    check = next(c for c in report.checks if c.name == "audit-id")
    assert not check.ok and "does NOT match" in check.message
    assert report.status == "INVALID"
    assert json.loads(json.dumps(report.to_dict()))["status"] == "INVALID"


@pytest.mark.slow
def test_the_shadow_attack_is_reproduced_only_with_the_generator(releases):
    from synthcheck.auditing.reproduce import reproduce

    generator = "synthcheck.generators.controls:NoisyCopies"
    files = {"train": TRAIN, "holdout": HOLDOUT, "synthetic": releases[0]}
    certified = synthcheck.audit(TRAIN, HOLDOUT, synthetic=releases[0], generator=generator,
                                 shadows=4, jobs=1, id_column="person_id").results
    assert "shadow" in certified.attacks
    without = reproduce(certified, files)
    assert without.ok, [d.describe() for d in without.differences]
    assert without.not_reproduced == ["shadow"]
    with_generator = reproduce(certified, files, generator=generator)
    assert with_generator.ok and not with_generator.not_reproduced
    assert with_generator.compared > without.compared


def test_reproduce_reuses_the_certified_metadata(tmp_path, releases, signer, issuer_dir,
                                                 capsys):
    """Issue 19: a certificate made with --metadata could not be reproduced without the
    vendor's file (INVALID, or exit 2 on a column the metadata excluded). The certificate
    records what the metadata decided; a different file given explicitly is named."""
    clean, _ = releases
    metadata = {"primary_key": "person_id",
                "columns": {"native_country": {"sdtype": "country_code"},
                            "education": {"sdtype": "categorical"}}}
    made = synthcheck.audit(TRAIN, HOLDOUT, synthetic=clean, metadata=metadata,
                            attacks="dcr,exact-copy")
    assert made.document["inputs"]["metadata"] == {
        "primary_key": "person_id",
        "columns": {"native_country": {"sdtype": "country_code"},
                    "education": {"sdtype": "categorical"}}}
    certificate = made.certificate(tmp_path / "cert.pdf", signer)
    files = ["--train", TRAIN, "--holdout", HOLDOUT, "--synthetic", clean]
    code, out = run(capsys, "verify", certificate, *files, "--reproduce", "--trust",
                    issuer_dir / "cert.pem")
    assert code == 0, out
    assert "re-ran the audit with the recorded parameters" in out
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"primary_key": "person_id",
                                 "columns": {"native_country": {"sdtype": "categorical"}}}))
    code = main([str(a) for a in ("verify", certificate, *files, "--reproduce", "--metadata",
                                  other)])
    err = capsys.readouterr().err
    assert code == 2
    assert "other.json: column 'education': disagrees with the metadata the certificate " \
           "records: not named here, sdtype 'categorical' certified" in err


@pytest.mark.slow
def test_a_canary_audit_is_reproduced_only_with_the_generator(releases):
    from synthcheck.auditing.reproduce import reproduce

    generator = "synthcheck.generators.controls:NoisyCopies"
    files = {"train": TRAIN, "holdout": HOLDOUT, "synthetic": releases[0]}
    certified = synthcheck.audit(TRAIN, HOLDOUT, synthetic=releases[0], generator=generator,
                                 attacks="dcr", canaries=100, claimed_epsilon=1.0,
                                 id_column="person_id").results
    assert certified.canary_audit is not None
    without = reproduce(certified, files)
    assert without.ok, [d.describe() for d in without.differences]
    assert without.not_reproduced == ["canary audit"]
    with_generator = reproduce(certified, files, generator=generator)
    assert with_generator.ok, [d.describe() for d in with_generator.differences]
    assert not with_generator.not_reproduced
    assert with_generator.compared > without.compared
