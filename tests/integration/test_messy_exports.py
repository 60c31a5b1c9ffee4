"""Messy exports (issue 19): a seeded fuzz over the damage real CSV exports carry. Each mutated
input either audits, or is refused with one line naming the file and the row or line, exit 2;
never a traceback. Infinities and numbers beyond the float range never reach an attack."""
from __future__ import annotations

import numpy as np
import pytest

from synthcheck.cli.main import main
from synthcheck.exitcodes import ExitCode
from tests.integration.messy import MUTATIONS

pytestmark = pytest.mark.usefixtures("verdict_only")  # verdicts only: no owner's extras

ROLES = ("train", "holdout", "synthetic")
#: kinds that must be refused whichever file carries them
ALWAYS_REFUSED = {"infinity", "negative_infinity", "overflow", "truncated_last_line",
                  "latin1_bytes", "extra_cell", "thousands", "repeated_header"}


@pytest.fixture(scope="module")
def clean(tmp_path_factory, adult) -> dict[str, bytes]:
    """120 members, 120 non-members, 120 synthetic rows of the Adult fixture, as CSV bytes."""
    return {role: adult[part].head(120).to_csv(index=False).encode()
            for role, part in zip(ROLES, ("train", "holdout", "population"))}


def audit_with(tmp_path, clean, kind: str, role: str, seed: int, capsys) -> tuple[int, str, str]:
    rng = np.random.default_rng([seed, list(MUTATIONS).index(kind), ROLES.index(role)])
    paths = {}
    for name, data in clean.items():
        paths[name] = tmp_path / f"{name}.csv"
        paths[name].write_bytes(MUTATIONS[kind](data, rng) if name == role else data)
    code = main(["audit", "--id-column", "person_id", "--attacks", "dcr,dcr-ratio,exact-copy",
                 "--folds", "2", *(arg for name in ROLES for arg in (f"--{name}", str(paths[name])))])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def check_outcome(kind: str, role: str, code: int, out: str, err: str) -> None:
    assert "Traceback" not in err
    if code == ExitCode.BAD_INPUT:
        lines = [line for line in err.splitlines() if line.strip().startswith("synthcheck")]
        assert len(lines) == 1, err
        assert f"{role}.csv" in lines[0], lines[0]
        assert "data row" in lines[0] or "line" in lines[0], lines[0]
        assert out == ""
        return
    assert kind not in ALWAYS_REFUSED, (kind, role, code, err[-500:])
    assert code in (ExitCode.PASS, ExitCode.FAIL, ExitCode.INCONCLUSIVE), (code, err[-500:])
    assert "VERDICT:" in out


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(MUTATIONS))
def test_each_kind_of_damage_is_audited_or_refused_in_one_line(tmp_path, clean, capsys, kind):
    """One file per kind (chosen by the seed), so the quick suite covers every kind."""
    role = ROLES[int(np.random.default_rng([19, len(kind)]).integers(len(ROLES)))]
    check_outcome(kind, role, *audit_with(tmp_path, clean, kind, role, 0, capsys))


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1])
def test_every_kind_in_every_file(tmp_path, clean, capsys, seed):
    for kind in MUTATIONS:
        for role in ROLES:
            folder = tmp_path / f"{kind}-{role}"
            folder.mkdir()
            check_outcome(kind, role, *audit_with(folder, clean, kind, role, seed, capsys))


@pytest.mark.slow
def test_cells_read_as_missing_are_said(tmp_path, clean, capsys):
    data = clean["holdout"].replace(b",Private,", b",NA,", 3)
    (tmp_path / "holdout.csv").write_bytes(data)
    for role in ("train", "synthetic"):
        (tmp_path / f"{role}.csv").write_bytes(clean[role])
    code = main(["audit", "--id-column", "person_id", "--attacks", "dcr", "--folds", "2",
                 *(arg for name in ROLES for arg in (f"--{name}", str(tmp_path / f"{name}.csv")))])
    err = capsys.readouterr().err
    assert code in (ExitCode.PASS, ExitCode.FAIL, ExitCode.INCONCLUSIVE)
    assert "holdout: 3 cell(s) written as NA, N/A, null, NaN, None or similar were read as " \
           "missing values" in err


@pytest.mark.parametrize("cell", ["inf", "-inf", "1e309", "-1e400", "Infinity"])
@pytest.mark.parametrize("role", ROLES)
def test_infinities_are_refused_naming_the_row(tmp_path, adult, capsys, cell, role):
    frames = {r: adult[p].head(120).copy() for r, p in zip(ROLES, ("train", "holdout", "population"))}
    frames[role]["capital_gain"] = frames[role]["capital_gain"].astype(object)
    frames[role].loc[6, "capital_gain"] = cell
    for name, frame in frames.items():
        frame.to_csv(tmp_path / f"{name}.csv", index=False)
    code = main(["audit", "--quiet", "--id-column", "person_id", "--attacks", "dcr-ratio",
                 *(arg for name in ROLES for arg in (f"--{name}", str(tmp_path / f"{name}.csv")))])
    err = capsys.readouterr().err
    assert code == ExitCode.BAD_INPUT, err
    assert f"{role}.csv" in err and "column 'capital_gain'" in err and "data row 7" in err, err
