"""Policy parsing (issue 11): every key known, every limit in its range, the file named."""
from __future__ import annotations

import math

import pytest

import synthcheck
from synthcheck.cli.main import main
from synthcheck.errors import InputError
from synthcheck.verdict.policy import DEFAULT_POLICY_TEXT, default_policy, parse_policy


@pytest.mark.parametrize("text, fragment", [
    ("alhpa = 0.01\n[limits]\nmax_auc = 0.6", "unknown policy key 'alhpa'"),
    ("[limits]\nmax_auc = 60", "limit 'max_auc' must be in [0, 1], got 60 (a fraction: 60 % is 0.6)"),
    ("[limits]\nmax_tpr_at_fpr_1pct = 3", "must be in [0, 1], got 3 (a fraction: 3 % is 0.03)"),
    ("[limits]\nmax_tpr_at_fpr_0_1pct = -0.01", "must be in [0, 1], got -0.01"),
    ("[limits]\nmax_epsilon = -1", "limit 'max_epsilon' must be at least 0, got -1"),
    ("[limits]\nmax_auc = nan", "limit 'max_auc' must be a number, got nan"),
    ("[limits]\nmax_auc = true", "limit 'max_auc' must be a number"),
    ("alpha = 0\n[limits]\nmax_auc = 0.6", "alpha must be a number in (0, 0.5]"),
    ("alpha = 0.6\n[limits]\nmax_auc = 0.6", "alpha must be a number in (0, 0.5]"),
    ("[limits]\nmax_auc = 0.6\nmax_acu = 0.7", "unknown limit 'max_acu' in [limits]"),
    ("[limits]\nmax_auc = 0.6\n[limits.extra]\nx = 1", "unknown limit 'extra'"),
    ("[limit]\nmax_auc = 0.6", "unknown policy key 'limit'"),
    ("name = 3\n[limits]\nmax_auc = 0.6", "name must be a string"),
])
def test_a_bad_policy_names_the_key_and_the_file(text, fragment):
    with pytest.raises(InputError) as caught:
        parse_policy(text, source="board.toml")
    assert str(caught.value).startswith("board.toml: "), str(caught.value)
    assert fragment in str(caught.value), str(caught.value)


def test_limits_at_the_edges_of_their_ranges_are_accepted():
    policy = parse_policy("alpha = 0.5\n[limits]\nmax_auc = 1\nmax_tpr_at_fpr_1pct = 0\n"
                          "max_epsilon = inf")
    assert policy.alpha == 0.5 and math.isinf(policy.limits["max_epsilon"])
    assert parse_policy(DEFAULT_POLICY_TEXT).limits == default_policy().limits


@pytest.mark.slow
def test_a_dict_policy_is_the_same_as_its_toml(adult):
    document = {"name": "board", "alpha": 0.01, "limits": {"max_auc": 0.6, "max_epsilon": 2}}
    policy = parse_policy(document)
    assert policy.limits == {"max_auc": 0.6, "max_epsilon": 2.0} and policy.alpha == 0.01
    assert parse_policy(policy.text).limits == policy.limits
    with pytest.raises(InputError, match="unknown policy key 'alhpa'"):
        parse_policy({"alhpa": 0.01, "limits": {"max_auc": 0.6}})
    train, holdout = adult["train"].head(300), adult["holdout"].head(300)
    result = synthcheck.audit(train, holdout, synthetic=adult["population"].head(300),
                              attacks="dcr", policy=document)
    assert result.document["policy"]["name"] == "board"
    # the policy's limits, and the copy checks every verdict makes (here the id column's values)
    assert {r["check"] for r in result.document["verdict_reasons"]} == {"max_auc", "max_epsilon",
                                                                       "copied_values"}


def test_cli_refuses_a_misspelt_key_before_the_audit(capsys, tmp_path):
    board = tmp_path / "board.toml"
    board.write_text("alhpa = 0.01\n[limits]\nmax_auc = 0.6\n")
    code = main(["audit", "--train", "t.csv", "--holdout", "h.csv", "--synthetic", "s.csv",
                 "--policy", str(board), "--out", str(tmp_path / "audit")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert str(board) in err and "'alhpa'" in err
    assert not (tmp_path / "audit").exists()


def test_an_empty_limits_table_is_named_as_empty(tmp_path):
    """Issue 19: an empty [limits] said "policy has no [limits] table"."""
    from synthcheck.errors import InputError
    from synthcheck.verdict.policy import load_policy

    path = tmp_path / "board.toml"
    path.write_text('name = "board"\n[limits]\n')
    with pytest.raises(InputError, match=r"the \[limits\] table is empty: a policy needs at "
                                         r"least one limit \(max_auc"):
        load_policy(path)


def test_the_printed_policy_is_the_default_and_its_optional_keys_parse(capsys):
    """`synthcheck policy` prints the built-in policy and, commented out, every optional key:
    as printed it parses to the default; uncommented, the optional tables parse too."""
    assert main(["policy"]) == 0
    printed = capsys.readouterr().out
    assert max(len(line) for line in printed.splitlines()) <= 100
    assert parse_policy(printed).limits == default_policy().limits
    assert parse_policy(printed).edpb == {} and parse_policy(printed).worst_case == {}
    optional = printed[printed.index("# [worst_case]"):]
    uncommented = "\n".join(line[2:] for line in optional.splitlines())
    chosen = parse_policy(DEFAULT_POLICY_TEXT + uncommented)
    assert chosen.worst_case == {"max_unique_rows_copied": 0}
    assert set(chosen.edpb) == {"max_singling_out_risk", "max_linkability_risk",
                                "max_inference_risk"}
    assert "claimed_epsilon" in printed
