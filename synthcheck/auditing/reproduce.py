"""``verify --reproduce``: re-run a certified audit on the buyer's files and compare.

A signature proves who issued the numbers, not that they came from the files. Audits are
deterministic, so a buyer holding train, holdout and the release can re-run the audit with the
parameters recorded in the certificate's embedded results.json and check every reported
statistic. Both sides are ``AuditResults`` (the certificate's rebuilt from its results.json):
the parameters come back through ``results_json.audit_arguments``, and the statistics are
compared by walking the two objects field by field, so a figure or section added to the
results is compared without changes here (one an older certificate lacks is skipped).

Two numbers agree when they differ by at most half a unit of the last digit the certificate
prints (:data:`TOLERANCE`): 0.0005 for AUC, rates (printed as percent with one decimal),
advantage and policy bounds, 0.005 for ε (two decimals); counts, types, fingerprints and the
verdict must be equal. No float bit-equality is assumed, so a run on another machine (other
BLAS, other thread count) agrees too.

The shadow attack needs the generator. Without ``--generator`` it is not re-run: its numbers,
the verdict, the policy checks and the overall (strongest-attack) figures are reported as not
reproduced (the verdict's multiplicity-adjusted level counts the attacks it sees), and every
other attack's reported statistics (AUC, TPR at each FPR, advantage, ε at the level of the
full audit, flagged records) are still compared.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthcheck.auditing.results import AuditResults
from synthcheck.inputs import certified_roles

#: Half a unit of the last printed digit, by statistic (leaf name); the default for the rest.
TOLERANCE = {"epsilon_lower_bound": 0.005}
DEFAULT_TOLERANCE = 0.0005
#: Parts of an attack's block that are not statistics: pictures (from the same scores),
#: free-form details (may hold timings), the description.
NOT_COMPARED = ("curves", "details", "description")
#: Figures that aggregate over every attack: not comparable when an attack was not re-run.
OVER_ALL_ATTACKS = ("overall", "verdict", "counts.flagged")  # prefixes of paths
#: Read at the verdict's multiplicity-adjusted level, which counts the attacks the verdict
#: sees: not comparable when an attack was not re-run (the policy checks neither).
AT_VERDICT_LEVEL = ("verdict_bounds",)


@dataclass(frozen=True)
class Difference:
    path: str
    certified: Any
    reproduced: Any

    def describe(self) -> str:
        return f"{self.path}: certificate {_shown(self.certified)}, re-run {_shown(self.reproduced)}"


@dataclass
class Reproduction:
    """What the re-run found: differences (first = the one to name), what was compared, and
    what could not be reproduced."""

    differences: list[Difference] = field(default_factory=list)
    compared: int = 0
    not_reproduced: list[str] = field(default_factory=list)  # attack names
    unknown_parameters: list[str] = field(default_factory=list)
    verdict: str | None = None

    @property
    def ok(self) -> bool:
        return not self.differences


def certified_metadata(results: AuditResults, given: Any) -> Any:
    """The column metadata to re-run with: the certificate's record of what ``--metadata``
    decided (so a buyer needs only the three files), or ``given``. A metadata file given as
    well must decide the same; the first column where it does not is named (InputError)."""
    from synthcheck.errors import InputError
    from synthcheck.inputs.columns import read_metadata

    recorded = results.inputs.metadata
    if given is None:
        return None if recorded is None else {"primary_key": recorded.get("primary_key"),
                                              "columns": dict(recorded.get("columns", {}))}
    document = read_metadata(given)
    source = document.get("_source")
    if recorded is None:
        raise InputError("the certificate's audit used no metadata (its column types were "
                         "inferred); re-run without --metadata", source=source)
    mine = {name: {"sdtype": str(spec.get("sdtype", "")).strip().lower()}
            | ({"datetime_format": spec["datetime_format"]} if spec.get("datetime_format") else {})
            for name, spec in document["columns"].items() if isinstance(spec, dict)}
    theirs = {name: dict(spec) for name, spec in recorded.get("columns", {}).items()}
    for name in sorted(set(mine) | set(theirs)):
        if mine.get(name) != theirs.get(name):
            raise InputError(f"disagrees with the metadata the certificate records: "
                             f"{_spec_text(mine.get(name))} here, {_spec_text(theirs.get(name))} "
                             "certified; re-run without --metadata to use the certified one",
                             source=source, column=name)
    if document.get("primary_key") != recorded.get("primary_key"):
        raise InputError(f"disagrees with the metadata the certificate records: primary key "
                         f"{document.get('primary_key')!r} here, {recorded.get('primary_key')!r} "
                         "certified", source=source)
    return document


def _spec_text(spec: Mapping | None) -> str:
    if spec is None:
        return "not named"
    text = f"sdtype '{spec.get('sdtype')}'"
    return text + (f" with datetime_format '{spec['datetime_format']}'"
                   if spec.get("datetime_format") else "")


def reproduce(results: AuditResults, files: Mapping[str, str | Path], *,
              generator: str | None = None, metadata: str | Path | None = None,
              log: Callable[[str], None] | None = None,
              unknown_parameters: Sequence[str] = ()) -> Reproduction:
    """Re-run the audit ``results`` certifies on ``files`` (train, holdout, synthetic) and
    compare every statistic; see the module docstring for what "agree" means.
    ``unknown_parameters``: recorded parameters this version does not know (reported)."""
    from synthcheck.auditing import pipeline
    from synthcheck.auditing.parameters import AuditParameters
    from synthcheck.auditing.results_json import audit_arguments
    from synthcheck.errors import InputError

    missing = [role for role in certified_roles(results) if role not in files]
    if missing:
        raise InputError(f"--reproduce needs --{missing[0]} (the files the certificate names)")
    say = log or (lambda message: None)
    arguments = audit_arguments(results, with_generator=generator is not None)
    recorded_attacks = tuple(arguments["attacks"])
    skipped = ([] if generator is not None and results.generator else
               [_name(a) for a in recorded_attacks if _needs_generator(a)])
    run_attacks = tuple(a for a in recorded_attacks if _name(a) not in skipped)
    if results.canary_audit is not None and generator is None:
        skipped.append(CANARY)  # one more fit of the generator: not without it
    if not run_attacks:
        raise InputError("every attack of this certificate needs the generator: pass "
                         "--generator with the generator the certificate names")
    parameters = AuditParameters(**(arguments | {"attacks": run_attacks}))
    parameters.check_with(generator=generator is not None, synthetic=True)
    metadata = certified_metadata(results, metadata)
    # Measured at the levels of the certified audit: the multiplicity correction counts every
    # recorded attack, re-run or not.
    counted = tuple(a if not isinstance(a, str) else _registry()[a]() for a in recorded_attacks)
    again = pipeline.run(str(files["train"]), str(files["holdout"]), str(files["synthetic"]),
                         generator, metadata, parameters, log=say,
                         counted_attacks=counted,
                         reference=str(files["reference"]) if "reference" in files else None
                         ).results
    outcome = Reproduction(not_reproduced=list(skipped),
                           unknown_parameters=list(unknown_parameters), verdict=again.verdict)
    for path, certified, reproduced in _pairs(results, again, skipped):
        outcome.compared += 1
        if not _agree(path, certified, reproduced):
            outcome.differences.append(Difference(path, certified, reproduced))
    return outcome


#: what ``not_reproduced`` names when a certificate's canary audit is not re-run (it needs
#: the generator); its claimed-ε check then stops the verdict from being compared
CANARY = "canary audit"


def _registry() -> dict:
    from synthcheck.attacks import REGISTRY

    return REGISTRY


def _name(attack: Any) -> str:
    return attack if isinstance(attack, str) else attack.name


def _needs_generator(attack: Any) -> bool:
    kind = _registry().get(attack) if isinstance(attack, str) else attack
    return bool(kind is not None and kind.requires_generator)


# -- comparison --------------------------------------------------------------------------------


def _pairs(certified: AuditResults, again: AuditResults, skipped: list[str]) -> Iterator[tuple]:
    """(path, certified, reproduced) for every compared value, statistics first (in attack
    order), then the checks, counts, inputs and verdict."""
    for name, figures in certified.attacks.items():
        if name in skipped:
            continue
        other = again.attacks.get(name)
        if other is None:
            yield f"attacks.{name}", "present", "missing"
            continue
        leave_out = NOT_COMPARED + (AT_VERDICT_LEVEL if skipped else ())
        yield from _walk(f"attacks.{name}", figures, other, leave_out)
    if not skipped:
        yield from _walk("overall", certified.overall, again.overall)
        checks = {(c.subject, c.check): c for c in again.checks}
        for check in certified.checks:
            key = (check.subject, check.check)
            yield from _walk(f"policy check {key[0]} {key[1]}", check, checks.get(key),
                             ("reason",))  # the sentence repeats the numbers at 3 digits
    for path, a, b in _walk("counts", certified.counts, again.counts):
        if not (skipped and path.startswith(OVER_ALL_ATTACKS)):
            yield path, a, b
    yield from _walk("inputs", certified.inputs, again.inputs, ("source",))
    if certified.edpb is not None:
        yield from _walk("edpb", certified.edpb, again.edpb, ("method",))
    if certified.canary_audit is not None and CANARY not in skipped:
        yield from _walk("canary_audit", certified.canary_audit, again.canary_audit)
    if not skipped:
        yield "verdict", certified.verdict, again.verdict


def _fields(value: Any) -> dict | None:
    """A results object's fields by name, or a mapping's items (None for anything else).
    An optional field the certificate's schema version did not record yet (None) is not
    compared."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)
                if not (f.metadata.get("optional") and getattr(value, f.name) is None)}
    if isinstance(value, Mapping):
        return {(repr(k) if isinstance(k, float) else str(k)): v for k, v in value.items()}
    return None


