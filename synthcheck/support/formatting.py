"""How numbers are written for people, in one place: the CLI summary, the policy's reasons and
the certificate use the same forms, so a figure reads the same wherever it is quoted.

Rates (TPR, FPR, advantage, levels) in percent with one decimal (two below 1 %), AUC with three
decimals, ε with two, p-values with two significant digits and ``p < 1e-05`` below the print
floor (a p-value is never printed as a smaller number than it is, nor as zero).
"""
from __future__ import annotations

import math

P_FLOOR = 1e-5  # p-values below it are printed as "p < 1e-05"


def percent(value: float | None, digits: int | None = None, space: bool = True) -> str:
    """``0.0843`` as "8.4 %", ``0.0021`` as "0.21 %", ``0`` as "0 %"; None as "–"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    number = 100 * float(value)
    if digits is None:
        digits = 2 if 0 < abs(number) < 1 else 1
    text = "0" if number == 0 else "100" if number == 100 else f"{number:.{digits}f}"
    return text + (" %" if space else "%")


def level(value: float) -> str:
    """A confidence level: "95 %", "99.72 %" (as many decimals as it needs, at most two)."""
    number = 100 * float(value)
    for digits in (0, 1, 2):
        if abs(round(number, digits) - number) < 1e-9:
            return f"{number:.{digits}f} %"
    return f"{number:.2f} %"


def auc(value: float | None) -> str:
    return "–" if value is None else f"{float(value):.3f}"


def epsilon(value: float | None) -> str:
    return "–" if value is None else f"{float(value):.2f}"


def p_value(value: float | None) -> str:
    """"p = 0.031", "p = 1" or "p < 1e-05" (never "p = 0" nor a figure below the floor)."""
    if value is None:
        return "p not computable"
    if value < P_FLOOR:
        return f"p < {P_FLOOR:.0e}"
    return f"p = {value:.2g}"


def figure(metric: str, value: float | None) -> str:
    """A value in its quantity's form: metric "auc", "tpr" (a rate), "epsilon" or "p"."""
    if metric == "tpr":
        return percent(value)
    if metric == "epsilon":
        return epsilon(value)
    if metric == "p":
        return p_value(value)
    return auc(value)


def fit(text: str, width: int = 100) -> str:
    """``text``'s lines wrapped to ``width`` columns for a CI log (continuations indented
    further, words and paths kept whole)."""
    import textwrap

    out = []
    for line in text.splitlines():
        if len(line) <= width:
            out.append(line)
            continue
        lead = " " * (len(line) - len(line.lstrip()))
        out += textwrap.wrap(line.strip(), width, initial_indent=lead,
                             subsequent_indent=lead + "    ", break_on_hyphens=False,
                             break_long_words=False)
    return "\n".join(out)
