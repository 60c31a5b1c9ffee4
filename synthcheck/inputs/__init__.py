"""Reading and checking the real and synthetic tables: files, fingerprints, column types,
validation, and the one rule that says when two rows are the same record."""

#: The inputs a certificate fingerprints and verify checks, in the order it lists them.
INPUT_ROLES = ("train", "holdout", "synthetic")
#: Inputs an audit may have had (``--reference``); certified, and checked, when it had them.
OPTIONAL_INPUT_ROLES = ("reference",)


def certified_roles(results) -> tuple[str, ...]:
    """The roles an audit's results (an ``AuditResults`` or its JSON dict) fingerprint: the
    three always, an optional one when the audit had it."""
    inputs = results.get("inputs") if isinstance(results, dict) else results.inputs
    inputs = inputs or {}

    def present(role: str) -> bool:
        return bool(inputs.get(role) if isinstance(inputs, dict) else getattr(inputs, role, None))

    return INPUT_ROLES + tuple(r for r in OPTIONAL_INPUT_ROLES if present(r))
