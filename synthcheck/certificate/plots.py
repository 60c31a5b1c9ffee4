"""The certificate's figures, drawn from the results' small summaries only.

Every function takes a part of the results dict (curves and histograms whose sizes do not grow
with the number of records) and returns an SVG ``data:`` URI for the template. Matplotlib is
imported on first use and used without pyplot (no global backend or figure state is touched),
and the SVG is made deterministic (no date, fixed element ids) so the same results draw the
same figure.
"""
from __future__ import annotations

import base64
import contextlib
import functools
import io
import math
from collections.abc import Mapping, Sequence

#: Longest series a figure accepts. Summaries are meant to be a few hundred points; anything
#: near this size means per-record data reached the renderer, which must not happen.
MAX_POINTS = 20_000

MEMBER_COLOUR = "#c2410c"
NON_MEMBER_COLOUR = "#1d4ed8"
ATTACK_COLOURS = ("#c2410c", "#1d4ed8", "#15803d", "#7e22ce", "#a16207", "#0f766e")


_STYLE = {
    "svg.hashsalt": "synthcheck",
    "svg.fonttype": "path",
    "font.size": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def _figure(width: float, height: float, rows: int | None = None, columns: int | None = None):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height))
    if rows is None:
        return fig, fig.subplots()
    return fig, fig.subplots(rows, columns, squeeze=False)


def _styled(draw):
    """Run a drawing function under the certificate's matplotlib style (rcParams apply when
    artists are created and when the SVG is written, so the whole function runs inside)."""
    @functools.wraps(draw)
    def wrapper(*args, **kwargs):
        with _style():
            return draw(*args, **kwargs)

    return wrapper


@contextlib.contextmanager
def _style():
    import matplotlib

    with matplotlib.rc_context(_STYLE):
        yield


# -- figures ------------------------------------------------------------------------------------


@_styled
def roc_curves(attacks: Mapping[str, Mapping], non_members: int) -> str:
    """ROC curves of every attack on log-log axes, with the random-guess diagonal."""
    fig, ax = _figure(6.4, 3.9)
    floor = _log_floor(non_members)
    ax.plot([floor, 1], [floor, 1], color="#6b7280", linestyle="--", linewidth=1,
            label="random guess")
    for index, (name, attack) in enumerate(attacks.items()):
        roc = attack["curves"]["roc"]
        fpr, tpr = _series(roc["fpr"], f"{name} ROC fpr"), _series(roc["tpr"], f"{name} ROC tpr")
        if len(fpr) != len(tpr):
            raise ValueError(f"attack {name}: ROC fpr and tpr differ in length")
        points = [(max(f, floor), max(t, floor)) for f, t in zip(fpr, tpr) if f > 0 or t > 0]
        if not points:
            continue
        xs, ys = zip(*points)
        ax.step(xs, ys, where="post", color=ATTACK_COLOURS[index % len(ATTACK_COLOURS)],
                linewidth=1.6, label=name)
    for target in (0.001, 0.01, 0.1):
        if target >= floor:
            ax.axvline(target, color="#d1d5db", linewidth=0.8, zorder=0)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(floor, 1)
    ax.set_ylim(floor, 1)
    ax.set_xlabel("false positive rate (non-members flagged)")
    ax.set_ylabel("true positive rate (members flagged)")
    ax.set_title("ROC curves, log-log (grey lines: FPR 0.1 %, 1 %, 10 %)", fontsize=10)
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    return _finish(fig)


@_styled
def score_histograms(attacks: Mapping[str, Mapping]) -> str:
    """Member vs non-member score distributions, one panel per attack."""
    count = max(len(attacks), 1)
    columns = min(count, 4)
    rows = -(-count // columns)
    fig, axes = _figure(6.4, 2.2 * rows, rows=rows, columns=columns)
    for ax, (name, attack) in zip(axes.flat, attacks.items()):
        hist = attack["curves"]["score_histogram"]
        _histogram(ax, hist, [("members", "members", MEMBER_COLOUR),
                              ("non_members", "non-members", NON_MEMBER_COLOUR)], name)
        ax.set_title(name, fontsize=9)
    for ax in list(axes.flat)[len(attacks):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7, frameon=False)
    axes.flat[0].set_ylabel("share of records", fontsize=7)
    fig.supxlabel("attack score (higher = more member-like)", fontsize=7)
    return _finish(fig)


@_styled
def distance_histogram(summary: Mapping) -> str:
    """Distances to the closest synthetic record: train (members) vs holdout (non-members)."""
    fig, ax = _figure(3.1, 2.5)
    _histogram(ax, summary, [("train", "train (members)", MEMBER_COLOUR),
                             ("holdout", "holdout (non-members)", NON_MEMBER_COLOUR)],
               "distance_to_synthetic")
    edges = summary["edges"]
    if len(edges) > 2 and edges[0] > 0 and abs(edges[2] / edges[1] - edges[1] / edges[0]) < 1e-6 * edges[1] / edges[0]:
        ax.set_xscale("log")  # log-spaced bins: near-copies sit far to the left
    ax.set_title("Distance to closest synthetic record", fontsize=9)
    ax.set_xlabel("distance", fontsize=7)
    ax.set_ylabel("share of records", fontsize=7)
    ax.legend(fontsize=7, frameon=False)
    return _finish(fig)


@_styled
def risk_histogram(summary: Mapping) -> str:
    """Per-record risk: each record's score percentile among non-members."""
    fig, ax = _figure(3.1, 2.5)
    _histogram(ax, summary, [("members", "members", MEMBER_COLOUR),
                             ("non_members", "non-members", NON_MEMBER_COLOUR)], "risk")
    ax.set_title("Per-record risk percentile", fontsize=9)
    ax.set_xlabel("score percentile among non-members", fontsize=7)
    ax.set_ylabel("share of records", fontsize=7)
    ax.legend(fontsize=7, frameon=False)
    return _finish(fig)


# -- helpers -------------------------------------------------------------------------------------


def _histogram(ax, hist: Mapping, series, what: str) -> None:
    edges = _series(hist["edges"], f"{what} edges")
    if len(edges) < 2:
        ax.text(0.5, 0.5, "no data", ha="center", va="center", transform=ax.transAxes)
        return
    for key, label, colour in series:
        counts = _series(hist[key], f"{what} {key}")
        if len(counts) != len(edges) - 1:
            raise ValueError(f"{what}: '{key}' has {len(counts)} bins for {len(edges)} edges")
        total = float(sum(counts))
        shares = [c / total if total else 0.0 for c in counts]
        ax.stairs(shares, edges, color=colour, linewidth=1.4, label=label,
                  fill=False)
        ax.stairs(shares, edges, color=colour, alpha=0.12, fill=True)
    ax.tick_params(labelsize=7)


def _series(values: Sequence, what: str) -> list[float]:
    if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
        raise TypeError(f"{what}: expected a list of numbers")
    if len(values) > MAX_POINTS:
        raise ValueError(f"{what}: {len(values)} points; the certificate draws summaries, not "
                         f"per-record data (at most {MAX_POINTS} points)")
    return [float(v) for v in values]


def _log_floor(non_members: int) -> float:
    """Smallest FPR worth showing: one non-member, but never below 1e-5."""
    return max(1e-5, 10 ** _floor_log10(1 / max(non_members, 1)))


def _floor_log10(x: float) -> int:
    return math.floor(math.log10(x))


def _finish(fig) -> str:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
