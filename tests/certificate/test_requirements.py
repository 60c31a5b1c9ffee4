"""A buyer's requirements (issue 19): `verify` said VALID, exit 0, for a certificate whose
verdict is FAIL, and for a PASS a vendor bought with a lenient policy. `--require-verdict` and
`--require FILE` make verify a buyer's CI gate: exit 1 naming the first unmet requirement."""
from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import pytest

from synthcheck.auditing.results_json import audit_id, from_document
from synthcheck.certificate import issue
from synthcheck.certificate.requirements import Requirements, load_requirements
from synthcheck.cli.main import main
from synthcheck.errors import InputError

EXAMPLE_FILE = Path(__file__).resolve().parents[2] / "docs" / "requirements.example.toml"


def certify(results: dict, tmp_path: Path, signer, name: str) -> Path:
    results = copy.deepcopy(results)
    results["audit_id"] = audit_id(results)
    return issue(results, tmp_path / f"{name}.pdf", signer)


def verify(capsys, path: Path, issuer_dir: Path, *extra: str) -> tuple[int, str]:
    code = main(["verify", str(path), "--trust", str(issuer_dir / "cert.pem"), *extra])
    return code, capsys.readouterr().out


def test_a_fail_certificate_does_not_pass_the_gate(example_results, tmp_path, signer,
                                                   issuer_dir, capsys):
    failing = certify(example_results | {"verdict": "FAIL"}, tmp_path, signer, "fail")
    code, out = verify(capsys, failing, issuer_dir)
    assert code == 0 and "VALID" in out  # genuine: the document itself is fine
    assert "verdict is FAIL, not PASS" in " ".join(out.split())  # but it is not read as a PASS
    code, out = verify(capsys, failing, issuer_dir, "--require-verdict", "PASS")
    assert code == 1, out
    assert "requirement NOT met (--require-verdict): verdict FAIL is not one of the accepted " \
           "PASS" in out
    code, _ = verify(capsys, failing, issuer_dir, "--require-verdict", "pass,fail")
    assert code == 0


def test_a_pass_bought_with_a_lenient_policy_is_refused(example_results, tmp_path, signer,
                                                        issuer_dir, capsys):
    lenient = copy.deepcopy(example_results)
    lenient["policy"]["limits"]["max_auc"] = 0.99
    path = certify(lenient, tmp_path, signer, "lenient")
    code, out = verify(capsys, path, issuer_dir, "--require", str(EXAMPLE_FILE))
    assert code == 1, out
    # the example file asks for exact-copy first: the vendor left it out
    assert "attack exact-copy did not run" in " ".join(out.split())  # lines wrap at 100
    requirements = load_requirements(EXAMPLE_FILE)
    results = from_document(lenient)
    now = dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc)
    relaxed = Requirements(verdicts=("PASS",), limits=requirements.limits)
    assert relaxed.first_unmet(results, now) == \
        "the policy's max_auc = 0.99 is less strict than the required 0.6"
    assert Requirements(attacks=("dcr",), limits=requirements.limits).first_unmet(
        from_document(example_results), now) is None


def test_records_age_and_alpha(example_results):
    results = from_document(example_results)  # 1,500 + 900 scored, run 2026-05-14
    now = dt.datetime(2026, 6, 1, tzinfo=dt.timezone.utc)
    assert Requirements(min_records_scored=3000).first_unmet(results, now) == \
        "2400 records scored, fewer than the required 3000"
    assert "days ago" in Requirements(max_age_days=7).first_unmet(results, now)
    assert Requirements(max_age_days=30).first_unmet(results, now) is None
    assert Requirements(max_alpha=0.01).first_unmet(results, now) == \
        "the policy's alpha 0.05 is above the accepted 0.01"


@pytest.mark.parametrize("text, fragment", [
    ("verdict = ['PASS']", "unknown key 'verdict'"),
    ("verdicts = ['OK']", "'verdicts' must be a list of PASS, FAIL, INCONCLUSIVE"),
    ("[policy.limits]\nmax_acu = 0.6", "unknown limit 'policy.limits.max_acu'"),
    ("min_records_scored = -1", "'min_records_scored' must be a whole number >= 0")])
def test_bad_requirements_files_are_named(tmp_path, text, fragment):
    path = tmp_path / "buyer.toml"
    path.write_text(text)
    with pytest.raises(InputError, match="buyer.toml") as raised:
        load_requirements(path)
    assert fragment in str(raised.value)


def test_the_example_file_is_read():
    found = load_requirements(EXAMPLE_FILE)
    assert found.verdicts == ("PASS",) and "exact-copy" in found.attacks
    assert found.limits == {"max_auc": 0.6, "max_tpr_at_fpr_1pct": 0.05, "max_epsilon": 1.0}
