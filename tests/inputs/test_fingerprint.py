"""Fingerprints: exact (no collisions through floats), typed, NFC, independent of file format
and of row and column order, and equal to the README's stand-alone recipe."""
from __future__ import annotations

import subprocess
import sys
import unicodedata

import numpy as np
import pandas as pd
import pytest

from synthcheck.inputs.fingerprint import column_types, fingerprint_file, fingerprint_frame
from tests.conftest import FIXTURES


@pytest.fixture(scope="module")
def readme_recipe():
    """The README's snippet, executed as a buyer would paste it."""
    readme = (FIXTURES.parent / "README.md").read_text()
    snippet = readme.split("## Fingerprints")[1].split("```python")[1].split("```")[0]
    namespace: dict = {}
    exec(snippet, namespace)  # noqa: S102 - the published recipe, run as a buyer would
    return namespace["fingerprint"]


def awkward() -> pd.DataFrame:
    """Big integers with blanks, non-ASCII names and text, booleans with blanks, 1e20, dates."""
    return pd.DataFrame({
        "acct": pd.array([9007199254740993, None, 12345678901234567, 7], dtype="Int64"),
        "Straße": ["Ä", "", None, "日本"],
        "née": [1.5, -0.0, float("nan"), 3.0],
        "flag": [True, None, False, True],
        "amount": [1e20, 0.1, float("nan"), 1.2345678901234567e25],
        "when": pd.to_datetime(["2024-01-02", "2024-02-29 13:45:00", None, "1999-12-31 23:59:59.5"], format="ISO8601"),
        "nothing": [None, None, None, None],
    })


def write_both(frame: pd.DataFrame, directory, stem: str):
    csv, parquet = directory / f"{stem}.csv", directory / f"{stem}.parquet"
    frame.to_csv(csv, index=False)
    frame.to_parquet(parquet, index=False)
    return csv, parquet


def test_integers_beyond_float_precision_do_not_collide(tmp_path):
    # With a blank, pandas reads the column as float64, where ...993 becomes ...992.
    one = pd.DataFrame({"acct": pd.array([9007199254740993, None], dtype="Int64")})
    two = pd.DataFrame({"acct": pd.array([9007199254740992, None], dtype="Int64")})
    digests = set()
    for stem, frame in (("one", one), ("two", two)):
        for path in write_both(frame, tmp_path, stem):
            digests.add((stem, fingerprint_file(path)))
        digests.add((stem, fingerprint_frame(frame)))
    by_table = {stem: {d for s, d in digests if s == stem} for stem in ("one", "two")}
    assert len(by_table["one"]) == 1 and len(by_table["two"]) == 1  # CSV = Parquet = frame
    assert by_table["one"] != by_table["two"]


def test_integers_of_any_size(tmp_path):
    big = 2 ** 70
    (tmp_path / "a.csv").write_text(f"n\n{big}\n1\n")
    (tmp_path / "b.csv").write_text(f"n\n{big + 1}\n1\n")
    assert fingerprint_file(tmp_path / "a.csv") != fingerprint_file(tmp_path / "b.csv")
    assert fingerprint_frame(pd.DataFrame({"n": [big, 1]})) == fingerprint_file(tmp_path / "a.csv")
    assert column_types(tmp_path / "a.csv") == {"n": "integer"}


def test_awkward_table_csv_parquet_frame_and_readme_agree(tmp_path, readme_recipe):
    frame = awkward()
    csv, parquet = write_both(frame, tmp_path, "awkward")
    digest = fingerprint_frame(frame)
    assert fingerprint_file(csv) == digest
    assert fingerprint_file(parquet) == digest
    assert readme_recipe(str(csv)) == digest
    assert readme_recipe(str(parquet)) == digest
    assert column_types(csv) == {"Straße": "text", "acct": "integer", "amount": "number",
                                 "flag": "boolean", "née": "number", "nothing": "empty",
                                 "when": "datetime"}


