"""Nearest rows with one column left out, from one k-nearest search (synthcheck.distance.leave_out),
against a search on the encoding without the column."""
from __future__ import annotations

import numpy as np
import pytest

from synthcheck.distance.encode import MixedEncoder
from synthcheck.distance.leave_out import nearest_without_each
from synthcheck.distance.neighbours import prepare
from synthcheck.inputs.columns import coerce_table, decide_types
from synthcheck.inputs.load import load_table


@pytest.fixture(scope="module")
def encoded(adult):
    tables = {r: load_table(adult[r].head(400), r) for r in ("train", "population")}
    types = decide_types(tables["train"], None, "person_id")
    typed = {r: coerce_table(t, types) for r, t in tables.items()}
    encoder = MixedEncoder(types).fit(typed["population"], set(types.columns))
    blocks = encoder.column_blocks()
    starts = np.array([block.start for _, block in blocks])
    return encoder.transform(typed["train"]), encoder.transform(typed["population"]), blocks, starts


def squared(query: np.ndarray, rows: np.ndarray) -> np.ndarray:
    return ((query.astype(np.float64) - rows.astype(np.float64)) ** 2).sum(axis=1)


@pytest.mark.parametrize("k,cells", [(2, False), (32, False), (2, True)])
def test_every_answer_is_a_nearest_row_without_the_column(encoded, k, cells):
    """With k = 2 the proof fails for most queries, which are searched again: the answers are
    exact either way, only the share proven differs. With the base's cells prepared, the
    searches again run on those cells with the column masked, seeded by the closest of the k."""
    query, base, blocks, starts = encoded
    columns = list(range(len(blocks)))
    found, counts = nearest_without_each(query, base, starts, columns, k=k,
                                         prepared=prepare(base) if cells else None)
    assert found.shape == (len(query), len(columns))
    assert counts["proven"] + counts["searched"] == len(query) * len(columns)
    assert counts["searched"] > 0 and counts["proven"] > 0
    for position, (name, block) in enumerate(blocks):
        keep = np.ones(base.shape[1], bool)
        keep[block] = False
        every = ((query[:, None, keep].astype(np.float64) - base[None, :, keep]) ** 2).sum(-1)
        truth = every.min(axis=1)
        chosen = squared(query[:, keep], base[found[:, position]][:, keep])
        np.testing.assert_allclose(chosen, truth, rtol=1e-5, atol=1e-5, err_msg=name)


def test_equally_near_rows_give_the_lowest_row_where_proven(encoded):
    query, base, blocks, starts = encoded
    doubled = np.vstack([base, base])  # every row twice: each nearest row is tied
    found, counts = nearest_without_each(query, doubled, starts, [0, 1])
    assert counts["proven"] > 0
    # every proven answer is the first copy (a row searched again may be either)
    assert (found < len(base)).sum() >= counts["proven"]


def _encode_table(path: str, rows: int, query_rows: int, columns: int | None = None):
    """A real table's first ``rows`` rows as the base and the next ``query_rows`` as queries,
    encoded on the base (ties and missing values as the table has them)."""
    import pandas as pd

    frame = pd.read_csv(path).head(rows + query_rows)
    frame = frame.iloc[:, :columns] if columns else frame
    table = load_table(frame, "train")
    types = decide_types(table, None, None)
    typed = coerce_table(table, types)
    encoder = MixedEncoder(types).fit(typed.iloc[:rows], set(types.columns))
    blocks = encoder.column_blocks()
    starts = np.array([block.start for _, block in blocks])
    return (encoder.transform(typed.iloc[rows:]), encoder.transform(typed.iloc[:rows]), blocks,
            starts)


_ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]
_TIED = {  # heavy natural ties; missing values (loans' first 14 columns: a
    # job title, numbers, the joint-income columns mostly missing)
    "cps_ties": (str(_ROOT / "fixtures" / "cps_ties.csv.gz"), 3000, 600),
    "loans": (str(_ROOT / "fixtures" / "corpus" / "loans_train.csv.gz"), 700, 150, 14),
}


@pytest.fixture(scope="module", params=sorted(_TIED))
def tied(request):
    return _encode_table(*_TIED[request.param])


def test_the_exact_bound_is_the_largest_block_square(tied):
    """``most_added_exactly`` never falls below what a column's block adds for any base row
    (else a proof would be wrong), equals it where the base has few distinct block vectors, and
    is never looser than ``most_added``."""
    from synthcheck.distance.leave_out import _distinct_rows, most_added, most_added_exactly

    query, base, blocks, starts = tied
    exact, loose = most_added_exactly(query, base, starts), most_added(query, base, starts)
    assert (exact <= loose).all()
    tighter = 0
    for c, (name, block) in enumerate(blocks):
        diff = query[:, None, block].astype(np.float64) - base[None, :, block]
        largest = (diff ** 2).sum(axis=2).max(axis=1)
        assert (exact[:, c] >= largest * (1 - 1e-12) - 1e-12).all(), name
        if block.stop - block.start > 1 and _distinct_rows(base[:, block]) is not None:
            np.testing.assert_allclose(exact[:, c], largest, rtol=1e-12, err_msg=name)
            tighter += int((exact[:, c] < loose[:, c]).any())
    assert tighter > 0


@pytest.mark.parametrize("cells", [False, True])
def test_the_tighter_proof_finds_the_same_rows(tied, cells, monkeypatch):
    """The exact bound proves more answers from the k rows; every answer is the one the looser
    bound (most of them searched again) gives: on tables full of ties and missing values, where
    a proof's lowest equally near row and a search's could differ if a proof were wrong. Each
    answer is also a nearest row without the column (brute force, float64)."""
    from synthcheck.distance import leave_out

    query, base, blocks, starts = tied
    columns = list(range(len(blocks)))
    prepared = prepare(base) if cells else None
    found, counts = leave_out.nearest_without_each(query, base, starts, columns, k=8,
                                                   prepared=prepared)
    monkeypatch.setattr(leave_out, "most_added_exactly", leave_out.most_added)
    before, looser = leave_out.nearest_without_each(query, base, starts, columns, k=8,
                                                    prepared=prepared)
    assert counts["proven"] > looser["proven"]
    np.testing.assert_array_equal(found, before)
    for position, (name, block) in enumerate(blocks):
        keep = np.ones(base.shape[1], bool)
        keep[block] = False
        every = ((query[:, None, keep].astype(np.float64) - base[None, :, keep]) ** 2).sum(-1)
        chosen = squared(query[:, keep], base[found[:, position]][:, keep])
        np.testing.assert_allclose(chosen, every.min(axis=1), rtol=1e-5, atol=1e-5,
                                   err_msg=name)
