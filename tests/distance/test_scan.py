"""The compiled scan's own entry points (its results are tested through ``nearest``: the
exactness tests against a float64 brute force on real tables)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from synthcheck.distance.scan import (
    _canonical,
    _plain,
    closest_cells,
    copies_in,
    row_hashes,
    warm,
)

ROOT = Path(__file__).resolve().parents[2]


def test_warm_compiles_the_scan_with_the_signature_searches_use():
    """``make install`` compiles once; a search must then find the kernels already compiled
    for its argument types (one signature each: the group labels always int64), the plain scan
    the canonical one,
    and the copies' hashing and matching."""
    from synthcheck.distance.neighbours import nearest

    warm()
    from synthcheck.distance.neighbours import copies_first

    kernels = (_plain, _canonical, closest_cells, row_hashes, copies_in)
    compiled = [set(kernel.signatures) for kernel in kernels]
    rng = np.random.default_rng(1)
    base = rng.normal(size=(3000, 5)).astype(np.float32)
    nearest(base[:300], base, 1, method="pruned")
    nearest(base[:300], base, 2, method="pruned",
            groups=(rng.integers(0, 3, 300), rng.integers(0, 3, 3000)))
    found = nearest(base[:300], base, 1, method="pruned", lowest_of_ties=True)
    copies_first(base[:300], base, found)
    copies_first(base[:300], base, found, (rng.integers(0, 3, 300), rng.integers(0, 3, 3000)))
    assert [set(kernel.signatures) for kernel in kernels] == compiled
    assert [len(signatures) for signatures in compiled] == [1, 1, 1, 1, 1]


@pytest.mark.slow
def test_a_search_runs_where_numba_can_write_no_cache(tmp_path):
    """A read-only install with no writable user cache: numba refuses ``cache=True`` at
    import; the scan must then compile in the process instead of breaking every import."""
    script = tmp_path / "no_cache.py"
    script.write_text(
        "import numba.core.caching as caching\n"
        "for locator in caching.CacheImpl._locator_classes:\n"
        "    locator.from_function = classmethod(lambda cls, function, path: None)\n"
        "import numpy as np\n"
        "from synthcheck.distance.neighbours import nearest\n"
        "base = np.random.default_rng(0).normal(size=(3000, 4)).astype(np.float32)\n"
        "found = nearest(base[:10], base, 1, method='pruned')\n"
        "assert (found.indices[:, 0] == np.arange(10)).all()\n"
        "print('searched')\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    assert "searched" in done.stdout
