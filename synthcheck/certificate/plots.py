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


def _part(attack, name: str):
    """A part of an attack's figures (``AttackFigures``, or the same as plain JSON values)."""
    return attack.get(name) if isinstance(attack, Mapping) else getattr(attack, name, None)


def _auc_value(attack) -> float | None:
    auc = _part(attack, "auc")
    if auc is None:
        return None
    return float(auc["value"] if isinstance(auc, Mapping) else auc.value)


def _legend_name(name: str, attack: Mapping) -> str:
    auc = _auc_value(attack)
    return name if auc is None else f"{name} (AUC {auc:.2f})"


def _roc_points(name: str, attack: Mapping) -> tuple[list[float], list[float]]:
    curves = _part(attack, "curves")
    roc = curves["roc"] if isinstance(curves, Mapping) else curves.roc
    fpr, tpr = _series(roc["fpr"], f"{name} ROC fpr"), _series(roc["tpr"], f"{name} ROC tpr")
    if len(fpr) != len(tpr):
        raise ValueError(f"attack {name}: ROC fpr and tpr differ in length")
    return fpr, tpr


def roc_figure(attacks: Mapping[str, Mapping], non_members: int, members: int | None = None):
    """Two panels of every attack's ROC curve, in percent: linear axes (left), where an AUC of
    0.65 is plainly off the diagonal, and log-log axes (right) for the low-FPR corner.

    The log axes start at the smallest rate that can be measured: one non-member
    (1/non-members) on the FPR axis, one member on the TPR axis. Below that a curve would show
    steps no data supports, which reads like leakage. Both panels leave a margin above 100 %
    and draw curves over the frame, so a perfect attack (TPR 100 % everywhere) is a visible
    line, not hidden under the top edge. Returns a matplotlib ``Figure``.
    """
    with _style():
        fig, axes = _figure(6.4, 2.9, rows=1, columns=2)
        linear, log = axes[0]
        x_floor = 1 / max(non_members, 1)
        y_floor = 1 / max(members or non_members, 1)
        floor = min(x_floor, y_floor)
        linear.plot([0, 1], [0, 1], color="#6b7280", linestyle="--", linewidth=1,
                    label="random guess")
        log.plot([floor, 1], [floor, 1], color="#6b7280", linestyle="--", linewidth=1)
        for index, (name, attack) in enumerate(attacks.items()):
            fpr, tpr = _roc_points(name, attack)
            colour = ATTACK_COLOURS[index % len(ATTACK_COLOURS)]
            # thicker lines first, so curves lying on each other (several perfect attacks)
            # stay visible as layered colours
            width = max(0.9, 3.4 - 0.8 * index)
            linear.plot(fpr, tpr, color=colour, linewidth=width, label=_legend_name(name, attack),
                        clip_on=False, zorder=3 + index)
            points = [(max(f, x_floor), max(t, y_floor)) for f, t in zip(fpr, tpr)
                      if f > 0 or t > 0]
            if points:
                xs, ys = zip(*points)
                log.step(xs, ys, where="post", color=colour, linewidth=width, clip_on=False,
                         zorder=3 + index)
        for target in (0.001, 0.01, 0.1):
            if target >= x_floor:
                log.axvline(target, color="#d1d5db", linewidth=0.8, zorder=0)
        linear.set_xlim(0, 1)
        linear.set_ylim(0, 1.06)
        linear.set_aspect("auto")
        linear.xaxis.set_major_formatter(_percent_formatter())
        linear.yaxis.set_major_formatter(_percent_formatter())
        linear.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
        linear.set_xlabel("false positive rate (%)\nnon-members flagged", fontsize=7)
        linear.set_ylabel("true positive rate (%)\nmembers flagged", fontsize=7)
        linear.set_title("linear axes", fontsize=8)
        log.set_xscale("log")
        log.set_yscale("log")
        log.set_xlim(x_floor, 1)
        log.set_ylim(y_floor, 1.25)
        _percent_ticks(log.xaxis)
        _percent_ticks(log.yaxis)
        log.set_xlabel("false positive rate (%, log scale)\ngrey lines: 0.1 %, 1 %, 10 %",
                       fontsize=7)
        log.set_title(f"log-log axes, from 1 non-member in {non_members:,}", fontsize=8)
        for ax in (linear, log):
            ax.tick_params(labelsize=7)
        handles, labels = linear.get_legend_handles_labels()
        fig.legend(handles, labels, loc="center right", fontsize=7, frameon=False)
        fig.tight_layout(rect=(0, 0, 0.74, 1))
    return fig


@_styled
def roc_curves(attacks: Mapping[str, Mapping], non_members: int, members: int | None = None) -> str:
    """``roc_figure`` as an SVG data URI."""
    return _finish(roc_figure(attacks, non_members, members), layout=False)


def _percent_formatter():
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _: f"{100 * v:g}")


def _percent_ticks(axis) -> None:
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis.set_major_locator(LogLocator(base=10, numticks=8))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:g}"))
    axis.set_minor_formatter(NullFormatter())


PERCENTILE_BINS = 20


