"""smartnoise-synth's MST at a known ε, run in its own virtual environment, as a generator
synthcheck can fit (``module:callable``): ``benchmarks.mst_venv:MstPublicDomain``.

smartnoise-synth pins old versions of its dependencies, so it is not a dependency of synthcheck
and does not go into synthcheck's environment. It lives in a venv of its own, named by
``SNSYNTH_PYTHON`` (default /work/venvs/snsynth/bin/python), made with

    python3 -m venv /work/venvs/snsynth && /work/venvs/snsynth/bin/pip install smartnoise-synth

and this module runs MST there in a subprocess: the parent (synthcheck's environment) encodes
the training frame to integer codes over a **public** domain, writes them to a temporary .npz
file, the child fits MST on the codes and samples codes back, the parent decodes them.

Why this keeps MST's guarantee. MST (McKenna et al.) is (ε, δ)-DP for add/remove-one
neighbours on a table of discrete columns whose domain is fixed in advance. smartnoise's own
preprocessing reads the domain from the data (categories seen, bounds, with ``preprocessor_eps``
spent on the bounds); here nothing about the domain comes from the private rows:

- numbers: bin edges are quantiles of the table at ``public`` (records that are not the private
  ones: the Adult population fixture), ``bins`` per column, values clipped into the outer bins,
  plus one "missing" cell;
- categories: the levels seen in ``public``, plus one "other" cell (any level not there) and one
  "missing" cell.

Each record is mapped to its codes by a fixed function of that record alone, so MST on the codes
is (ε, δ)-DP in the records, and the child is handed each column's cardinality (smartnoise's
``BinTransformer`` with bounds given, no budget spent: ``preprocessor_eps = 0``). Decoding is
post-processing: a number uniform within its bin (rounded for whole-number columns), a level by
name, "other" as the fixed string ``OTHER`` (never a private value), missing as missing.

``sample(n)`` runs the child, which fits MST with the seed given at construction and samples n
rows: the same seed gives the same noise, so every ``sample`` call samples the same fitted model
(the fit is deferred to the first sample because the child cannot hand a fitted model back).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

SNSYNTH_PYTHON = os.environ.get("SNSYNTH_PYTHON", "/work/venvs/snsynth/bin/python")
#: the decoded value of a category outside the public domain
OTHER = "__other__"
#: smartnoise's MST default δ
MST_DELTA = 1e-9
#: a child that runs longer than this is killed (seconds)
CAP = 3600


def available(python: str | None = None) -> bool:
    """Whether the snsynth environment is there (``snsynth`` imports in it)."""
    python = python or SNSYNTH_PYTHON
    if not Path(python).exists():
        return False
    done = subprocess.run([python, "-c", "import snsynth"], capture_output=True)
    return done.returncode == 0


class MstPublicDomain:
    """MST at ``epsilon`` (δ = ``delta``) on a public domain; see the module's docstring."""

    def __init__(self, epsilon: float = 1.0, public: str = "", bins: int = 16,
                 delta: float = MST_DELTA, random_state: int | None = None,
                 python: str | None = None):
        if not epsilon > 0:
            raise ValueError("epsilon must be positive")
        if not public:
            raise ValueError("public: the table the domain is read from")
        self.epsilon, self.public, self.bins = float(epsilon), public, int(bins)
        self.delta, self.random_state = float(delta), random_state
        self.python = python or SNSYNTH_PYTHON

    # -- the public domain (parent side) ---------------------------------------------------

    def _domain(self, frame):
        import pandas as pd

        path = Path(self.public)
        public = pd.read_parquet(path) if path.suffix in (".parquet", ".pq") else pd.read_csv(path)
        domain = {}
        for name in frame.columns:
            column = public[name]
            if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
                present = column.dropna().to_numpy(float)
                edges = np.unique(np.quantile(present, np.linspace(0, 1, self.bins + 1)))
                if len(edges) == 1:
                    edges = np.array([edges[0], edges[0] + 1.0])
                integral = bool(np.all(np.round(present) == present))
                domain[name] = ("number", edges, integral)  # cells: bins, then missing
            else:
                levels = sorted(column.dropna().astype(str).unique())
                domain[name] = ("category", levels, False)  # cells: levels, other, missing
        return domain

    @staticmethod
    def _cells(kind) -> int:
        what, values, _ = kind
        return len(values) if what == "number" else len(values) + 2  # bins + missing

    def _encode(self, frame) -> np.ndarray:
        import pandas as pd

        codes = np.empty((len(frame), len(self.columns_)), dtype=np.int64)
        for j, name in enumerate(self.columns_):
            what, values, _ = self.domain_[name]
            if what == "number":
                x = pd.to_numeric(frame[name], errors="coerce").to_numpy(float)
                cell = np.clip(np.searchsorted(values, x, side="right") - 1, 0, len(values) - 2)
                codes[:, j] = np.where(np.isnan(x), len(values) - 1, cell)
            else:
                index = {level: i for i, level in enumerate(values)}
                column = frame[name]
                mapped = column.astype(str).map(index).fillna(len(values)).to_numpy(np.int64)
                codes[:, j] = np.where(column.isna().to_numpy(), len(values) + 1, mapped)
        return codes

    def _decode(self, codes: np.ndarray, rng: np.random.Generator):
        import pandas as pd

        out = {}
        for j, name in enumerate(self.columns_):
            what, values, integral = self.domain_[name]
            cell = codes[:, j]
            if what == "number":
                missing = cell >= len(values) - 1
                inside = np.minimum(cell, len(values) - 2)
                x = rng.uniform(values[inside], values[inside + 1])
                if integral:
                    x = np.round(x)
                x[missing] = np.nan
                if integral and not missing.any() and pd.api.types.is_integer_dtype(
                        self.dtypes_[name]):
                    out[name] = x.astype(self.dtypes_[name])
                else:
                    out[name] = x
            else:
                labels = np.array(list(values) + [OTHER, None], dtype=object)
                out[name] = labels[np.minimum(cell, len(values) + 1)]
        return pd.DataFrame(out)

    # -- the generator -----------------------------------------------------------------------

    def fit(self, frame) -> MstPublicDomain:
        self.columns_ = list(frame.columns)
        self.dtypes_ = frame.dtypes.to_dict()
        self.domain_ = self._domain(frame)
        self.cards_ = [self._cells(self.domain_[name]) for name in self.columns_]
        self.codes_ = self._encode(frame)
        return self

    def sample(self, n: int):
        seed = 0 if self.random_state is None else int(self.random_state) % 2**32
        with tempfile.TemporaryDirectory(prefix="mst-") as folder:
            source, target = Path(folder) / "codes.npz", Path(folder) / "sample.npy"
            np.savez(source, codes=self.codes_, cards=np.array(self.cards_, dtype=np.int64))
            order = {"epsilon": self.epsilon, "delta": self.delta, "seed": seed, "rows": int(n)}
            done = subprocess.run(
                [self.python, "-P", str(Path(__file__).resolve()), "child", str(source),
                 str(target), json.dumps(order)], capture_output=True, text=True, timeout=CAP)
            if done.returncode != 0:  # the child's last line only: it never prints data
                last = (done.stderr.strip().splitlines() or ["?"])[-1]
                raise RuntimeError(f"MST child failed ({self.python}): {last[:300]}")
            codes = np.load(target)
        return self._decode(codes, np.random.default_rng([seed, 1]))


def child(source: str, target: str, order: str) -> None:
    """In the snsynth environment: fit MST on the codes, sample, save the codes."""
    import warnings

    warnings.filterwarnings("ignore")
    from snsynth import Synthesizer
    from snsynth.transform.bin import BinTransformer
    from snsynth.transform.table import TableTransformer

    order = json.loads(order)
    stored = np.load(source)
    codes, cards = stored["codes"], [int(c) for c in stored["cards"]]
    np.random.seed(order["seed"])  # MST and its sampler draw from numpy's global generator
    # each column's cells 0..k-1 as k bins over [0, k]: bounds given, nothing learnt from data
    transformer = TableTransformer([BinTransformer(bins=k, lower=0, upper=k) for k in cards])
    model = Synthesizer.create("mst", epsilon=order["epsilon"], delta=order["delta"],
                               verbose=False)
    model.fit(codes, transformer=transformer, preprocessor_eps=0.0)
    sampled = np.asarray(model.sample(order["rows"]), dtype=float)
    sampled = np.clip(np.floor(sampled), 0, np.array(cards) - 1).astype(np.int64)
    np.save(target, sampled)


if __name__ == "__main__" and len(sys.argv) == 5 and sys.argv[1] == "child":
    child(*sys.argv[2:])