def _walk(path: str, certified: Any, reproduced: Any, leave_out: tuple = ()) -> Iterator[tuple]:
    """Every leaf of two results objects, paired by field name (intervals' value, low, high
    first), except fields named in ``leave_out``."""
    mine, theirs = _fields(certified), _fields(reproduced)
    if mine is not None and theirs is not None:
        first = [k for k in ("value", "low", "high") if k in mine]
        for key in first + [k for k in mine if k not in first]:
            if key not in leave_out:
                yield from _walk(f"{path}.{key}", mine[key], theirs.get(key, _MISSING),
                                 leave_out)
        for key in theirs:
            if key not in mine and key not in leave_out and not _optional(reproduced, key):
                yield f"{path}.{key}", _MISSING, theirs[key]
    elif (isinstance(certified, (list, tuple)) and isinstance(reproduced, (list, tuple))
          and len(certified) == len(reproduced)):
        for index, (a, b) in enumerate(zip(certified, reproduced)):
            yield from _walk(f"{path}[{index}]", a, b, leave_out)
    else:
        yield path, certified, reproduced


def _optional(value: Any, name: str) -> bool:
    """Whether ``name`` is an optional field of the results object ``value`` (a later schema
    version's addition: a certificate without it is not missing anything)."""
    if not dataclasses.is_dataclass(value):
        return False
    return any(f.name == name and f.metadata.get("optional") for f in dataclasses.fields(value))


