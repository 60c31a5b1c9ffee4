"""The command line: exit codes, one-line errors for every kind of bad input, outputs."""
from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from synthcheck.cli.main import main
from tests.conftest import FIXTURES, partial_leak

TRAIN = str(FIXTURES / "adult_train.csv")
HOLDOUT = str(FIXTURES / "adult_holdout.csv")
POPULATION = str(FIXTURES / "adult_population.csv")


def audit(capsys, *extra: str, train=TRAIN, holdout=HOLDOUT, synthetic=POPULATION):
    args = ["audit", "--train", str(train), "--holdout", str(holdout), "--quiet",
            "--id-column", "person_id"]
    if synthetic is not None:
        args += ["--synthetic", str(synthetic)]
    code = main(args + list(extra))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(code: int, err: str, *fragments: str) -> None:
    assert code == 2
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert lines[0].startswith("synthcheck: error: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


@pytest.mark.slow
def test_clean_release_passes_and_writes_outputs(capsys, tmp_path):
    code, out, _ = audit(capsys, "--out", str(tmp_path / "audit"))
    assert code == 0
    assert "VERDICT: PASS" in out and "dcr-ratio" in out and "TPR% @FPR 1%" in out
    assert (tmp_path / "audit" / "results.json").exists()
    assert len(pd.read_parquet(tmp_path / "audit" / "records.parquet")) == 3000


@pytest.mark.slow
def test_leaky_release_fails_with_exit_1_and_json_for_machines(capsys, tmp_path, adult):
    leaky = tmp_path / "leaky.csv"
    partial_leak(adult, seed=1).to_csv(leaky, index=False)
    code, out, _ = audit(capsys, "--json", synthetic=leaky)
    assert code == 1
    results = json.loads(out)
    assert results["verdict"] == "FAIL"
    assert set(results["attacks"]) == {"dcr", "dcr-ratio", "density-ratio", "query-match",
                                       "exact-copy"}


def test_missing_file(capsys, tmp_path):
    code, _, err = audit(capsys, synthetic=tmp_path / "nope.csv")
    assert_one_line_error(code, err, "nope.csv", "does not exist")


def test_unreadable_file(capsys, tmp_path):
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"this is not parquet at all")
    code, _, err = audit(capsys, synthetic=broken)
    assert_one_line_error(code, err, "broken.parquet", "cannot read")


def test_malformed_csv(capsys, tmp_path):
    broken = tmp_path / "broken.csv"
    broken.write_text('a,b\n1,2\n3,"4\n')
    code, _, err = audit(capsys, synthetic=broken)
    assert_one_line_error(code, err, "broken.csv")


def test_missing_column_is_named(capsys, tmp_path, adult):
    path = tmp_path / "synthetic.csv"
    adult["population"].drop(columns=["occupation"]).to_csv(path, index=False)
    code, _, err = audit(capsys, synthetic=path)
    assert_one_line_error(code, err, "synthetic.csv", "'occupation'", "missing")


def test_extra_column_is_named(capsys, tmp_path, adult):
    path = tmp_path / "holdout.csv"
    adult["holdout"].assign(shoe_size=42).to_csv(path, index=False)
    code, _, err = audit(capsys, holdout=path)
    assert_one_line_error(code, err, "holdout.csv", "'shoe_size'")


def test_type_that_cannot_be_reconciled(capsys, tmp_path, adult):
    path = tmp_path / "synthetic.csv"
    frame = adult["population"].astype({"age": object})
    frame.loc[3, "age"] = "forty"
    frame.to_csv(path, index=False)
    code, _, err = audit(capsys, synthetic=path)
    assert_one_line_error(code, err, "synthetic.csv", "column 'age'", "numeric", "'forty'")


@pytest.mark.parametrize("content", ["", "age,workclass\n"])
def test_empty_table(capsys, tmp_path, content):
    path = tmp_path / "empty.csv"
    path.write_text(content)
    code, _, err = audit(capsys, train=path)
    assert_one_line_error(code, err, "empty.csv", "empty")


@pytest.mark.slow
def test_rows_in_both_train_and_holdout_are_counted(capsys, tmp_path, adult):
    """Train rows in the holdout under new ids are different records (natural duplicates,
    audited); without ids they are the same records: refused, or dropped on request."""
    path = tmp_path / "holdout.csv"
    overlapping = pd.concat([adult["holdout"].iloc[:1400], adult["train"].iloc[:7]])
    overlapping = overlapping.assign(person_id=[f"H{i}" for i in range(len(overlapping))])
    overlapping.to_csv(path, index=False)
    code, out, _ = audit(capsys, holdout=path)
    assert code in (0, 1, 3) and "non-members 1407" in out
    anonymous = {}
    for role, frame in (("train", pd.read_csv(TRAIN)), ("holdout", overlapping),
                        ("synthetic", pd.read_csv(POPULATION))):
        anonymous[role] = tmp_path / f"anonymous_{role}.csv"
        frame.drop(columns="person_id").to_csv(anonymous[role], index=False)
    args = ["audit", "--quiet", *(a for r, p in anonymous.items() for a in (f"--{r}", str(p)))]
    code = main(args)
    assert_one_line_error(code, capsys.readouterr().err, "anonymous_holdout.csv",
                          "7 holdout row(s) are identical to a train row in every column",
                          "data rows 1401, 1402, 1403, 1404, 1405, ...")
    code = main([*args, "--drop-overlap"])
    assert code in (0, 1, 3) and "non-members 1400" in capsys.readouterr().out


