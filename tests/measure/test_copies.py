"""The worst case the copies block reports whatever the verdict: members' whole records that no
other real record shares, found verbatim in the release (a hand-made table, counts by hand)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from synthcheck.measure.copies import unique_rows_check


def test_unique_rows_are_counted_only_when_no_other_real_record_shares_them():
    candidates = pd.DataFrame({"age": [30.0, 41.0, 41.0, 55.0, 62.0, np.nan],
                               "job": ["pilot", "clerk", "clerk", "nurse", "baker", "cook"]})
    is_member = np.array([True, True, False, True, False, False])
    # the release holds the pilot (unique member), one clerk row (shared by a member and a
    # non-member: it names nobody), the baker (unique non-member) and the cook with a blank age
    release = pd.DataFrame({"age": [30.0, 41.0, 62.0, np.nan, 99.0],
                            "job": ["pilot", "clerk", "baker", "cook", "nurse"]})
    found = unique_rows_check(candidates, release, is_member)
    assert (found["members"], found["members_found"]) == (2, 1)  # pilot, nurse; pilot found
    assert (found["non_members"], found["non_members_found"]) == (2, 2)  # baker, cook
    assert found["columns"] == 2
    # members whose row is also a dropped holdout row are left out, as the rows check does
    left_out = unique_rows_check(candidates, release, is_member,
                                 counted=np.array([False, True, True, True, True, True]))
    assert (left_out["members"], left_out["members_found"]) == (1, 0)
