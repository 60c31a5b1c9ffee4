"""One source of randomness: ``rng(seed, stream)`` with named streams.

Every random choice in synthcheck draws from a generator named for what it decides, so two
choices never share a stream by accident and a new one never shifts another's numbers. The
integers below are the streams' identities (they were scattered as hex salts before; kept so the
same seed reproduces the same audit). Add a stream here, never a literal salt in a module.
"""
from __future__ import annotations

import numpy as np

__all__ = ["STREAMS", "fixed_rng", "rng", "seed_for"]

STREAMS: dict[str, int] = {
    "candidates": 0x5A3,         # stratified sample of records to score (--max-candidates)
    "folds": 0xF01D,             # cross-fitting folds of the holdout
    "density-classifier": 0xD0,  # the density-ratio classifier's subsample and fit
    "shadow-queries": 0x9E7,     # the shadow attack's random attribute queries
    "query-match": 0x0B1D,       # the query-match attack's pairs and triples of columns
    "shadow-pair": 0x5AD0,       # which pool rows each pair of shadows trains on (with the pair)
    "shadow-fit": 0xF17,         # per-shadow generator fit (after "shadow-pair", with k)
    "release": 0x5E1EA5E,        # the release sampled by synthcheck from a generator
    "approx-recall-tuning": 0x7E57,  # queries that tune the approximate search's probes
    "approx-train": 0x1F,        # training points of the approximate index
    "approx-recall": 0xACC,      # queries whose recall against exact search is measured
    "neighbour-order": 0x5EED,   # tie order in the neighbour search (seed-independent)
    "epsilon": 0xE95,            # balancing and tie-breaking of the one-run epsilon audit
    "tpr-ties": 0x7135,          # random tie-break of the TPR upper bound (seed-independent)
    "benchmark-leak": 0x1EA4,    # benchmarks: leaky releases
    "attribution": 0xA77,        # records re-scored for column attribution
    "risk-ties": 0x71E5,         # random tie-break of the risk percentile (seed-dependent)
    "edpb": 0xED9B,              # EDPB risks: records sampled, singling-out predicates
    "twins": 0x7715,             # permutations of the holdout-twins test (measure.twins)
    "canaries": 0xCA1A,          # canary records and their inclusion coins (canary audit)
    "canary-fit": 0xCAF1,        # the canary audit's generator fit and sample
}


def _stream(stream: str) -> int:
    try:
        return STREAMS[stream]
    except KeyError:
        raise ValueError(f"unknown random stream {stream!r}; add it to randomness.STREAMS") from None


def rng(seed: int, stream: str) -> np.random.Generator:
    """The generator for ``stream`` under the audit's ``seed``."""
    return np.random.default_rng([seed, _stream(stream)])


def fixed_rng(stream: str) -> np.random.Generator:
    """A generator that does not depend on the audit's seed, for choices that must not change
    results (e.g. the cells of an exact search, which only affect speed)."""
    return np.random.default_rng(_stream(stream))


def seed_for(seed: int, *labels: str | int) -> int:
    """A 32-bit integer seed for code that takes one (a generator's ``random_state``, a worker
    task), depending only on ``seed`` and ``labels``: stream names, then numbers such as the
    shadow number."""
    parts = [_stream(label) if isinstance(label, str) else int(label) for label in labels]
    return int(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, *parts]).generate_state(1)[0])
