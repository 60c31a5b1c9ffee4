"""Generators the tool can fit and sample: SDV synthesizers by name, or any ``module:callable``.

A generator is given as a *spec* (a name and JSON parameters), never as a fitted object: every
process that needs one (the release, each shadow fit in a joblib or Dask worker) builds a fresh
instance from the spec, so nothing unpicklable or stateful travels between processes.

* ``sdv:<SynthesizerName>`` — an SDV single-table synthesizer (GaussianCopula, CTGAN, TVAE,
  CopulaGAN; with or without the ``Synthesizer`` suffix), parameters passed to its constructor.
  Column types come from synthcheck's ``ColumnTypes`` (see ``sdv_adapter``).
* ``module:callable`` — ``callable(**params)`` returns an object with ``fit(DataFrame)`` and
  ``sample(n) -> DataFrame``. If the callable takes ``random_state`` (or ``seed``) and the
  parameters do not set it, synthcheck passes its own seed.
* From Python, a callable (a class or factory function) instead of the string, or an SDV
  synthesizer instance, fitted or not: it is cloned by class and ``get_parameters()`` (see
  ``sdv_adapter.instance_spec``) for the release and every shadow fit; its fitted state is
  never used, so the release is fitted on train like any other.

``prepare_release`` is the pipeline's hook: it checks the spec, makes the release when no
synthetic table is given, and returns the ``GeneratorSetup`` the shadow attack runs from.
"""
from __future__ import annotations

import importlib
import inspect
import json
import os
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from synthcheck.errors import InputError
from synthcheck.generators.sdv_adapter import instance_spec, is_synthesizer, is_synthesizer_class
from synthcheck.inputs.columns import ColumnTypes
from synthcheck.inputs.load import Table
from synthcheck.support.randomness import seed_for

SDV_PREFIX = "sdv:"
_SEED_PARAMETERS = ("random_state", "seed")


DEFAULT_SHADOWS = 32  # shadow fits when the user does not say
MIN_SHADOWS = 4  # fewer cannot fit per-record in/out Gaussians


@dataclass(frozen=True)
class GeneratorSpec:
    """How to build a fresh, unfitted generator: picklable, re-creatable in any worker."""

    name: str  # "sdv:GaussianCopulaSynthesizer", "pkg.module:make", or a callable's qualified name
    params: dict = field(default_factory=dict)
    factory: Callable | None = None  # a Python callable given through the API, else None
    column_kinds: tuple = ()  # ((column, kind), ...) from ColumnTypes, for SDV metadata
    datetime_formats: tuple = ()  # ((column, format), ...)

    def describe(self) -> dict:
        return {"name": self.name, "params": dict(self.params)}

    def build(self, seed: int | None = None) -> Any:
        """A new unfitted generator. Raises InputError if it cannot be made or lacks the
        methods synthcheck calls."""
        if self.name.startswith(SDV_PREFIX) and self.factory is None:
            from synthcheck.generators.sdv_adapter import SdvGenerator

            instance = SdvGenerator(self.name[len(SDV_PREFIX):], self.params,
                                    dict(self.column_kinds), dict(self.datetime_formats))
        else:
            factory = self.factory or _import_callable(self.name)
            params = dict(self.params)
            if seed is not None:
                accepted = _seed_parameter(factory)
                if accepted and accepted not in params:
                    params[accepted] = seed
            try:
                instance = factory(**params)
            except TypeError as error:
                raise InputError(f"generator '{self.name}' rejected its parameters: {error}") from None
        missing = [m for m in ("fit", "sample") if not callable(getattr(instance, m, None))]
        if missing:
            raise InputError(f"generator '{self.name}' made a {type(instance).__name__} without "
                             f"{' and '.join(m + '()' for m in missing)}; a generator needs "
                             "fit(DataFrame) and sample(n) -> DataFrame")
        return instance


def _seed_parameter(factory: Callable) -> str | None:
    try:
        parameters = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return None
    return next((name for name in _SEED_PARAMETERS if name in parameters), None)


def _import_callable(name: str) -> Callable:
    module_name, _, attribute = name.partition(":")
    if not module_name or not attribute:
        raise InputError(f"generator '{name}' is neither sdv:<SynthesizerName> nor "
                         "module:callable")
    try:
        target: Any = importlib.import_module(module_name)
    except ImportError as error:
        raise InputError(f"generator '{name}': cannot import module '{module_name}' "
                         f"({error})") from None
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise InputError(f"generator '{name}': module '{module_name}' has no '{attribute}'")
        target = getattr(target, part)
    if not callable(target):
        raise InputError(f"generator '{name}': '{attribute}' is not callable")
    return target


