"""The EDPB risks judged by a policy's [edpb] limits, chosen by --known-columns and
--secret-columns (CLI, API, reproduced), and shown in the summary and the certificate."""
from __future__ import annotations

import json

import pandas as pd
import pytest

import synthcheck
from synthcheck.auditing.results_json import audit_arguments
from synthcheck.cli.main import main
from synthcheck.edpb.assess import Edpb
from synthcheck.edpb.inference import Inference
from synthcheck.edpb.risk import risk_of
from synthcheck.edpb.singling_out import SinglingOut
from synthcheck.errors import InputError
from synthcheck.verdict.outcome import Outcome, Side
from synthcheck.verdict.policy import ALPHA_SHARES, evaluate, parse_policy
from tests.conftest import FIXTURES

TRAIN, HOLDOUT = str(FIXTURES / "adult_train.csv"), str(FIXTURES / "adult_holdout.csv")
LIMITS = {"limits": {"max_auc": 0.6},
          "edpb": {"max_singling_out_risk": 0.1, "max_inference_risk": 0.2}}


def edpb_of(single: tuple[int, int], inferred: dict[str, tuple[int, int]], n: int = 1000) -> Edpb:
    def risk(attack: int, control: int) -> dict:
        return vars(risk_of(attack, n, control, n, 0.95))

    return Edpb(method="", records=n, level=0.95, known_columns=("a", "b"),
                secret_columns=tuple(inferred), singling_out=SinglingOut(**risk(*single)),
                linkability=None, not_run={},
                inference={k: Inference(**risk(*v)) for k, v in inferred.items()})


def test_policy_reads_edpb_limits_and_refuses_unknown_keys_and_percentages():
    policy = parse_policy(LIMITS)
    assert policy.edpb == {"max_singling_out_risk": 0.1, "max_inference_risk": 0.2}
    assert policy.describe()["edpb"] == policy.edpb
    with pytest.raises(InputError, match="unknown key 'max_risk' in \\[edpb\\]"):
        parse_policy({"limits": {"max_auc": 0.6}, "edpb": {"max_risk": 0.1}})
    with pytest.raises(InputError, match="a fraction: 20 % is 0.2"):
        parse_policy({"limits": {"max_auc": 0.6}, "edpb": {"max_linkability_risk": 20}})
    assert parse_policy({"limits": {"max_auc": 0.6}}).edpb == {}  # off by default


def test_each_risk_is_a_check_fail_on_the_lower_bound_pass_on_the_upper():
    policy = parse_policy(LIMITS)
    edpb = edpb_of((500, 100), {"x": (300, 290), "y": (660, 600)})
    verdict = evaluate(policy, {}, edpb=edpb)
    checks = {c.subject: c for c in verdict.reasons}
    assert checks["singling out"].outcome is Outcome.FAIL
    assert checks["singling out"].side is Side.LOWER and checks["singling out"].bound > 0.1
    # the edpb family holds all of alpha here (the only family), split over its 3 checks
    assert checks["singling out"].level == pytest.approx(1 - 0.05 / 3)
    assert checks["inference of 'x'"].outcome is Outcome.PASS
    assert checks["inference of 'y'"].outcome is Outcome.INCONCLUSIVE  # control 60 %: wide
    assert verdict.outcome is Outcome.FAIL
    assert "edpb" in ALPHA_SHARES


def test_no_limit_no_check():
    verdict = evaluate(parse_policy({"limits": {"max_auc": 0.6}}), {},
                       edpb=edpb_of((500, 100), {"x": (900, 100)}))
    assert verdict.reasons == ()


@pytest.fixture(scope="module")
def judged():
    release = pd.read_csv(TRAIN).iloc[:1000]
    return synthcheck.audit(TRAIN, HOLDOUT, synthetic=release, id_column="person_id",
                            attacks="dcr", quiet=True, policy=LIMITS,
                            known_columns="age,sex,race,education,fnlwgt",
                            secret_columns=["income_per_year", "fnlwgt"])


def test_the_api_arguments_reach_the_risks_and_are_recorded_for_reproduction(judged):
    edpb = judged.results.edpb
    assert edpb.known_columns == ("age", "fnlwgt", "education", "race", "sex")  # table order
    assert set(edpb.inference) == {"income_per_year", "fnlwgt"}
    recorded = judged.results.parameters
    assert recorded.known_columns == ("age", "sex", "race", "education", "fnlwgt")
    arguments = audit_arguments(judged.results, with_generator=False)
    assert arguments["secret_columns"] == ("income_per_year", "fnlwgt")
    assert judged.verdict is Outcome.FAIL
    failing = {c.subject for c in judged.results.failing()}
    assert {"singling out", "inference of 'fnlwgt'"} <= failing


def test_summary_and_certificate_show_the_three_risks_without_values(judged):
    from synthcheck.certificate.render import Issuance, build_context, render_html

    summary = judged.summary
    assert "EDPB risks" in summary and "singling out: " in summary
    assert "inference of 'fnlwgt'" in summary
    issuance = Issuance.now(judged.results, "Test issuer", "00" * 16)
    html = render_html(build_context(judged.results, issuance), "pdf")
    assert "Singling out, linkability, inference" in html
    assert "Can someone isolate one person&#39;s record?" in html
    assert "limit 10.0 %" in html and "no limit" in html  # linkability: no limit set
    assert str(pd.read_csv(TRAIN)["fnlwgt"].iloc[0]) not in html


def test_unknown_or_excluded_columns_are_refused_naming_the_parameter():
    with pytest.raises(InputError, match="known_columns: 'salary' is not an audited column"):
        synthcheck.audit(TRAIN, HOLDOUT, synthetic=str(FIXTURES / "adult_population.csv"),
                         id_column="person_id", known_columns="age,salary", quiet=True)
    with pytest.raises(InputError, match="secret_columns: 'person_id' is not an audited"):
        synthcheck.audit(TRAIN, HOLDOUT, synthetic=str(FIXTURES / "adult_population.csv"),
                         id_column="person_id", secret_columns="person_id", quiet=True)


def test_cli_help_names_the_options(capsys):
    with pytest.raises(SystemExit):
        main(["audit", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--known-columns LIST" in help_text and "--secret-columns LIST" in help_text
    assert "default: every audited column" in help_text


@pytest.mark.slow
def test_cli_options_reach_results_json(capsys):
    code = main(["audit", "--train", TRAIN, "--holdout", HOLDOUT, "--quiet", "--json",
                 "--id-column", "person_id", "--attacks", "dcr",
                 "--synthetic", str(FIXTURES / "adult_population.csv"),
                 "--known-columns", "age,sex", "--secret-columns", "sex"])
    document = json.loads(capsys.readouterr().out)
    assert code == 0
    assert document["edpb"]["known_columns"] == ["age", "sex"]
    assert list(document["edpb"]["inference"]) == ["sex"]
    assert document["parameters"]["secret_columns"] == ["sex"]


def test_the_owner_report_names_the_members_singled_out(judged):
    from synthcheck.certificate.owner_report import render_html

    html = render_html(judged.results, judged.records)
    assert "Members singled out or linked" in html
    records = judged.records
    top = records[records["role"] == "train"].sort_values(
        ["edpb_singled_out", "row"], ascending=[False, True]).iloc[0]
    assert f"<td>{top['id']}</td>" in html
