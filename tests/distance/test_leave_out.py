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