def read_params(params: dict | str | os.PathLike | None,
                name: str = "generator_params") -> dict:
    """Generator parameters: a dict, inline JSON (``{"epochs": 300}``) or the path of a JSON
    file holding one object; values must be JSON values so the certificate can record them."""
    if params is None:
        return {}
    value = params
    if isinstance(value, dict):
        document, source = value, None
    elif isinstance(value, (str, os.PathLike)):
        document, source = _read_json_object(value, name)
    else:
        raise InputError(f"must be a dict, inline JSON or a JSON file, got a {type(value).__name__}",
                         parameter=name)
    if not isinstance(document, dict) or not all(isinstance(k, str) for k in document):
        raise InputError('must be a JSON object ({"name": value, ...})', source=source,
                         parameter=name)
    try:
        json.dumps(document)
    except (TypeError, ValueError):
        raise InputError("values must be JSON values (numbers, strings, lists, objects)",
                         source=source, parameter=name) from None
    return dict(document)


def _read_json_object(value: str | os.PathLike, name: str) -> tuple[Any, str | None]:
    text = str(value)
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text), None
        except json.JSONDecodeError as error:
            raise InputError(f"is not valid JSON: {error}", parameter=name) from None
    path = Path(text)
    try:
        return json.loads(path.read_text()), text
    except FileNotFoundError:
        raise InputError("is neither inline JSON nor an existing JSON file", source=text,
                         parameter=name) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"cannot read JSON: {error}", source=text, parameter=name) from None


def make_spec(generator: Any, types: ColumnTypes, params: dict | None = None) -> GeneratorSpec:
    """Resolve what the user gave (a name, a callable or a spec) and check it builds."""
    kinds = tuple(types.kinds.items())
    formats = tuple(types.datetime_formats.items())
    params = dict(params or {})
    if isinstance(generator, GeneratorSpec):
        spec = generator
    elif isinstance(generator, str):
        name = generator.strip()
        if name.startswith(SDV_PREFIX):
            from synthcheck.generators.sdv_adapter import synthesizer_class

            name = SDV_PREFIX + synthesizer_class(name[len(SDV_PREFIX):]).__name__
        else:
            _import_callable(name)
        spec = GeneratorSpec(name, params, None, kinds, formats)
    elif is_synthesizer_class(generator):
        from synthcheck.generators.sdv_adapter import synthesizer_class

        spec = GeneratorSpec(SDV_PREFIX + synthesizer_class(generator.__name__).__name__, params,
                             None, kinds, formats)
    elif is_synthesizer(generator):
        name, instance_params, _ = instance_spec(generator)
        spec = GeneratorSpec(name, instance_params | params, None, kinds, formats)
    elif callable(generator):
        name = f"{getattr(generator, '__module__', '?')}:{getattr(generator, '__qualname__', repr(generator))}"
        spec = GeneratorSpec(name, params, generator, kinds, formats)
    else:
        raise InputError(f"must be 'sdv:<SynthesizerName>', 'module:callable', an SDV "
                         f"synthesizer or a callable, got a {type(generator).__name__}",
                         parameter="generator")
    _check_json(spec)
    spec.build(seed=0)  # fails now, with a clear message, rather than in every worker
    return spec


def _check_json(spec: GeneratorSpec) -> None:
    try:
        json.dumps(spec.params)
    except (TypeError, ValueError):
        raise InputError(f"generator '{spec.name}': parameters must be JSON values") from None


def fit_and_sample(spec: GeneratorSpec, training: pd.DataFrame, rows: int, seed: int
                   ) -> pd.DataFrame:
    """Build a fresh generator, fit it on ``training`` and sample ``rows`` rows, with every
    random source seeded from ``seed`` alone. The caller's global random state is restored."""
    numpy_state, python_state = np.random.get_state(), random.getstate()
    torch = sys.modules.get("torch")
    torch_state = torch.random.get_rng_state() if torch is not None else None
    try:
        np.random.seed(seed)
        random.seed(seed)
        generator = spec.build(seed=seed)
        torch = sys.modules.get("torch")  # building an SDV synthesizer may import it
        if torch is not None:
            torch.manual_seed(seed)
        generator.fit(training.copy())
        if hasattr(generator, "set_sampling_seed"):
            generator.set_sampling_seed(seed)
        sampled = generator.sample(rows)
    finally:
        np.random.set_state(numpy_state)
        random.setstate(python_state)
        if torch_state is not None:
            sys.modules["torch"].random.set_rng_state(torch_state)
    return check_sample(spec, sampled, list(training.columns), rows)


