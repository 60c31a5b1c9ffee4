"""results.json: the one serialisation of ``AuditResults``, its reading back, and the audit id.

``to_document(results)`` is the JSON document (plain values); ``from_document(document)``
rebuilds the same ``AuditResults`` (``from_document(to_document(r)) == r``), also from
documents of earlier schema versions (fields they lack take their defaults or stay None).
``audit_id`` hashes the parts of a document that determine its numbers; ``verify`` recomputes
it from a certificate's embedded document. ``audit_parameters`` turns the recorded parameters
back into the checked ``AuditParameters`` that repeat the audit (``verify --reproduce``).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

# SCHEMA_VERSION, set in the package root, is the version of the document's layout: the major
# number changes when a field is removed or changes meaning, the minor when fields are added.
from synthcheck import SCHEMA_VERSION
from synthcheck.auditing.results import AuditResults
from synthcheck.support.codec import decode, encode

__all__ = ["SCHEMA_VERSION", "UnreadableResults", "audit_arguments", "audit_id", "dumps",
           "from_document", "loads", "to_document", "unknown_keys", "with_audit_id"]


#: The parts of results.json that determine every number in it: the inputs (fingerprints, rows
#: in each file, dropped and scored, the audited and excluded columns and their types), the
#: generator, every parameter, the policy, the tool version and the fingerprint recipe. The
#: audit id hashes them.
AUDIT_ID_PARTS = ("tool_version", "fingerprint_recipe", "inputs", "generator", "parameters",
                  "policy")
#: Where a file or policy was read from does not change the results.
_NOT_DETERMINING = ("source",)


class UnreadableResults(ValueError):
    """A document that is not synthcheck results this version can read (says what is wrong)."""


def to_document(results: AuditResults) -> dict:
    """The results.json document of ``results``."""
    return encode(results)


def dumps(results: AuditResults | Mapping, indent: int | None = 2) -> str:
    """results.json as text (keys sorted, so equal results give equal text)."""
    document = results if isinstance(results, Mapping) else to_document(results)
    return json.dumps(document, indent=indent, sort_keys=True, ensure_ascii=False)


def from_document(document: Mapping, unknown: list[str] | None = None) -> AuditResults:
    """The ``AuditResults`` a results.json document holds; ``UnreadableResults`` naming the
    first part that does not fit. Keys this version does not know (a later version's) are
    left out, their dotted paths appended to ``unknown`` when given."""
    if not isinstance(document, Mapping):
        raise UnreadableResults(f"results must be a JSON object, got {type(document).__name__}")
    try:
        return decode(AuditResults, document, unknown)
    except (KeyError, TypeError, ValueError) as error:
        raise UnreadableResults(f"not synthcheck results this version can read: {error}") from None


def loads(text: str) -> AuditResults:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise UnreadableResults(f"not valid JSON: {error}") from None
    return from_document(document)


def audit_id(document: Mapping) -> str:
    """``SC-`` and 16 hex digits of the SHA-256 over :data:`AUDIT_ID_PARTS` of ``document``
    (a results document, or the parts of one), in canonical JSON. ``verify`` recomputes it from
    a certificate's embedded document; two audits that differ in anything that determines their
    results (an excluded column, a dropped row, a parameter, the policy) get different ids."""
    def determining(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: determining(v) for k, v in value.items() if k not in _NOT_DETERMINING}
        if isinstance(value, list):
            return [determining(v) for v in value]
        return value

    material = encode({part: document.get(part) for part in AUDIT_ID_PARTS})
    text = json.dumps(determining(material), sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"))
    return "SC-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16].upper()


def with_audit_id(results: AuditResults) -> AuditResults:
    """``results`` with its ``audit_id`` computed from its own determining parts."""
    import dataclasses

    return dataclasses.replace(results, audit_id=audit_id(to_document(results)))


def unknown_keys(document: Mapping) -> list[str]:
    """Dotted paths of the keys in ``document`` this version does not read."""
    found: list[str] = []
    from_document(document, found)
    return found


#: Parameters that never change results: the re-running machine decides.
RUNTIME_ONLY = ("jobs", "scheduler", "synthetic_rows")


def audit_arguments(results: AuditResults, *, with_generator: bool) -> dict[str, Any]:
    """Keyword arguments for ``AuditParameters`` that repeat the audit ``results`` records:
    the method's parameters, each attack with the parameters it was constructed with, the
    resolved "auto" choices (density estimator, neighbour search), the candidate sample, the
    id column, whether overlap was dropped, the policy's text, and, ``with_generator``, the
    shadows and generator parameters. Runtime knobs (``RUNTIME_ONLY``) are the re-runner's."""
    from synthcheck.attacks import REGISTRY

    recorded = results.parameters
    given = recorded.attack_parameters
    attacks = tuple(REGISTRY[name](**dict(given[name])) if name in given and name in REGISTRY
                    else name for name in recorded.attacks)
    arguments: dict[str, Any] = {
        "seed": recorded.seed, "confidence": recorded.confidence, "folds": recorded.folds,
        "delta": None if recorded.delta_rule else recorded.delta,  # None: the rule again
        "attacks": attacks, "neighbours": recorded.neighbours,
        "id_column": results.inputs.id_column,
        "drop_overlap": (results.inputs.holdout_rows_dropped_as_overlap
                         or results.inputs.holdout.rows_dropped
                         or (results.inputs.reference.rows_dropped
                             if results.inputs.reference is not None else 0) or 0) > 0,
    }
    for name in ("known_columns", "secret_columns"):
        if getattr(recorded, name) is not None:
            arguments[name] = getattr(recorded, name)
    if recorded.density_estimator is not None:
        arguments["density"] = recorded.density_estimator
    if recorded.sampled is not None:
        arguments["max_candidates"] = recorded.sampled.max_candidates
    if results.policy.text:
        arguments["policy"] = results.policy.text
    generator = results.generator or {}
    if with_generator and generator:
        if generator.get("shadows") is not None:
            arguments["shadows"] = generator["shadows"]
        if generator.get("params"):
            arguments["generator_params"] = dict(generator["params"])
        canary = results.canary_audit
        if canary is not None:  # the canary audit: seeded, so the same canaries and coins
            arguments["canaries"] = canary.canaries
            if canary.claimed_epsilon is not None:
                arguments["claimed_epsilon"] = canary.claimed_epsilon
    return arguments
