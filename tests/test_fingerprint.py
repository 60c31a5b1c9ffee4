"""Fingerprints depend on a table's content, not its file format, row or column order."""
from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd

from synthcheck.fingerprint import fingerprint_file, fingerprint_frame
from tests.conftest import FIXTURES


def recipe_from_readme(path) -> str:
    """The stand-alone recipe the README gives buyers, written out independently."""
    frame = pd.read_csv(path)
    columns = sorted(frame.columns)

    def text(value):
        if pd.isna(value):
            return ""
        if isinstance(value, (bool, np.bool_)):
            return "true" if value else "false"
        if isinstance(value, (int, float, np.integer, np.floating)):
            return str(int(value)) if float(value).is_integer() else repr(float(value))
        return str(value)

    rows = sorted(json.dumps([text(v) for v in row], ensure_ascii=False)
                  for row in frame[columns].itertuples(index=False))
    return hashlib.sha256("\n".join([json.dumps(columns)] + rows).encode()).hexdigest()


def test_matches_the_published_recipe():
    path = FIXTURES / "adult_train.csv"
    assert fingerprint_file(path) == recipe_from_readme(path)


def test_the_readme_snippet_itself_reproduces_the_fingerprint(tmp_path):
    readme = (FIXTURES.parent / "README.md").read_text()
    snippet = readme.split("## Fingerprints")[1].split("```python")[1].split("```")[0]
    namespace: dict = {}
    exec(snippet, namespace)
    frame = pd.read_csv(FIXTURES / "adult_holdout.csv")
    frame.loc[3, "workclass"] = None  # missing values too
    frame.to_parquet(tmp_path / "h.parquet")
    for path in (FIXTURES / "adult_train.csv", tmp_path / "h.parquet"):
        assert namespace["fingerprint"](str(path)) == fingerprint_file(path)


def test_same_table_in_csv_parquet_and_shuffled(tmp_path):
    frame = pd.read_csv(FIXTURES / "adult_holdout.csv")
    frame.to_parquet(tmp_path / "t.parquet")
    shuffled = frame.sample(frac=1, random_state=0)[list(reversed(frame.columns))]
    digest = fingerprint_frame(frame)
    assert fingerprint_file(tmp_path / "t.parquet") == digest
    assert fingerprint_frame(shuffled) == digest


def test_one_changed_cell_changes_the_fingerprint():
    frame = pd.read_csv(FIXTURES / "adult_holdout.csv")
    changed = frame.copy()
    changed.loc[10, "age"] += 1
    assert fingerprint_frame(changed) != fingerprint_frame(frame)
