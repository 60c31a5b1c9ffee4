"""Page 1 says how many columns were audited, which were left out and why, and how many
members' rows and values were found verbatim in the release (counts only, never values)."""
from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd
import pytest

import synthcheck
from synthcheck.certificate.render import Issuance, build_context, render_html

pytestmark = pytest.mark.slow  # whole audits (the quick loop is -m 'not slow')

ISSUANCE = Issuance("Test Issuer Ltd", "AB:" * 31 + "CD",
                    dt.datetime(2026, 5, 14, 10, 0, tzinfo=dt.timezone.utc), "sc-test-1")


def test_page_one_shows_columns_left_out_and_copies(adult):
    train = adult["train"].assign(email=[f"m{i}@example.org" for i in range(1500)])
    holdout = adult["holdout"].assign(email=[f"n{i}@example.org" for i in range(1500)])
    release = pd.concat([adult["population"].head(1495).assign(
        email=[f"p{i}@example.org" for i in range(1495)]), train.tail(5)], ignore_index=True)
    result = synthcheck.audit(train, holdout, synthetic=release, id_column="person_id",
                              attacks=["exact-copy"])
    html = render_html(build_context(result.results, ISSUANCE), "pdf")
    first = html[:html.index("Measured leakage")]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", first))
    assert "Columns audited: 15" in text
    assert "email (id-like: almost every value is distinct" in text
    assert re.search(r"Exact copies of rows \(all 15 audited columns\) 5 of 1,500 0 of 1,500 0\.0097",
                     text), text
    assert re.search(r"Values of email 5 of 1,500 0 of 1,500", text)
    assert result.verdict == "FAIL"
    for value in train["email"].tail(5).tolist() + train["person_id"].tail(5).tolist():
        assert value not in html
    assert np.isfinite(result.document["copies"]["rows"]["p_value"])
