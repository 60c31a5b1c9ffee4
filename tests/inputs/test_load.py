"""One read per input file: the typed frame derived from the text read equals pandas' default
read, and the fingerprint from that same text equals the file's fingerprint."""
from __future__ import annotations

import io

import pandas as pd
import pytest

from synthcheck.inputs.fingerprint import fingerprint_file, csv_texts
from synthcheck.inputs.load import load_table, typed_from_text
from tests.conftest import FIXTURES

EDGE_COLUMNS = {
    "bool_with_blank": ["True", "", "false", "TRUE"],
    "bool_words": ["True", "yes", "False", "True"],
    "int_with_na": ["1", "NA", "9007199254740993", "-4"],
    "uint64": ["18446744073709551615", "1", "2", "3"],
    "beyond_uint64": ["123456789012345678901234567890", "1", "2", "3"],
    "spaces": [" 12", "13 ", "14", "15"],
    "specials": ["inf", "-Infinity", "nan", "1e5"],
    "signs": ["+5", "007", ".5", "5."],
    "hex_and_dash": ["0x10", "-", "1", "2"],
    "na_strings": ["#N/A", "null", "None", "n/a"],
    "digits_and_bool": ["1", "0", "True", "1"],
    "dates": ["2024-01-01", "2024-02-29", "", "1999-12-31"],
    "text": ["a", "", "Ä", "b,c"],
    "long_float": ["3.141592653589793238462643383279", "0.1", "1.0000000000000002", ""],
}


def assert_same_frame(expected: pd.DataFrame, got: pd.DataFrame) -> None:
    assert list(expected.columns) == list(got.columns)
    assert expected.index.equals(got.index)
    for name in expected.columns:
        left, right = expected[name], got[name]
        assert left.dtype == right.dtype, name
        assert left.equals(right), name
        assert [type(v) for v in left] == [type(v) for v in right], name


def test_typed_from_text_equals_pandas_default_read_on_edge_cases():
    buffer = io.StringIO()
    pd.DataFrame(EDGE_COLUMNS).to_csv(buffer, index=False)
    text = buffer.getvalue()
    expected = pd.read_csv(io.StringIO(text), low_memory=False)
    assert_same_frame(expected, typed_from_text(csv_texts(io.StringIO(text))))
    assert expected["bool_with_blank"].dtype == object  # the cases do cover pandas' branches
    assert expected["uint64"].dtype == "uint64" and expected["int_with_na"].dtype == "float64"


@pytest.mark.parametrize("name", ["adult_train.csv", "cps_ties.csv.gz"])
def test_typed_from_text_equals_pandas_default_read_on_real_files(name):
    path = FIXTURES / name
    assert_same_frame(pd.read_csv(path, low_memory=False), typed_from_text(csv_texts(path)))


def test_one_read_gives_the_same_frame_and_fingerprint_as_two(tmp_path):
    frame = pd.read_csv(FIXTURES / "adult_holdout.csv")
    frame.to_parquet(tmp_path / "holdout.parquet", index=False)
    for path in (FIXTURES / "adult_holdout.csv", tmp_path / "holdout.parquet"):
        table = load_table(path, "holdout")
        assert table.sha256 == fingerprint_file(path)
        reference = (pd.read_parquet(path) if path.suffix == ".parquet"
                     else pd.read_csv(path, low_memory=False))
        assert_same_frame(reference, table.frame)