class _Missing:
    def __repr__(self) -> str:
        return "absent"


_MISSING = _Missing()


def _agree(path: str, certified: Any, reproduced: Any) -> bool:
    numbers = (int, float)
    if (isinstance(certified, numbers) and isinstance(reproduced, numbers)
            and not isinstance(certified, bool) and not isinstance(reproduced, bool)):
        if isinstance(certified, int) and isinstance(reproduced, int):
            return certified == reproduced
        if math.isnan(certified) or math.isnan(reproduced):
            return math.isnan(certified) and math.isnan(reproduced)
        return abs(certified - reproduced) <= tolerance(path) + 1e-12
    return certified == reproduced


def precision_text() -> str:
    """How agreement is judged, for the report."""
    return (f"to half a unit of the last printed digit: ±{DEFAULT_TOLERANCE:g} for AUC, rates, "
            f"advantage and bounds, ±{TOLERANCE['epsilon_lower_bound']:g} for ε; counts, "
            "column types and fingerprints exactly")


def tolerance(path: str) -> float:
    """Half a unit of the last digit the certificate prints for the statistic at ``path``."""
    parts = path.replace("[", ".").split(".")
    for part in reversed(parts):
        if part in TOLERANCE:
            return TOLERANCE[part]
    return DEFAULT_TOLERANCE


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return repr(value) if isinstance(value, str) else str(value)