def test_holdout_too_small(capsys, tmp_path, adult):
    path = tmp_path / "holdout.csv"
    adult["holdout"].head(20).to_csv(path, index=False)
    code, _, err = audit(capsys, holdout=path)
    assert_one_line_error(code, err, "holdout.csv", "holdout has 20 rows", "at least 50")


def test_duplicate_ids(capsys, tmp_path, adult):
    path = tmp_path / "train.csv"
    frame = adult["train"].copy()
    frame.loc[5, "person_id"] = frame.loc[4, "person_id"]
    frame.to_csv(path, index=False)
    code, _, err = audit(capsys, train=path)
    assert_one_line_error(code, err, "train.csv", "person_id", "data rows 5 and 6 have the same id")
    assert frame.loc[4, "person_id"] not in err  # ids stay out of logs


def test_unknown_attack_and_bad_policy(capsys, tmp_path):
    code, _, err = audit(capsys, "--attacks", "dcr,telepathy")
    assert_one_line_error(code, err, "telepathy")
    policy = tmp_path / "board.toml"
    policy.write_text("[limits]\nmax_auc = 'high'\n")
    code, _, err = audit(capsys, "--policy", str(policy))
    assert_one_line_error(code, err, "board.toml", "max_auc")


@pytest.mark.slow
def test_bad_input_leaves_earlier_outputs_untouched(capsys, tmp_path):
    out = tmp_path / "audit"
    assert audit(capsys, "--out", str(out))[0] == 0
    before = (out / "results.json").read_bytes(), (out / "records.parquet").read_bytes()
    code, _, err = audit(capsys, "--out", str(out), synthetic=tmp_path / "missing.csv")
    assert code == 2
    assert before == ((out / "results.json").read_bytes(), (out / "records.parquet").read_bytes())


@pytest.mark.slow
def test_custom_policy_changes_the_verdict(capsys, tmp_path):
    strict = tmp_path / "strict.toml"
    strict.write_text('name = "strict"\n[limits]\nmax_auc = 0.501\n')
    code, out, _ = audit(capsys, "--policy", str(strict))
    # the AUC interval straddles 0.501: INCONCLUSIVE, exit 3 (the default policy PASSes, exit 0)
    assert code == 3 and "VERDICT: INCONCLUSIVE (policy 'strict'" in out


@pytest.mark.slow
def test_console_script_help_and_error_exit_code(tmp_path):
    help_text = subprocess.run([sys.executable, "-m", "synthcheck.cli", "audit", "--help"],
                               capture_output=True, text=True, check=True).stdout
    assert "--train" in help_text and "exit codes" in help_text
    done = subprocess.run([sys.executable, "-m", "synthcheck.cli", "audit", "--train", TRAIN,
                           "--holdout", HOLDOUT, "--synthetic", str(tmp_path / "x.csv")],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "Traceback" not in done.stderr


def test_schema_command_prints_the_results_schema(capsys):
    """Issue 19: no command printed the results schema."""
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "synthcheck audit results"
    assert "fingerprint_recipe" in schema["properties"]


@pytest.mark.parametrize("command, fragment", [
    (["policy", "--help"], "Print the built-in policy as TOML"),
    (["demo", "--help"], "seed for every random choice")])
def test_help_describes_policy_and_demo_seed(capsys, command, fragment):
    with pytest.raises(SystemExit):
        main(command)
    assert fragment in " ".join(capsys.readouterr().out.split())


def test_a_missing_holdout_from_python_is_named():
    """Issue 19: holdout=None ended in a pathlib TypeError."""
    import synthcheck
    from synthcheck.errors import InputError

    with pytest.raises(InputError, match="^holdout: holdout is required"):
        synthcheck.audit(TRAIN, None, synthetic=POPULATION)


@pytest.mark.parametrize("extra, fragments", [
    (["--canaries", "100"], ("--canaries", "generator")),
    (["--canaries", "5", "--generator", "synthcheck.generators.controls:NoisyCopies"],
     ("--canaries", "20")),
    (["--canaries", "100", "--claimed-epsilon", "0",
      "--generator", "synthcheck.generators.controls:NoisyCopies"], ("--claimed-epsilon",)),
    (["--claimed-epsilon", "1", "--generator", "synthcheck.generators.controls:NoisyCopies"],
     ("--claimed-epsilon", "--canaries")),
])
def test_canary_audit_bad_input_is_one_line_before_any_fit(capsys, monkeypatch, extra,
                                                            fragments):
    import synthcheck.generators as generators

    def no_fit(*args, **kwargs):
        raise AssertionError("a generator was fitted before the input was checked")

    monkeypatch.setattr(generators, "fit_and_sample", no_fit)
    code, _, err = audit(capsys, *extra)
    assert_one_line_error(code, err, *fragments)
