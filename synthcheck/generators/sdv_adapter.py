"""SDV single-table synthesizers behind synthcheck's ``fit(df)`` / ``sample(n)`` contract.

SDV 2.x takes and returns ``{table_name: DataFrame}`` and needs a ``Metadata`` object. The
metadata is built from synthcheck's column types (the single source of types), not detected
from the data: detection records each column's observed range and levels, and metadata
detected on the real train table would carry those into every shadow fit. Columns synthcheck
does not audit (id-like text) are not modelled; the sample fills them with placeholders.
"""
from __future__ import annotations

import json
import warnings
from typing import Any

import pandas as pd

from synthcheck.errors import InputError
from synthcheck.inputs.columns import ISO8601

TABLE = "table"
# booleans go to SDV as categorical: the raw values may be any true/false spelling
_SDTYPES = {"numeric": "numerical", "categorical": "categorical", "boolean": "categorical",
            "datetime": "datetime"}


def _synthesizer_classes() -> dict[str, type]:
    from synthcheck.support.dependencies import require

    require("sdv", "generator")
    from sdv import single_table
    from sdv.single_table.base import BaseSingleTableSynthesizer
    return {name: value for name, value in vars(single_table).items()
            if isinstance(value, type) and issubclass(value, BaseSingleTableSynthesizer)
            and value is not BaseSingleTableSynthesizer}


def synthesizer_class(name: str) -> type:
    """The SDV single-table synthesizer called ``name`` (the Synthesizer suffix is optional)."""
    classes = _synthesizer_classes()
    for candidate in (name, name + "Synthesizer"):
        if candidate in classes:
            return classes[candidate]
    raise InputError(f"'sdv:{name}' is not an SDV single-table synthesizer; available: "
                     + ", ".join(f"sdv:{n}" for n in sorted(classes)))


def is_synthesizer(value: Any) -> bool:
    """An SDV single-table synthesizer instance (what an SDV user holds), fitted or not."""
    return (type(value).__module__.split(".")[0] == "sdv"
            and callable(getattr(value, "get_parameters", None))
            and callable(getattr(value, "fit", None)))


def is_synthesizer_class(value: Any) -> bool:
    """An SDV single-table synthesizer class (``GaussianCopulaSynthesizer`` itself): it needs
    metadata to be built, so synthcheck builds it by name with the audit's column types."""
    return (isinstance(value, type) and value.__module__.split(".")[0] == "sdv"
            and callable(getattr(value, "get_parameters", None)))


def instance_spec(instance: Any) -> tuple[str, dict, bool]:
    """(``sdv:<Class>``, its constructor parameters as JSON values, whether it was fitted): a
    recipe for fresh clones, so the release and every shadow fit start from the user's
    settings without carrying the instance (or its fitted state) between processes."""
    name = type(instance).__name__
    synthesizer_class(name)  # it must be one synthcheck can rebuild
    try:
        params = json.loads(json.dumps(instance.get_parameters()))
    except (TypeError, ValueError) as error:
        raise InputError(f"sdv:{name}: its parameters are not JSON values ({error}); pass "
                         "sdv:<Name> and generator_params instead", parameter="generator") from None
    params.pop("metadata", None)
    return f"sdv:{name}", params, bool(getattr(instance, "_fitted", False))


class SdvGenerator:
    """A fresh SDV synthesizer per fit. ``params`` go to the synthesizer's constructor."""

    def __init__(self, name: str, params: dict, column_kinds: dict[str, str],
                 datetime_formats: dict[str, str]):
        self.synthesizer_class = synthesizer_class(name)
        self.params = dict(params)
        self.column_kinds = dict(column_kinds)
        self.datetime_formats = dict(datetime_formats)
        self._synthesizer: Any = None
        self._sampling_seed: int | None = None
        self._check_params()

    def _check_params(self) -> None:
        import inspect

        accepted = inspect.signature(self.synthesizer_class.__init__).parameters
        unknown = [p for p in self.params if p not in accepted or p == "metadata"]
        if unknown:
            usable = [p for p in accepted if p not in ("self", "metadata")]
            raise InputError(f"sdv:{self.synthesizer_class.__name__} does not take parameter(s) "
                             f"{', '.join(map(repr, unknown))}; it takes {', '.join(usable)}")

    def _metadata(self, columns: list[str]):
        from sdv.metadata import Metadata

        described = {}
        for name in columns:
            kind = self.column_kinds[name]
            spec = {"sdtype": _SDTYPES[kind]}
            if kind == "datetime" and self.datetime_formats.get(name, ISO8601) != ISO8601:
                spec["datetime_format"] = self.datetime_formats[name]  # SDV reads ISO itself
            described[name] = spec
        return Metadata.load_from_dict({"tables": {TABLE: {"columns": described}}})

    def fit(self, frame: pd.DataFrame) -> SdvGenerator:
        self._columns = list(frame.columns)
        modelled = [c for c in frame.columns if c in self.column_kinds]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._synthesizer = self.synthesizer_class(self._metadata(modelled), **self.params)
            self._synthesizer.fit({TABLE: frame[modelled]})
        return self

    def set_sampling_seed(self, seed: int) -> None:
        """SDV samples from a fixed seed unless told otherwise; synthcheck gives each fit its own."""
        self._sampling_seed = int(seed)

    def sample(self, rows: int) -> pd.DataFrame:
        if self._synthesizer is None:
            raise RuntimeError("sample() before fit()")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if self._sampling_seed is not None and hasattr(self._synthesizer, "_set_random_state"):
                self._synthesizer._set_random_state(self._sampling_seed)
            sampled = self._synthesizer.sample(rows)[TABLE]
        for name in self._columns:
            if name not in sampled.columns:  # not audited (id-like): fresh placeholders
                sampled[name] = [f"synthetic-{i}" for i in range(len(sampled))]
        return sampled[self._columns]
