"""The data owner's report: one self-contained HTML file from an audit's results and records.

Unlike the certificate (aggregates only, for anyone), this report names real records: the
records most at risk, by id, with the columns their closest synthetic row reproduces. It says
so at the top. Everything it shows is inlined (styles, SVG figures as ``data:`` URIs); it loads
nothing when opened and runs no script, so it can be read offline and archived as one file.
"""
from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from synthcheck.auditing.results import AuditResults

TEMPLATE = "owner_report.html.j2"
STYLESHEET = "owner_report.css"
TOP_RECORDS = 20


def ranked_records(records: pd.DataFrame, attacks: list[str], top: int,
                   role: str = "train") -> pd.DataFrame:
    """The ``top`` records most at risk: highest calibrated risk percentile first, ties (many
    records above every non-member) by the attacks' mean percentile, then by row."""
    chosen = records if role == "all" else records[records["role"] == role]
    strength = chosen[[f"percentile_{a}" for a in attacks]].mean(axis=1)
    return (chosen.assign(_strength=strength)
            .sort_values(["risk_percentile", "_strength", "row"], ascending=[False, False, True])
            .head(top).drop(columns="_strength"))


def _record_rows(records: pd.DataFrame, attacks: list[str], top: int) -> list[dict]:
    rows = []
    for rank, (_, record) in enumerate(ranked_records(records, attacks, top).iterrows(), 1):
        rows.append({
            "rank": rank, "id": str(record["id"]), "role": record["role"],
            "row": int(record["row"]), "risk": float(record["risk_percentile"]),
            "percentiles": [float(record[f"percentile_{a}"]) for a in attacks],
            "flagged": bool(record["flagged"]),
            "exactly": record.get("matches_exactly") or "",
            "nearly": record.get("matches_nearly") or "",
            "to_synthetic": record.get("distance_to_synthetic"),
            "to_reference": record.get("distance_to_reference"),
        })
    return rows


def _stylesheet() -> str:
    from synthcheck.certificate.render import bundled_template_dir

    return (bundled_template_dir() / STYLESHEET).read_text(encoding="utf-8")


def build_context(results: AuditResults, records: pd.DataFrame, top: int = TOP_RECORDS) -> dict:
    from synthcheck.auditing.story import verdict_sentence
    from synthcheck.auditing.summary import attribution_lines, metrics_rows, summary_text
    from synthcheck.certificate import plots

    attacks = results.attack_names()
    counts = results.counts
    return {
        "r": results,
        "generated": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "summary": summary_text(results),
        "metrics": metrics_rows(results),
        "attribution": results.column_attribution,
        "attribution_lines": attribution_lines(results),
        # the certificate's first sentence: on a FAIL, each failing check with bound and limit
        "verdict_sentence": verdict_sentence(results),
        "attacks": attacks,
        "records": _record_rows(records, attacks, top),
        "records_total": int((records["role"] == "train").sum()),
        "has_reasons": "matches_exactly" in records.columns,
        "edpb_records": _edpb_rows(records, top),
        "figures": {
            "roc": plots.roc_curves(results.attacks, counts.non_members, counts.members),
            "scores": plots.score_histograms(results.attacks),
            "distance": plots.distance_histogram(results.summaries["distance_to_synthetic"]),
            "risk": plots.risk_histogram(results.summaries["risk"]),
            "attribution": {} if results.column_attribution is None else {
                name: plots.attribution_chart(results.column_attribution, name)
                for name in results.column_attribution.attacks},
        },
        "stylesheet": _stylesheet(),
    }


def _edpb_rows(records: pd.DataFrame, top: int) -> dict | None:
    """Members singled out (by how many of the release's predicates), linked or with secrets
    guessed: the ``top`` most singled out, and how many of each (None: not assessed)."""
    if "edpb_singled_out" not in records.columns:
        return None
    members = records[(records["role"] == "train") & records["edpb_singled_out"].notna()]
    chosen = members[(members["edpb_singled_out"] > 0) | (members["edpb_linked"] > 0)]
    ranked = chosen.sort_values(["edpb_singled_out", "edpb_linked", "edpb_secrets_inferred",
                                 "row"], ascending=[False, False, False, True]).head(top)
    return {"assessed": len(members), "singled_out": int((members["edpb_singled_out"] > 0).sum()),
            "linked": int((members["edpb_linked"] > 0).sum()),
            "rows": [{"id": str(r["id"]), "row": int(r["row"]),
                      "singled_out": int(r["edpb_singled_out"]), "linked": bool(r["edpb_linked"]),
                      "inferred": int(r["edpb_secrets_inferred"])}
                     for _, r in ranked.iterrows()]}


def _percent(value) -> str:
    return "–" if value is None else f"{100 * float(value):.3g} %"


def _number(value, digits: int = 3) -> str:
    if value is None:
        return "–"
    try:
        if pd.isna(value):
            return "–"
    except (TypeError, ValueError):
        pass
    return f"{float(value):.{digits}g}"


def render_html(results: AuditResults, records: pd.DataFrame, top: int = TOP_RECORDS) -> str:
    """The report as one HTML document (every asset inlined)."""
    import jinja2

    from synthcheck.certificate.render import bundled_template_dir

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(bundled_template_dir())),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters["pct"] = _percent
    environment.filters["num"] = _number
    return environment.get_template(TEMPLATE).render(build_context(results, records, top))


def read_audit_dir(folder: str | os.PathLike) -> tuple[AuditResults, pd.DataFrame]:
    """results.json and records.parquet of an audit's --out directory (InputError otherwise)."""
    from synthcheck.auditing.results_json import UnreadableResults, loads
    from synthcheck.errors import InputError

    folder = Path(folder)
    paths = {name: folder / name for name in ("records.parquet", "results.json")}
    for path in paths.values():
        if not path.is_file():
            raise InputError(f"no {path.name} here: give the --out directory of an audit",
                             source=str(folder))
    try:
        results = loads(paths["results.json"].read_text(encoding="utf-8"))
        records = pd.read_parquet(paths["records.parquet"])
    except (OSError, ValueError, KeyError, UnreadableResults) as error:
        raise InputError(f"cannot read the audit's output: {error}", source=str(folder)) from None
    return results, records


def write_report(results: AuditResults, records: pd.DataFrame, out: str | os.PathLike,
                 top: int = TOP_RECORDS) -> Path:
    """Write the report to ``out`` whole or not at all; returns the path."""
    import tempfile

    target = Path(out)
    html = render_html(results, records, top)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                         suffix=".tmp")
    os.close(handle)
    try:
        Path(temporary).write_text(html, encoding="utf-8")
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