def test_readme_recipe_matches_the_tool_on_hand_written_csv(tmp_path, readme_recipe):
    # Spellings pandas would not write: exponents, signs, padding, lower-case booleans, ISO 'T'.
    (tmp_path / "t.csv").write_text(
        "id,big,x,ok,d,naïve\n"
        "1,+0009007199254740993,1e20,true,2024-01-02T03:04:05Z,\"a, b\"\n"
        "2,-18446744073709551617,3.50,,2024-01-02,e\u0301\n"
        "3,,-0.0,FALSE,,\n"
        "4,0,nan,True,2020-02-29 00:00:00.000001,“quoted”\n", encoding="utf-8")
    path = tmp_path / "t.csv"
    assert readme_recipe(str(path)) == fingerprint_file(path)
    assert column_types(path) == {"big": "integer", "d": "datetime", "id": "integer",
                                  "naïve": "text", "ok": "boolean", "x": "number"}


def test_fixtures_match_the_readme_recipe(readme_recipe):
    for part in ("train", "holdout"):
        path = FIXTURES / f"adult_{part}.csv"
        assert readme_recipe(str(path)) == fingerprint_file(path)


def test_spelling_of_numbers_does_not_matter_but_values_do(tmp_path):
    (tmp_path / "a.csv").write_text("x\n1e20\n3.50\n")
    (tmp_path / "b.csv").write_text("x\n100000000000000000000\n3.5\n")
    (tmp_path / "c.csv").write_text("x\n100000000000000000001\n3.5\n")
    a, b, c = (fingerprint_file(tmp_path / f"{s}.csv") for s in "abc")
    assert a == b != c


def test_unicode_is_normalised_to_nfc(tmp_path):
    composed = pd.DataFrame({unicodedata.normalize("NFC", "café"): ["é", "ü"]})
    decomposed = pd.DataFrame({unicodedata.normalize("NFD", "café"): [
        unicodedata.normalize("NFD", "é"), unicodedata.normalize("NFD", "ü")]})
    assert fingerprint_frame(composed) == fingerprint_frame(decomposed)
    assert fingerprint_frame(composed) != fingerprint_frame(pd.DataFrame({"cafe": ["é", "ü"]}))


def test_types_are_part_of_the_fingerprint(tmp_path):
    (tmp_path / "int.csv").write_text("x\n1\n0\n")
    (tmp_path / "bool.csv").write_text("x\ntrue\nfalse\n")
    (tmp_path / "text.csv").write_text("x\n1\nzero\n")
    (tmp_path / "text0.csv").write_text("x\n1\n0\n")
    assert fingerprint_file(tmp_path / "int.csv") == fingerprint_file(tmp_path / "text0.csv")
    assert len({fingerprint_file(tmp_path / f"{s}.csv") for s in ("int", "bool", "text")}) == 3
    ints = pd.DataFrame({"x": [1, 2]})
    assert fingerprint_frame(ints) != fingerprint_frame(ints.astype(float))


def test_same_table_in_csv_parquet_and_shuffled(tmp_path):
    frame = pd.read_csv(FIXTURES / "adult_holdout.csv")
    csv, parquet = write_both(frame, tmp_path, "t")
    shuffled = frame.sample(frac=1, random_state=0)[list(reversed(frame.columns))]
    digest = fingerprint_file(FIXTURES / "adult_holdout.csv")
    assert fingerprint_file(parquet) == digest == fingerprint_file(csv)
    assert fingerprint_frame(shuffled) == digest


def test_one_changed_cell_or_a_duplicated_row_changes_the_fingerprint():
    frame = pd.read_csv(FIXTURES / "adult_holdout.csv")
    changed = frame.copy()
    changed.loc[10, "age"] += 1
    doubled = pd.concat([frame, frame.iloc[:1]], ignore_index=True)
    digests = {fingerprint_frame(f) for f in (frame, changed, doubled)}
    assert len(digests) == 3


def test_the_fingerprint_command_prints_what_the_certificate_lists(tmp_path):
    path = FIXTURES / "adult_train.csv"
    done = subprocess.run([sys.executable, "-m", "synthcheck.cli", "fingerprint", str(path),
                           "--columns"], capture_output=True, text=True, check=True)
    lines = done.stdout.splitlines()
    assert lines[0] == f"{fingerprint_file(path)}  {path}"
    assert lines[1].strip() == "integer   age"


def test_the_audit_records_the_file_fingerprint(tmp_path):
    from synthcheck.inputs.load import load_table

    csv, _ = write_both(awkward(), tmp_path, "awkward")
    assert load_table(csv, "train").sha256 == fingerprint_file(csv)
    assert load_table(awkward(), "train").sha256 == fingerprint_file(csv)
    assert np.isnan(pd.read_csv(csv)["acct"]).any()  # pandas itself reads it as floats
