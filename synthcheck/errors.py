"""The one exception type for user mistakes.

Everything that is the user's to fix (a file, a column, a parameter) raises ``InputError``; the
CLI turns it into one line on stderr and exit code 2. Any other exception is a bug and keeps its
traceback.
"""
from __future__ import annotations


class InputError(ValueError):
    """A problem with what the user gave us, located as precisely as we can."""

    def __init__(self, problem: str, *, source: str | None = None, column: str | None = None,
                 parameter: str | None = None):
        self.problem = problem
        self.source = source
        self.column = column
        self.parameter = parameter  # the audit() keyword; the CLI shows it as its --option
        super().__init__(self.one_line())

    def one_line(self, *, option: bool = False) -> str:
        """``source: column 'c': problem``; with ``option``, the parameter is named as the
        command-line option (``--max-candidates``), else as the Python keyword."""
        where = []
        if self.parameter is not None:
            where.append("--" + self.parameter.replace("_", "-") if option else self.parameter)
        if self.source:
            where.append(str(self.source))
        if self.column is not None:
            where.append(f"column '{self.column}'")
        prefix = ": ".join(where)
        return f"{prefix}: {self.problem}" if prefix else self.problem
