"""The compiled scan's own entry points (its results are tested through ``nearest``: the
exactness tests against a float64 brute force on real tables)."""
from __future__ import annotations

import numpy as np

from synthcheck.distance.scan import _canonical, _plain, closest_cells, warm


def test_warm_compiles_the_scan_with_the_signature_searches_use():
    """``make install`` compiles once; a search must then find the kernels already compiled
    for its argument types (one signature each: the group labels always int64), the plain scan
    and the canonical one."""
    from synthcheck.distance.neighbours import nearest

    warm()
    kernels = (_plain, _canonical, closest_cells)
    compiled = [set(kernel.signatures) for kernel in kernels]
    rng = np.random.default_rng(1)
    base = rng.normal(size=(3000, 5)).astype(np.float32)
    nearest(base[:300], base, 1, method="pruned")
    nearest(base[:300], base, 2, method="pruned",
            groups=(rng.integers(0, 3, 300), rng.integers(0, 3, 3000)))
    nearest(base[:300], base, 1, method="pruned", lowest_of_ties=True)
    assert [set(kernel.signatures) for kernel in kernels] == compiled
    assert [len(signatures) for signatures in compiled] == [1, 1, 1]