def check_sample(spec: GeneratorSpec, sampled: Any, columns: list[str], rows: int) -> pd.DataFrame:
    """The sample must be a DataFrame with exactly the training columns and ``rows`` rows."""
    if isinstance(sampled, dict) and len(sampled) == 1:  # SDV's {table: frame} form
        sampled = next(iter(sampled.values()))
    if not isinstance(sampled, pd.DataFrame):
        raise InputError(f"generator '{spec.name}': sample(n) returned a "
                         f"{type(sampled).__name__}, expected a pandas DataFrame")
    sampled = sampled.rename(columns=str)
    missing = [c for c in columns if c not in sampled.columns]
    extra = [c for c in sampled.columns if c not in set(columns)]
    if missing or extra:
        what = (f"lacks column(s) {', '.join(map(repr, missing[:5]))}" if missing
                else f"has unexpected column(s) {', '.join(map(repr, extra[:5]))}")
        raise InputError(f"generator '{spec.name}': sample(n) {what}; it must return the "
                         "training columns")
    if len(sampled) != rows:
        raise InputError(f"generator '{spec.name}': sample({rows}) returned {len(sampled)} rows")
    return sampled[columns].reset_index(drop=True)


@dataclass
class GeneratorSetup:
    """What the shadow attack needs: the spec, the pool of real records shadows train on (raw,
    as read; train rows then holdout rows, the candidates' order), how to run the fits."""

    spec: GeneratorSpec
    pool: pd.DataFrame  # raw rows of train then holdout, id column dropped
    training_rows: int  # |train|: the size of the real generator's training set
    shadows: int = DEFAULT_SHADOWS
    jobs: int = -1
    scheduler: Any = None  # a Dask scheduler address (or a distributed.Client)
    candidate_rows: Any = None  # pool positions of the scored candidates, when they are a sample
    log: Callable[[str], None] = field(default=lambda message: None, repr=False)


def _training_frame(table: Table, types: ColumnTypes) -> pd.DataFrame:
    frame = table.frame
    if types.id_column is not None and types.id_column in frame.columns:
        frame = frame.drop(columns=[types.id_column])
    return frame.reset_index(drop=True)


def prepare_release(generator: Any, train: Table, types: ColumnTypes, synthetic: Any, *,
                    seed: int, log: Callable[[str], None], holdout: Table,
                    generator_params: dict | str | os.PathLike | None = None,
                    synthetic_rows: int | None = None, shadows: int = DEFAULT_SHADOWS,
                    scheduler: Any = None, jobs: int | None = None
                    ) -> tuple[Any, GeneratorSetup, dict]:
    """Check the generator; with no synthetic table, fit it on train and sample the release.

    Returns (the release or the given synthetic table, the setup for the shadow attack, the
    results.json "generator" block).
    """
    if shadows is None:
        shadows = DEFAULT_SHADOWS
    spec = make_spec(generator, types, read_params(generator_params))
    training = _training_frame(train, types)
    info: dict = spec.describe() | {"shadows": int(shadows)}
    if is_synthesizer(generator):
        fitted = instance_spec(generator)[2]
        info["instance"] = (f"an {'already fitted' if fitted else 'unfitted'} SDV synthesizer: "
                            "cloned with its parameters for the release and each shadow fit")
    if synthetic is None:
        rows = int(synthetic_rows or len(training))
        release_seed = seed_for(seed, "release")
        log(f"fitting generator {spec.name} on train ({len(training)} rows) and sampling the "
            f"release ({rows} rows) ...")
        synthetic = fit_and_sample(spec, training, rows, release_seed)
        info |= {"release": "fitted on train and sampled by synthcheck", "release_rows": rows,
                 "release_seed": release_seed}
    else:
        info |= {"release": "given synthetic table; the generator is used for shadow fits only"}
    pool = pd.concat([training, _training_frame(holdout, types)], ignore_index=True)
    setup = GeneratorSetup(spec=spec, pool=pool, training_rows=len(training),
                           shadows=int(shadows), jobs=-1 if jobs is None else int(jobs),
                           scheduler=scheduler, log=log)
    return synthetic, setup, info


__all__ = [
    "GeneratorSetup",
    "GeneratorSpec",
    "check_sample",
    "fit_and_sample",
    "make_spec",
    "prepare_release",
    "read_params",
]
