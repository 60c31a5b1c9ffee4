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
def roc_curves(attacks: Mapping[str, Mapping], non_members: int, members: int | None = None) -> str:
    """ROC curves of every attack on log-log axes in percent, with the random-guess diagonal.

    The axes start at the smallest rate that can be measured: one non-member (1/non-members)
    on the FPR axis, one member on the TPR axis. Below that a curve would show steps no data
    supports, which reads like leakage.
    """
    fig, ax = _figure(6.4, 3.0)
    x_floor = 1 / max(non_members, 1)
    y_floor = 1 / max(members or non_members, 1)
    floor = min(x_floor, y_floor)
    ax.plot([floor, 1], [floor, 1], color="#6b7280", linestyle="--", linewidth=1,
            label="random guess")
    for index, (name, attack) in enumerate(attacks.items()):
        roc = attack.curves.roc
        fpr, tpr = _series(roc["fpr"], f"{name} ROC fpr"), _series(roc["tpr"], f"{name} ROC tpr")
        if len(fpr) != len(tpr):
            raise ValueError(f"attack {name}: ROC fpr and tpr differ in length")
        points = [(max(f, x_floor), max(t, y_floor)) for f, t in zip(fpr, tpr) if f > 0 or t > 0]
        if not points:
            continue
        xs, ys = zip(*points)
        ax.step(xs, ys, where="post", color=ATTACK_COLOURS[index % len(ATTACK_COLOURS)],
                linewidth=1.6, label=name)
    for target in (0.001, 0.01, 0.1):
        if target >= x_floor:
            ax.axvline(target, color="#d1d5db", linewidth=0.8, zorder=0)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(x_floor, 1)
    ax.set_ylim(y_floor, 1)
    _percent_ticks(ax.xaxis)
    _percent_ticks(ax.yaxis)
    ax.set_xlabel("false positive rate: non-members flagged (%, log scale)")
    ax.set_ylabel("true positive rate:\nmembers flagged (%, log scale)")
    ax.set_title(f"ROC curves from 1 non-member in {non_members:,} "
                 "(grey lines: FPR 0.1 %, 1 %, 10 %)", fontsize=9)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False)
    return _finish(fig)


def _percent_ticks(axis) -> None:
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis.set_major_locator(LogLocator(base=10, numticks=8))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:g}"))
    axis.set_minor_formatter(NullFormatter())


@_styled
def score_histograms(attacks: Mapping[str, Mapping]) -> str:
    """Member vs non-member score distributions, one panel per attack."""
    count = max(len(attacks), 1)
    columns = min(count, 6)  # one row up to six attacks: the page budget holds
    rows = -(-count // columns)
    fig, axes = _figure(6.4, 2.0 * rows, rows=rows, columns=columns)
    for ax, (name, attack) in zip(axes.flat, attacks.items()):
        hist = attack.curves.score_histogram
        _histogram(ax, hist, [("members", "members", MEMBER_COLOUR),
                              ("non_members", "non-members", NON_MEMBER_COLOUR)], name)
        ax.set_title(name, fontsize=9)
    for ax in list(axes.flat)[len(attacks):]:
        ax.axis("off")
    for row in axes:
        row[0].set_ylabel("share of records (%)", fontsize=7)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles[:2], labels[:2], loc="upper center", ncol=2, fontsize=7, frameon=False)
    fig.supxlabel("attack score (higher = more member-like; each attack has its own scale)",
                  fontsize=7)
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    return _finish(fig, layout=False)


@_styled
def distance_histogram(summary: Mapping) -> str:
    """Distances to the closest synthetic record: train (members) vs holdout (non-members)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    fig, ax = _figure(3.1, 2.4)
    _histogram(ax, summary, [("train", "train (members)", MEMBER_COLOUR),
                             ("holdout", "holdout (non-members)", NON_MEMBER_COLOUR)],
               "distance_to_synthetic")
    edges = summary["edges"]
    log = len(edges) > 2 and edges[0] > 0 and \
        abs(edges[2] / edges[1] - edges[1] / edges[0]) < 1e-6 * edges[1] / edges[0]
    if log:  # log-spaced bins: near-copies sit far to the left
        ax.set_xscale("log")
        decades = math.log10(edges[-1] / edges[0])
        subs = (1.0,) if decades > 3 else (1.0, 2.0, 5.0) if decades > 1 else (1.0, 2.0, 3.0, 5.0)
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=subs, numticks=12))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
    else:
        ax.locator_params(axis="x", nbins=5)
    # the encoding (encode.py): a number moves one unit per sqrt(2) standard deviations of the
    # synthetic table, a category mismatch costs one unit
    ax.set_xlabel("distance in encoding units (1 = a category mismatch\nor √2 standard "
                  f"deviations of a number){', log scale' if log else ''}", fontsize=7)
    ax.set_ylabel("share of records (%)", fontsize=7)
    ax.legend(fontsize=6.5, frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=1)
    return _finish(fig)


@_styled
def risk_histogram(summary: Mapping) -> str:
    """Per-record risk: each record's highest score percentile among non-members over attacks."""
    fig, ax = _figure(3.1, 2.4)
    _histogram(ax, summary, [("members", "members", MEMBER_COLOUR),
                             ("non_members", "non-members", NON_MEMBER_COLOUR)], "risk")
    ax.set_xlabel("highest score percentile over attacks,\namong the non-members' highest", fontsize=7)
    ax.set_ylabel("share of records (%)", fontsize=7)
    ax.legend(fontsize=6.5, frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2)
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
        shares = [100 * c / total if total else 0.0 for c in counts]
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


def _finish(fig, layout: bool = True) -> str:
    buffer = io.BytesIO()
    if layout:
        fig.tight_layout()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
