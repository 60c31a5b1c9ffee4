"""The audit's parameters, declared once: type, range, default and help of each.

``AuditParameters`` is the one table. ``synthcheck.audit()`` builds it from its keyword
arguments and the ``synthcheck audit`` command builds its options from it, so both accept the
same values and refuse the same mistakes, before any work starts, with an ``InputError``
naming the parameter (scikit-learn's ``_parameter_constraints``, in a frozen dataclass).
Nothing here imports pandas, so ``synthcheck --help`` stays fast.
"""
from __future__ import annotations

import math
import numbers
import os
from dataclasses import dataclass, field, fields
from typing import Any

from synthcheck.errors import InputError
from synthcheck.generators import DEFAULT_SHADOWS, MIN_SHADOWS
from synthcheck.inputs.validate import MIN_SYNTHETIC

GENERATOR_ONLY = ("generator_params", "synthetic_rows", "shadows", "jobs", "canaries")


def _shown(value: Any) -> str:
    """A value as the user wrote it, never ``np.int64(27)``."""
    if hasattr(value, "item") and callable(value.item):
        try:
            value = value.item()
        except (TypeError, ValueError):
            pass
    return repr(value) if isinstance(value, str) else str(value)


def _kind(value: Any) -> str:
    return type(value).__name__


class Constraint:
    """What one parameter accepts. ``check`` returns the value normalised (or raises
    ``InputError``); ``parse`` turns command-line text into a value for ``check``."""

    def check(self, name: str, value: Any) -> Any:
        raise NotImplementedError

    def parse(self, text: str) -> Any:
        return text