def percentile_shares(fpr: Sequence[float], tpr: Sequence[float],
                      bins: int = PERCENTILE_BINS) -> tuple[list[float], list[float]]:
    """Members' scores placed among the non-members' scores, from the ROC curve alone.

    A member whose score beats a share q of the non-members sits at percentile 100 q; the
    share of members above the threshold that flags a share f of non-members is TPR(f), so the
    members in percentile bin [a, b] are TPR(1 - a) - TPR(1 - b). Between the curve's points
    TPR is interpolated linearly, which is exactly a tie spread evenly over the ranks it covers
    (the ROC of tied scores is a straight segment). Non-members are flat by construction.
    Returns (percentile edges 0-100, members' percentage per bin).
    """
    import numpy as np

    edges = np.linspace(0.0, 1.0, bins + 1)
    # TPR at FPR = 1 - edge: members above that edge's percentile
    above = np.interp(1.0 - edges, np.asarray(fpr, float), np.asarray(tpr, float))
    # the outer bins hold everything: members beyond every non-member sit at percentile 100
    above[0], above[-1] = 1.0, 0.0
    shares = np.maximum(above[:-1] - above[1:], 0.0)
    return [100.0 * e for e in edges], [100.0 * s for s in shares]


def score_figure(attacks: Mapping[str, Mapping]):
    """Each attack's members placed among its non-members (percentile of the non-members'
    scores, ties spread evenly): one panel per attack, members as bars, non-members' flat
    line for comparison. Whatever an attack's scale (distances, log-odds, 0/1 copies), the
    separation it found is the members' excess at the right. Returns a matplotlib ``Figure``."""
    with _style():
        count = max(len(attacks), 1)
        columns = min(count, 6)  # one row up to six attacks: the page budget holds
        rows = -(-count // columns)
        fig, axes = _figure(6.4, (2.1 if columns >= 6 else 1.9) * rows, rows=rows, columns=columns)
        tallest = 100.0 / PERCENTILE_BINS
        panels = []
        for ax, (name, attack) in zip(axes.flat, attacks.items()):
            edges, members = percentile_shares(*_roc_points(name, attack))
            panels.append((ax, name, attack, edges, members))
            tallest = max(tallest, max(members))
        for ax, name, attack, edges, members in panels:
            ax.stairs(members, edges, color=MEMBER_COLOUR, fill=True, alpha=0.35,
                      label="members")
            ax.stairs(members, edges, color=MEMBER_COLOUR, linewidth=1.2)
            ax.stairs([100.0 / PERCENTILE_BINS] * PERCENTILE_BINS, edges,
                      color=NON_MEMBER_COLOUR, linewidth=1.2, linestyle="--",
                      label="non-members (flat by construction)")
            ax.set_xlim(0, 100)
            ax.set_ylim(0, tallest * 1.08)
            ax.set_xticks([0, 50, 100])
            ax.tick_params(labelsize=7)
            auc = _auc_value(attack)
            top = members[-1]
            # six panels leave each title ~1 inch: "AUC 0.54, top bin 6 %" on one line ran into
            # the next panel's title
            joint = "\n" if columns >= 6 else ", "
            ax.set_title(name if auc is None else f"{name}\nAUC {auc:.2f}{joint}top bin {top:.0f} %",
                         fontsize=7.5)
        for ax in list(axes.flat)[len(attacks):]:
            ax.axis("off")
        for row in axes:
            row[0].set_ylabel("share of records (%)", fontsize=7)
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles[:2], labels[:2], loc="upper center", ncol=2, fontsize=7,
                   frameon=False)
        fig.supxlabel("score as a percentile of the non-members' scores (ties spread evenly); "
                      "5 % bins", fontsize=7)
        fig.tight_layout(rect=(0, 0, 1, 0.9))
    return fig


@_styled
def score_histograms(attacks: Mapping[str, Mapping]) -> str:
    """``score_figure`` as an SVG data URI."""
    return _finish(score_figure(attacks), layout=False)


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


def attribution_figure(attribution, attack: str, most: int = 12):
    """One attack's column attribution (a ``ColumnAttribution``): each column's AUC drop when
    it is left out, with its paired interval, largest first (at most ``most`` columns);
    columns that stand out are filled. Column names only. Returns a matplotlib ``Figure``."""
    with _style():
        columns = list(attribution.attacks[attack].columns)[:most][::-1]
        fig, ax = _figure(6.4, 0.5 + 0.24 * max(len(columns), 1))
        drops = [c.auc_drop.value for c in columns]
        positions = list(range(len(columns)))
        ax.barh(positions, drops, height=0.6,
                color=[MEMBER_COLOUR if c.stands_out else "#d1d5db" for c in columns])
        ax.errorbar(drops, positions, fmt="none", ecolor="#374151", elinewidth=0.8, capsize=2,
                    xerr=[[c.auc_drop.value - c.auc_drop.low for c in columns],
                          [c.auc_drop.high - c.auc_drop.value for c in columns]])
        ax.axvline(0, color="#6b7280", linewidth=0.8)
        ax.set_yticks(positions)
        ax.set_yticklabels([c.column for c in columns], fontsize=7)
        ax.tick_params(axis="x", labelsize=7)
        ax.set_xlabel(f"{attack}: AUC drop when the column is left out (bars: paired interval; "
                      "filled: stands out)", fontsize=7)
    return _finish_layout(fig)


def _finish_layout(fig):
    with _style():
        fig.tight_layout()
    return fig


@_styled
def attribution_chart(attribution: Mapping, attack: str) -> str:
    """``attribution_figure`` as an SVG data URI."""
    return _finish(attribution_figure(attribution, attack), layout=False)


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
