"""The policy (limits, alpha, multiplicity) and the verdict it gives on measured results."""