@dataclass(frozen=True)
class Integer(Constraint):
    low: int | None = None
    high: int | None = None
    excluded: tuple[int, ...] = ()

    def check(self, name: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise InputError(f"must be {self.describe()}, got {_shown(value)} "
                             f"(a {_kind(value)})", parameter=name)
        value = int(value)
        if ((self.low is not None and value < self.low) or (self.high is not None and value > self.high)
                or value in self.excluded):
            raise InputError(f"must be {self.describe()}, got {value}", parameter=name)
        return value

    def parse(self, text: str) -> Any:
        try:
            return int(text.strip())
        except ValueError:
            return text  # check() names the parameter and what it wants

    def describe(self) -> str:
        if self.low is not None and self.high is not None:
            text = f"an integer from {self.low} to {self.high}"
        elif self.low is not None:
            text = f"an integer >= {self.low}"
        else:
            text = "an integer"
        return text + "".join(f", not {v}" for v in self.excluded)


@dataclass(frozen=True)
class Real(Constraint):
    low: float
    high: float
    low_open: bool = False
    high_open: bool = False

    def check(self, name: str, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise InputError(f"must be a number in {self.describe()}, got {_shown(value)} "
                             f"(a {_kind(value)})", parameter=name)
        value = float(value)
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        if not (above and below):
            raise InputError(f"must be in {self.describe()}, got {value:g}", parameter=name)
        return value

    def parse(self, text: str) -> Any:
        try:
            return float(text.strip())
        except ValueError:
            return text

    def describe(self) -> str:
        return (f"{'(' if self.low_open else '['}{self.low:g}, "
                f"{self.high:g}{')' if self.high_open else ']'}")


@dataclass(frozen=True)
class Choice(Constraint):
    options: tuple[str, ...]

    def check(self, name: str, value: Any) -> str:
        if value not in self.options:
            raise InputError(f"must be one of {', '.join(self.options)}, got {_shown(value)}",
                             parameter=name)
        return value


@dataclass(frozen=True)
class Flag(Constraint):
    def check(self, name: str, value: Any) -> bool:
        if not isinstance(value, bool) and type(value).__name__ != "bool_":
            raise InputError(f"must be True or False, got {_shown(value)}", parameter=name)
        return bool(value)


@dataclass(frozen=True)
class Text(Constraint):
    def check(self, name: str, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise InputError(f"must be a non-empty string, got {_shown(value)}", parameter=name)
        return value


@dataclass(frozen=True)
class ColumnNames(Constraint):
    """Column names: a list, or one string "age,income". Whether they are audited columns is
    checked once the inputs are read (``pipeline.check_edpb_columns``)."""

    def check(self, name: str, value: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise InputError(f"must be a list of column names, got {_shown(value)}",
                             parameter=name)
        chosen = tuple(dict.fromkeys(v.strip() for v in value if v.strip()))
        if not chosen:
            raise InputError("no column named", parameter=name)
        return chosen


@dataclass(frozen=True)
class AttackNames(Constraint):
    """Attacks: registry names (a list, or one string "dcr" or "dcr,shadow") and, from Python,
    attack instances with their own parameters (each validated by ``Attack.validate``)."""

    def check(self, name: str, value: Any) -> tuple:
        from synthcheck.attacks import REGISTRY, Attack

        if isinstance(value, (str, Attack)):
            value = value.split(",") if isinstance(value, str) else [value]
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, (str, Attack))
                                                           for v in value):
            raise InputError(f"must be a list of attack names or Attack instances, got "
                             f"{_shown(value)}", parameter=name)
        chosen = tuple(v.strip() if isinstance(v, str) else v for v in value
                       if not isinstance(v, str) or v.strip())
        if not chosen:
            raise InputError("no attacks selected", parameter=name)
        unknown = [v for v in chosen if isinstance(v, str) and v not in REGISTRY]
        if unknown:
            raise InputError(f"unknown attack '{unknown[0]}'; available: {', '.join(REGISTRY)}",
                             parameter=name)
        names = [v if isinstance(v, str) else v.name for v in chosen]
        repeated = [n for i, n in enumerate(names) if n in names[:i]]
        if repeated:
            raise InputError(f"attack '{repeated[0]}' is given more than once", parameter=name)
        for attack in chosen:
            if isinstance(attack, Attack):
                attack.validate()
        return chosen


@dataclass(frozen=True)
class GeneratorParams(Constraint):
    """A dict, inline JSON (``{"epochs": 300}``) or the path of a JSON file holding one object."""

    def check(self, name: str, value: Any) -> dict:
        from synthcheck.generators import read_params

        return read_params(value, name)


@dataclass(frozen=True)
class PolicySource(Constraint):
    """A Policy, a TOML file path, TOML text or a dict; resolved (and checked) here."""

    def check(self, name: str, value: Any) -> Any:
        from synthcheck.verdict.policy import Policy, load_policy, parse_policy

        if value is None:
            return load_policy(None)
        if isinstance(value, Policy):
            return value
        if isinstance(value, dict):
            return parse_policy(value, source="<policy dict>")
        if isinstance(value, str) and "\n" in value:
            return parse_policy(value, source="<policy text>")
        if isinstance(value, (str, os.PathLike)):
            return load_policy(value)
        raise InputError(f"must be a Policy, a TOML file, TOML text or a dict, got a "
                         f"{_kind(value)}", parameter=name)


@dataclass(frozen=True)
class Anything(Constraint):
    def check(self, name: str, value: Any) -> Any:
        return value


@dataclass(frozen=True)
class Optional(Constraint):
    """None (the default, meaning "not given") or what ``inner`` accepts."""

    inner: Constraint

    def check(self, name: str, value: Any) -> Any:
        return None if value is None else self.inner.check(name, value)

    def parse(self, text: str) -> Any:
        return self.inner.parse(text)


def parameter(constraint: Constraint, default: Any, help: str) -> Any:
    return field(default=default, metadata={"constraint": constraint, "help": help})


@dataclass(frozen=True)
class AuditParameters:
    """Every parameter of an audit; constructing one checks them all (``InputError``)."""

    id_column: str | None = parameter(
        Optional(Text()), None, "column naming each record; outputs refer to records by it "
        "(default: the metadata's primary key, else row numbers)")
    drop_overlap: bool = parameter(
        Flag(), False, "drop holdout rows identical to a train row (and reference rows "
        "identical to a train or holdout row) instead of failing")
    attacks: tuple[str, ...] | None = parameter(
        Optional(AttackNames()), None, "comma-separated attack names: dcr, dcr-ratio, "
        "density-ratio, query-match, exact-copy, shadow; opt-in: neighbourhood-ratio, "
        "local-lr, combined (default: all but shadow and the opt-in ones, plus shadow with a "
        "generator); from Python also attack instances with their parameters")
    policy: Any = parameter(
        PolicySource(), None, "limits for the verdict (default: the built-in policy; see "
        "`synthcheck policy`)")
    seed: int = parameter(Integer(0, 2**32 - 1), 0, "seed for every random choice")
    confidence: float = parameter(
        Real(0.5, 1.0, high_open=True), 0.95, "confidence level of reported intervals")
    folds: int = parameter(Integer(2, 50), 5, "holdout folds for cross-fitted references")
    delta: float | None = parameter(
        Optional(Real(0.0, 1.0, high_open=True)), None,
        "delta of (epsilon, delta)-DP for the epsilon lower bound (default: 1/m^2 for the m "
        "candidates the one-run audit guesses on, twice the smaller of members and non-members)")
    density: str = parameter(
        Choice(("auto", "kde", "classifier")), "auto",
        "density-ratio estimator (auto: kernel densities on small data, a classifier at scale)")
    neighbours: str = parameter(
        Choice(("auto", "exact", "approx")), "auto",
        "nearest-neighbour search for the distance attacks: exact, or approx (faiss IVF index, "
        "recall against the exact search measured and reported); auto: exact up to 2e11 "
        "candidate x synthetic pairs, approx above")
    max_candidates: int | None = parameter(
        Optional(Integer(1)), None, "score a seeded sample of N train + holdout records, "
        "stratified by membership, for a quicker run (default: every record)")
    known_columns: tuple[str, ...] | None = parameter(
        Optional(ColumnNames()), None, "comma-separated columns an attacker is assumed to know, "
        "for the EDPB risks: singling out, linkability (these columns cut in two halves, in "
        "table order) and inference (default: every audited column)")
    secret_columns: tuple[str, ...] | None = parameter(
        Optional(ColumnNames()), None, "comma-separated columns inference tries to guess, each "
        "from the known columns other than itself (default: every audited column)")
    generator_params: dict | None = parameter(
        Optional(GeneratorParams()), None, "parameters for the generator: inline JSON such as "
        "'{\"epochs\": 300}' or a JSON file (SDV: constructor arguments; module:callable: "
        "keyword arguments)")
    synthetic_rows: int | None = parameter(
        Optional(Integer(MIN_SYNTHETIC)), None,
        "rows to sample for the release (default: as many as train)")
    shadows: int | None = parameter(
        Optional(Integer(MIN_SHADOWS)), None, f"shadow generators fitted for the shadow attack "
        f"(default {DEFAULT_SHADOWS}, at least {MIN_SHADOWS}; each is one fit of the generator)")
    canaries: int | None = parameter(
        Optional(Integer(20, 10_000)), None,
        "canary audit: make N canary records (rare categories, extreme numbers), put each in "
        "a copy of train by a fair coin, fit the generator once more on it and bound its "
        "epsilon from the canaries (one-run audit; N in [20, 10000])")
    claimed_epsilon: float | None = parameter(
        Optional(Real(0.0, math.inf, low_open=True)), None,
        "the epsilon the generator is claimed to satisfy: with --canaries the verdict FAILs "
        "('DP claim refuted') when the canary bound exceeds it (policy key claimed_epsilon)")
    jobs: int | None = parameter(
        Optional(Integer(-1, excluded=(0,))), None,
        "local processes for shadow fits (default -1: every core; 1: no subprocesses)")
    scheduler: Any = parameter(
        Optional(Anything()), None, "run the heavy passes (distances, densities, copies, "
        "shadow fits) as tasks on this Dask scheduler, e.g. tcp://host:8786, with the same "
        "results (needs synthcheck on the workers; default: this machine)")

    def __post_init__(self) -> None:
        for item in fields(self):
            checked = item.metadata["constraint"].check(item.name, getattr(self, item.name))
            object.__setattr__(self, item.name, checked)

    def check_with(self, *, generator: bool, synthetic: bool) -> None:
        """The checks that depend on which inputs were given."""
        if not generator and not synthetic:
            raise InputError("give a synthetic table or a generator", parameter="synthetic")
        if not generator:
            given = [name for name in GENERATOR_ONLY if getattr(self, name) is not None]
            if given:
                raise InputError("applies only with a generator", parameter=given[0])
            from synthcheck.attacks import REGISTRY

            needing = [a if isinstance(a, str) else a.name for a in self.attacks or ()
                       if (REGISTRY[a] if isinstance(a, str) else a).requires_generator]
            if needing:
                raise InputError(f"attack '{needing[0]}' needs a generator", parameter="attacks")
        if self.claimed_epsilon is not None and self.canaries is None:
            raise InputError("applies only with --canaries (the canary audit is what can refute "
                             "a DP claim)", parameter="claimed_epsilon")
        if self.neighbours == "approx":
            from synthcheck.support.dependencies import available, install_command

            if not available("faiss"):
                raise InputError(f"approx needs faiss, which is not installed: "
                                 f"{install_command('faiss')}", parameter="neighbours")
        if synthetic and self.synthetic_rows is not None:
            raise InputError("applies only when synthcheck samples the release (no synthetic "
                             "table given)", parameter="synthetic_rows")

    def recorded(self) -> dict:
        """The method's parameters as results.json records them."""
        return {"seed": self.seed, "confidence": self.confidence, "folds": self.folds,
                "known_columns": self.known_columns, "secret_columns": self.secret_columns,
                "delta": self.delta}


def declared(name: str) -> tuple[Constraint, Any, str]:
    """(constraint, default, help) of one parameter, for the command line."""
    item = next(f for f in fields(AuditParameters) if f.name == name)
    return item.metadata["constraint"], item.default, item.metadata["help"]


def option_name(name: str) -> str:
    return "--" + name.replace("_", "-")


def describe_parameters(indent: str = "    ") -> str:
    """The table as text, for ``help(synthcheck.audit)``."""
    import textwrap

    lines = []
    for item in fields(AuditParameters):
        lines.append(f"{indent}{item.name} (default {item.default!r})")
        lines += textwrap.wrap(item.metadata["help"], 90, initial_indent=indent * 2,
                               subsequent_indent=indent * 2)
    return "\n".join(lines) + "\n"
