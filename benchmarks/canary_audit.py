"""Issue 16, part 4: soundness and power of the canary audit (``--canaries``).

    python -m benchmarks.canary_audit [--seeds 100] [--canaries 100,300,1000]
                                      [--generators laplace1,laplace4,noisy,interpolate]
                                      [--level 0.95] [--tvae-epochs 1000] [--first-seed 0]
                                      [--train-rows N] [--per-seed]

Train: the 1,500-row Adult fixture (synthcheck/demo_data/adult_train.csv, id dropped). Each run
makes the canaries, includes each by a fair coin, fits the generator once on train plus the
included canaries and bounds ε from the canaries at ``--level`` (the audit's code:
``generators.canaries.run_canaries`` and ``measure.canary.CanaryResult``; δ = 1/m²).

Generators:
- ``laplace1``, ``laplace4``: ``controls.LaplaceMarginals`` at ε = 1 and 4 (ε-DP, add/remove
  one record; public domain from the population fixture). Soundness: the bound may exceed the
  true ε in at most 1 - level of the runs.
- ``mst1``: smartnoise-synth's MST at ε = 1 (δ = 1e-9), run in its own venv
  (``benchmarks.mst_venv.MstPublicDomain``; ``SNSYNTH_PYTHON``), its domain from the population
  fixture, not from the data. Soundness, as for ``laplace1`` (slow: about a minute of CPU per
  fit; not in the default list).
- ``noisy``: ``controls.NoisyCopies`` (training rows with 1 % noise): not private.
- ``interpolate``: a nearest-neighbour interpolation generator (below): a training row moved a
  random fraction towards one of its 5 nearest training rows on the numbers, categories kept:
  not private. Power: claimed at ε = 1, refuted when the bound exceeds 1.
- ``copula``: SDV's GaussianCopulaSynthesizer (slow; not in the default list).
- ``cart``: synthpop-style sequential CART (``benchmarks.peer_generators.SynthpopCart``, the
  ``schneiderkamplab-py-synthpop`` package, not a dependency of synthcheck: install it, or put
  it on PYTHONPATH, to run this row; not in the default list). Not private.
- ``tvae``: SDV's TVAESynthesizer with ``--tvae-epochs`` (1,000 by default) on the 1,500-row
  table: an overfit TVAE (slow: minutes per fit; not in the default list). Not private.
Prints one line per (generator, canaries) with the bounds' median and maximum, the ceiling and
the share of runs above the true ε (soundness) or above 1 (power); ``--per-seed`` also prints
each seed's bound as it comes (a run stopped early still gives its seeds).
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from synthcheck.generators import GeneratorSpec, fit_and_sample, make_spec
from synthcheck.generators.canaries import run_canaries
from synthcheck.inputs.columns import decide_types
from synthcheck.inputs.load import load_table
from synthcheck.measure.canary import CanaryResult
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "synthcheck" / "demo_data"

TRUE_EPSILON = {"laplace1": 1.0, "laplace4": 4.0, "mst1": 1.0}
#: ``--tvae-epochs``: many epochs on a small table, so that TVAE overfits
TVAE_EPOCHS = 1000


class NearestNeighbourInterpolation:
    """SMOTE-like: a random training row moved a uniform fraction towards one of its ``k``
    nearest training rows (numbers standardised; categories must match to count as near),
    numbers interpolated, categories kept. Copies no row, yet stays next to its members."""

    def __init__(self, k: int = 5, random_state: int | None = None):
        self.k, self.random_state = k, random_state

    def fit(self, frame: pd.DataFrame) -> NearestNeighbourInterpolation:
        self.frame_ = frame.reset_index(drop=True)
        self.numbers_ = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
        values = self.frame_[self.numbers_].to_numpy(float)
        scaled = (values - np.nanmean(values, 0)) / (np.nanstd(values, 0) + 1e-12)
        others = [c for c in self.frame_.columns if c not in self.numbers_]
        codes = np.column_stack([pd.factorize(self.frame_[c].astype(str))[0] for c in others])
        self.near_ = np.empty((len(self.frame_), self.k), dtype=np.int64)
        for row in range(len(self.frame_)):  # each row's k nearest other rows, once
            distance = np.nansum((scaled - scaled[row]) ** 2, axis=1) \
                + 10.0 * (codes != codes[row]).sum(axis=1)
            distance[row] = np.inf
            self.near_[row] = np.argpartition(distance, self.k)[:self.k]
        return self

    def sample(self, n: int) -> pd.DataFrame:
        rng = np.random.default_rng(self.random_state)
        picks = rng.integers(0, len(self.frame_), n)
        mates = self.near_[picks, rng.integers(0, self.k, n)]
        share = rng.random(n)
        out = self.frame_.iloc[picks].reset_index(drop=True).copy()
        for name in self.numbers_:
            a = self.frame_[name].to_numpy(float)[picks]
            b = self.frame_[name].to_numpy(float)[mates]
            value = a + share * (b - a)
            if pd.api.types.is_integer_dtype(self.frame_[name]):
                value = np.round(value)
                if not np.isnan(value).any():
                    value = value.astype(self.frame_[name].dtype)
            out[name] = value
        return out


def spec_for(name: str, types, epochs: int = TVAE_EPOCHS) -> GeneratorSpec:
    public = str(FIXTURES / "adult_population.csv")
    if name.startswith("laplace"):
        return make_spec("synthcheck.generators.controls:LaplaceMarginals", types,
                         {"epsilon": TRUE_EPSILON[name], "public": public})
    if name == "mst1":
        return make_spec("benchmarks.mst_venv:MstPublicDomain", types,
                         {"epsilon": TRUE_EPSILON[name], "public": public})
    if name == "noisy":
        return make_spec("synthcheck.generators.controls:NoisyCopies", types)
    if name == "interpolate":
        return make_spec(NearestNeighbourInterpolation, types)
    if name == "copula":
        return make_spec("sdv:GaussianCopulaSynthesizer", types)
    if name == "cart":
        return make_spec("benchmarks.peer_generators:SynthpopCart", types)
    if name == "tvae":
        return make_spec("sdv:TVAESynthesizer", types, {"epochs": epochs})
    raise SystemExit(f"unknown generator {name}")


def clopper_pearson(above: int, runs: int, level: float = 0.95) -> tuple[float, float]:
    """The exact two-sided interval of a binomial share at ``level``."""
    from scipy.stats import beta

    tail = (1 - level) / 2
    low = 0.0 if above == 0 else float(beta.ppf(tail, above, runs - above + 1))
    high = 1.0 if above == runs else float(beta.ppf(1 - tail, above + 1, runs - above))
    return low, high


def from_logs(paths: list[str]) -> None:
    """Pool the ``--per-seed`` lines of several runs (each seed once) into one line per
    (generator, canaries): seeds, median and max bound, share above the true / claimed ε with
    its 95 % Clopper-Pearson interval."""
    import re

    line = re.compile(r"^\s+(\S+) canaries (\d+) seed (\d+): bound ([0-9.]+)")
    found: dict[tuple[str, int], dict[int, float]] = {}
    for path in paths:
        for text in Path(path).read_text().splitlines():
            match = line.match(text)
            if match:
                name, count, seed, bound = match.groups()
                found.setdefault((name, int(count)), {})[int(seed)] = float(bound)
    for (name, count), seeds in sorted(found.items()):
        bounds = np.array(list(seeds.values()))
        limit = TRUE_EPSILON.get(name, 1.0)
        above = int((bounds > limit).sum())
        low, high = clopper_pearson(above, len(bounds))
        print(f"{name} eps {limit:g}, {count} canaries: {len(bounds)} seeds "
              f"({min(seeds)}-{max(seeds)}), median {np.median(bounds):.2f}, max "
              f"{bounds.max():.2f}, above {above}/{len(bounds)} = {above / len(bounds):.2f} "
              f"[95 % CP {low:.3f}, {high:.3f}]")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--canaries", default="100,300,1000")
    parser.add_argument("--generators", default="laplace1,laplace4,noisy,interpolate")
    parser.add_argument("--level", type=float, default=0.95)
    parser.add_argument("--tvae-epochs", type=int, default=TVAE_EPOCHS)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--train-rows", type=int, default=None,
                        help="the first this many train rows only (a smaller table overfits)")
    parser.add_argument("--per-seed", action="store_true",
                        help="also print each seed's bound as it is found")
    parser.add_argument("--from-logs", nargs="+", default=None, metavar="LOG",
                        help="no run: pool the --per-seed lines of these logs")
    args = parser.parse_args(argv)
    if args.from_logs:
        from_logs(args.from_logs)
        return
    table = load_table(FIXTURES / "adult_train.csv", "train")
    types = decide_types(table, None, "person_id")
    train = table.frame.drop(columns="person_id")
    if args.train_rows is not None:
        train = train.iloc[:args.train_rows].reset_index(drop=True)
    print(f"{'generator':<12} {'true/claimed eps':>16} {'canaries':>8} {'runs':>5} "
          f"{'median':>7} {'max':>6} {'ceiling':>7} {'share above':>11}  seconds", flush=True)
    for name in args.generators.split(","):
        spec = spec_for(name, types, args.tvae_epochs)
        limit = TRUE_EPSILON.get(name, 1.0)
        for count in (int(c) for c in args.canaries.split(",")):
            bounds, ceilings, start = [], [], time.time()
            for seed in range(args.first_seed, args.first_seed + args.seeds):
                found = run_canaries(
                    lambda frame, rows, s: fit_and_sample(spec, frame, rows, s), train, types,
                    count, seed, np.random.default_rng([seed, count]), lambda message: None)
                result = CanaryResult(found.scores, found.included, None, seed)
                bounds.append(result.epsilon(args.level)[0])
                ceilings.append(result.ceiling(args.level))
                if args.per_seed:
                    print(f"  {name} canaries {count} seed {seed}: bound {bounds[-1]:.3f} "
                          f"({result.epsilon(args.level)[1]}), ceiling {ceilings[-1]:.2f}, "
                          f"{time.time() - start:.0f} s", flush=True)
            bounds = np.array(bounds)
            print(f"{name:<12} {limit:>16g} {count:>8} {args.seeds:>5} {np.median(bounds):>7.2f} "
                  f"{bounds.max():>6.2f} {np.median(ceilings):>7.2f} "
                  f"{np.mean(bounds > limit):>11.2f}  {time.time() - start:.0f}", flush=True)


if __name__ == "__main__":
    main()
