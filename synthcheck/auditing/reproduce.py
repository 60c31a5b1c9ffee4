"""``verify --reproduce``: re-run a certified audit on the buyer's files and compare.

A signature proves who issued the numbers, not that they came from the files. Audits are
deterministic, so a buyer holding train, holdout and the release can re-run the audit with the
parameters recorded in the certificate's embedded results.json and check every reported
statistic. Everything here is generic over the results: the parameters are read from the
``parameters`` block by name (any field of ``AuditParameters`` recorded there is passed back),
and the statistics are compared by walking every attack's numbers, so new parameters, attacks
and statistics are covered without changes here.

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
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synthcheck.inputs import INPUT_ROLES

#: Half a unit of the last printed digit, by statistic (leaf name); the default for the rest.
TOLERANCE = {"epsilon_lower_bound": 0.005}
DEFAULT_TOLERANCE = 0.0005
#: Parts of an attack's block that are not statistics: pictures (from the same scores),
#: free-form details (may hold timings), the description.
NOT_COMPARED = ("curves", "details", "description")
#: results["parameters"] keys that are outcomes of the run or are translated below.
MEASURED_PARAMETERS = ("neighbour_recall",)
#: Figures that aggregate over every attack: not comparable when an attack was not re-run.
OVER_ALL_ATTACKS = ("overall", "verdict", "counts.flagged")  # prefixes of paths
#: Read at the verdict's multiplicity-adjusted level, which counts the attacks the verdict
#: sees: not comparable when an attack was not re-run (the policy checks neither).
AT_VERDICT_LEVEL = ("verdict_bounds",)
#: Runtime knobs that never change results: the buyer's machine decides.
RUNTIME_ONLY = ("jobs", "scheduler", "synthetic_rows")


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


def audit_arguments(results: Mapping, *, generator: str | None) -> tuple[dict, list[str], list[str]]:
    """Keyword arguments for ``AuditParameters`` that repeat the certified audit, the attacks
    that cannot be re-run, and recorded parameters this version does not know."""
    from synthcheck.attacks import REGISTRY
    from synthcheck.auditing.parameters import AuditParameters

    fields = {f.name for f in dataclasses.fields(AuditParameters)}
    recorded = dict(results.get("parameters") or {})
    arguments: dict[str, Any] = {}
    unknown = []
    for key, value in recorded.items():
        if key in fields and key not in RUNTIME_ONLY:
            arguments[key] = value
        elif key not in MEASURED_PARAMETERS and key not in ("density_estimator", "candidates",
                                                             "attack_parameters"):
            unknown.append(key)
    # Recorded under other names: the resolved choice reproduces the "auto" that made it.
    if "density_estimator" in recorded and "density" in fields:
        arguments["density"] = recorded["density_estimator"]
    candidates = recorded.get("candidates")
    if isinstance(candidates, Mapping) and "max_candidates" in candidates:
        arguments["max_candidates"] = candidates["max_candidates"]
    inputs = results.get("inputs") or {}
    arguments["id_column"] = inputs.get("id_column")
    dropped = inputs.get("holdout_rows_dropped_as_overlap") or \
        (inputs.get("holdout") or {}).get("rows_dropped") or 0
    arguments["drop_overlap"] = dropped > 0
    policy = results.get("policy") or {}
    if policy.get("text"):
        arguments["policy"] = policy["text"]
    generator_block = results.get("generator") or {}
    attacks = list(arguments.get("attacks") or [])
    skipped = [a for a in attacks if a in REGISTRY and REGISTRY[a].requires_generator]
    if generator is not None and generator_block:
        skipped = []
        if generator_block.get("shadows") is not None:
            arguments["shadows"] = generator_block["shadows"]
        if generator_block.get("params"):
            arguments["generator_params"] = generator_block["params"]
    return arguments, skipped, unknown


def reproduce(results: Mapping, files: Mapping[str, str | Path], *, generator: str | None = None,
              metadata: str | Path | None = None,
              log: Callable[[str], None] | None = None) -> Reproduction:
    """Re-run the audit ``results`` certifies on ``files`` (train, holdout, synthetic) and
    compare every statistic; see the module docstring for what "agree" means."""
    from synthcheck.auditing import pipeline
    from synthcheck.auditing.parameters import AuditParameters
    from synthcheck.errors import InputError
    from synthcheck.support.progress import Progress

    missing = [role for role in INPUT_ROLES if role not in files]
    if missing:
        raise InputError(f"--reproduce needs --{missing[0]} (the files the certificate names)")
    say = log or (lambda message: None)
    arguments, skipped, unknown = audit_arguments(results, generator=generator)
    recorded_attacks = tuple(arguments.get("attacks") or ())
    run_attacks = tuple(a for a in recorded_attacks if a not in skipped)
    if not run_attacks:
        raise InputError("every attack of this certificate needs the generator: pass "
                         "--generator with the generator the certificate names")
    # each attack with the parameters it was constructed with (parameters.attack_parameters)
    from synthcheck.attacks import REGISTRY

    given = (results.get("parameters") or {}).get("attack_parameters") or {}
    run_attacks = tuple(REGISTRY[a](**given[a]) if a in given and a in REGISTRY else a
                        for a in run_attacks)
    parameters = AuditParameters(**(arguments | {"attacks": run_attacks}))
    parameters.check_with(generator=generator is not None, synthetic=True)
    real = pipeline.read_inputs(str(files["train"]), str(files["holdout"]), metadata,
                                parameters, say)
    release = pipeline.make_release(str(files["synthetic"]), generator, real, parameters, say)
    plan = pipeline.plan_audit(real, release, parameters, Progress(False), say)
    scored = pipeline.score(plan, say)
    copies = pipeline.find_copies(real, release, plan, scored)
    # Measure at the levels of the certified audit: the multiplicity correction counts every
    # recorded attack, re-run or not.
    recorded = tuple(REGISTRY[a]() for a in recorded_attacks if a in REGISTRY)
    full_plan = dataclasses.replace(plan, attacks=recorded or plan.attacks)
    measured = pipeline.measure(scored, full_plan, parameters, copies)
    again = pipeline.assemble(real, release, full_plan, scored, measured, parameters).results
    outcome = Reproduction(not_reproduced=list(skipped), unknown_parameters=unknown,
                           verdict=again.get("verdict"))
    for path, certified, reproduced in _pairs(results, again, skipped):
        outcome.compared += 1
        if not _agree(path, certified, reproduced):
            outcome.differences.append(Difference(path, certified, reproduced))
    return outcome


# -- comparison --------------------------------------------------------------------------------


def _pairs(certified: Mapping, again: Mapping, skipped: list[str]) -> Iterator[tuple]:
    """(path, certified, reproduced) for every compared value, statistics first (in attack
    order), then the checks, counts, inputs and verdict."""
    attacks = certified.get("attacks") or {}
    for name, block in attacks.items():
        if name in skipped:
            continue
        other = (again.get("attacks") or {}).get(name)
        if other is None:
            yield f"attacks.{name}", "present", "missing"
            continue
        leave_out = AT_VERDICT_LEVEL if skipped else ()
        yield from _walk(f"attacks.{name}", _statistics(block, leave_out),
                         _statistics(other, leave_out))
    if not skipped:
        yield from _walk("overall", certified.get("overall"), again.get("overall"))
    reasons = {(r.get("attack"), r.get("check")): r for r in again.get("verdict_reasons") or []}
    for reason in certified.get("verdict_reasons") or []:
        if skipped:
            break
        key = (reason.get("attack"), reason.get("check"))
        yield from _walk(f"policy check {key[0]} {key[1]}", _numbers_of(reason),
                         _numbers_of(reasons.get(key)))
    for path, a, b in _walk("counts", certified.get("counts"), again.get("counts")):
        if not (skipped and path.startswith(OVER_ALL_ATTACKS)):
            yield path, a, b
    yield from _walk("inputs", _without_sources(certified.get("inputs")),
                     _without_sources(again.get("inputs")))
    if not skipped:
        yield "verdict", certified.get("verdict"), again.get("verdict")


def _numbers_of(reason: Mapping | None) -> dict | None:
    """A policy check without its sentence (which repeats the numbers at 3 digits)."""
    return None if reason is None else {k: v for k, v in reason.items() if k != "reason"}


#: The order a reader meets an attack's statistics in (the rest follow by name).
READING_ORDER = ("auc", "tpr_at_fpr", "advantage", "epsilon_lower_bound", "flagged",
                 "verdict_bounds")


def _statistics(block: Mapping, leave_out: tuple = ()) -> dict:
    keys = [k for k in READING_ORDER if k in block] + sorted(k for k in block
                                                              if k not in READING_ORDER)
    return {k: block[k] for k in keys if k not in NOT_COMPARED and k not in leave_out}


def _without_sources(inputs: Any) -> Any:
    if isinstance(inputs, Mapping):
        return {k: _without_sources(v) for k, v in inputs.items() if k != "source"}
    return inputs


def _walk(path: str, certified: Any, reproduced: Any) -> Iterator[tuple]:
    if isinstance(certified, Mapping) and isinstance(reproduced, Mapping):
        first = [k for k in ("value", "low", "high") if k in certified]  # an interval
        for key in first + [k for k in certified if k not in first]:
            yield from _walk(f"{path}.{key}", certified[key], reproduced.get(key, _MISSING))
        for key in reproduced:
            if key not in certified:
                yield f"{path}.{key}", _MISSING, reproduced[key]
    elif (isinstance(certified, list) and isinstance(reproduced, list)
          and len(certified) == len(reproduced)):
        for index, (a, b) in enumerate(zip(certified, reproduced)):
            yield from _walk(f"{path}[{index}]", a, b)
    else:
        yield path, certified, reproduced


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
