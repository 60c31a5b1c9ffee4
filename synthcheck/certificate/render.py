"""Render the certificate PDF from the results dict (and nothing else).

The results dict holds aggregates only, and every figure is drawn from its fixed-size
summaries, so rendering costs the same for a thousand records as for a million and the PDF
cannot contain a record's values. The canonical results JSON is embedded as the attachment
``results.json`` (through weasyprint's PDF/A-3b mode, which records it as an associated file;
nothing validates PDF/A conformance, so the document claims none), and its SHA-256
is printed in the document and stored in the PDF metadata, both covered by the signature.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from synthcheck.auditing import story
from synthcheck.auditing.holdout_check import CHECK as PREMISE_CHECK
from synthcheck.auditing.results import FPR_TARGETS, AuditResults, Estimate, Side, fpr_label
from synthcheck.auditing.results_json import dumps, from_document, to_document
from synthcheck.certificate import plots
from synthcheck.inputs import certified_roles
from synthcheck.support import formatting as fmt

TEMPLATE = "certificate.html.j2"
STYLESHEET = "certificate.css"
#: Prefix under which an issuer's own template reaches the bundled one
#: (``{% extends "synthcheck/certificate.html.j2" %}``).
BUNDLED_PREFIX = "synthcheck"
ATTACHMENT_NAME = "results.json"
PDF_VARIANT = "pdf/a-3b"
#: PDF metadata keys (document information dictionary); weasyprint keeps letters and digits only.
META_RESULTS_SHA256 = "SynthcheckResultsSHA256"
META_CERTIFICATE_ID = "SynthcheckCertificateId"
META_PDF_VARIANT = "SynthcheckPdfVariant"
REQUIRED = ("schema_version", "tool_version", "audit_id", "created", "verdict",
            "verdict_reasons", "policy", "inputs", "generator", "parameters", "counts",
            "attacks", "overall", "summaries", "notes")

if TYPE_CHECKING:  # pragma: no cover
    from markupsafe import Markup

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Issuance:
    """Who issued this certificate and when: printed on page 1, not part of the results."""

    issuer: str
    issuer_fingerprint: str
    issued: dt.datetime
    certificate_id: str
    #: The signing certificate vouches for itself: nothing but a certificate the reader got
    #: from the issuer by other means says who signed (page 1 says so).
    self_signed: bool = False

    @classmethod
    def now(cls, results: AuditResults | Mapping, issuer: str, issuer_fingerprint: str,
            when: dt.datetime | None = None, self_signed: bool = False) -> Issuance:
        issued = (when or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
        issued = issued.replace(microsecond=0)
        return cls(issuer, issuer_fingerprint, issued,
                   f"{as_results(results).audit_id}-{issued:%Y%m%dT%H%M%SZ}", self_signed)


def as_results(results: AuditResults | Mapping) -> AuditResults:
    """The typed results: given, or read from a results.json document (``TypeError`` for
    anything else, ``ValueError`` for a document this version cannot read)."""
    if isinstance(results, AuditResults):
        return results
    check_results(results)
    return from_document(results)


def canonical_json(results: AuditResults | Mapping) -> str:
    """The exact text embedded as ``results.json``."""
    return dumps(to_document(as_results(results)), indent=2)


def results_digest(results: AuditResults | Mapping) -> str:
    return hashlib.sha256(canonical_json(results).encode("utf-8")).hexdigest()


def bundled_template_dir() -> Path:
    """The certificate template and stylesheet that ship with synthcheck.

    In a source checkout (and an editable install) they are the top-level ``templates/``
    beside ``synthcheck/``; an installed wheel carries the same files as
    ``synthcheck/templates/`` (pyproject maps the directory into the package).
    """
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "templates", package.parent / "templates"):
        if (candidate / TEMPLATE).is_file():
            return candidate
    raise FileNotFoundError(f"synthcheck's {TEMPLATE} is missing from {package / 'templates'} "
                            f"and {package.parent / 'templates'}; reinstall synthcheck")


def check_template_dir(template_dir: str | Path) -> Path:
    """An issuer's template directory: it must hold ``certificate.html.j2`` or
    ``certificate.css`` (whatever it lacks comes from the bundled template)."""
    from synthcheck.errors import InputError

    path = Path(template_dir)
    if not path.is_dir():
        raise InputError("template directory not found", source=str(path))
    if not any((path / name).is_file() for name in (TEMPLATE, STYLESHEET)):
        raise InputError(f"the template directory holds neither {TEMPLATE} nor {STYLESHEET}",
                         source=str(path))
    return path


def render_pdf(results: AuditResults | Mapping, issuance: Issuance,
               template_dir: str | Path | None = None) -> tuple[bytes, str]:
    """Render the unsigned certificate; return ``(pdf_bytes, pdf_variant)``.

    ``template_dir`` is an issuer's own template (see :func:`render_html`); None renders the
    bundled one. ``pdf_variant`` is ``"pdf/a-3b"``, or ``"pdf"`` when weasyprint could not
    produce PDF/A.
    """
    results = as_results(results)
    template = Template.at(template_dir)
    context = build_context(results, issuance)

    def html(variant: str, flows: bool = False) -> str:
        return template.render({**context, "page_one_flows": flows}, variant)

    try:
        return _write_pdf(html, results, PDF_VARIANT, template.base_url), PDF_VARIANT
    except Exception as exc:  # noqa: BLE001 - weasyprint raises assorted errors for PDF/A
        log.warning("PDF/A-3b rendering failed (%s); writing a plain PDF", exc)
        return _write_pdf(html, results, "pdf", template.base_url), "pdf"


@dataclass(frozen=True)
class Template:
    """Where the certificate's HTML template and stylesheet come from.

    An issuer's directory may hold ``certificate.html.j2`` (its own page, which can extend the
    bundled one as ``synthcheck/certificate.html.j2`` and override its blocks), a
    ``certificate.css`` (its own style), or both, plus any images they refer to; whatever it
    lacks comes from the bundled template. Every template gets the same context.
    """

    directory: Path | None  # the issuer's, or None for the bundled template only

    @classmethod
    def at(cls, directory: str | Path | None) -> Template:
        return cls(None if directory is None else check_template_dir(directory))

    @property
    def base_url(self) -> str:
        return str(self.directory or bundled_template_dir())

    def stylesheet_url(self) -> str:
        for directory in (self.directory, bundled_template_dir()):
            if directory is not None and (directory / STYLESHEET).is_file():
                return (directory / STYLESHEET).resolve().as_uri()
        raise FileNotFoundError(STYLESHEET)

    def render(self, context: Mapping, variant: str) -> str:
        import jinja2

        from synthcheck.errors import InputError

        try:
            return render_html(context, variant, self)
        except (jinja2.TemplateSyntaxError, jinja2.UndefinedError) as exc:
            where = getattr(exc, "filename", None) or str(self.directory or "")
            line = getattr(exc, "lineno", None)
            raise InputError(f"the certificate template fails: {exc.message}",
                             source=f"{where}:{line}" if line else where) from exc


def check_results(results) -> None:
    """Refuse anything that is not results: the renderer never sees records."""
    if isinstance(results, AuditResults):
        return
    if not isinstance(results, Mapping):
        raise TypeError("the certificate is rendered from the audit's results only, got "
                        f"{type(results).__name__}")
    missing = [key for key in REQUIRED if key not in results]
    if missing:
        raise ValueError(f"results dict lacks {', '.join(missing)} (see "
                         "synthcheck/schema/results.schema.json)")


def render_html(context: Mapping, variant: str, template: Template | None = None) -> str:
    """The certificate as HTML, from :func:`build_context`'s output."""
    import jinja2

    template = template or Template(None)
    bundled = jinja2.FileSystemLoader(str(bundled_template_dir()))
    loaders = [jinja2.FileSystemLoader(str(template.directory))] if template.directory else []
    loaders += [bundled, jinja2.PrefixLoader({BUNDLED_PREFIX: bundled})]
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(pct=format_pct, num=format_num, interval=format_interval,
                       tpr=format_tpr, count=format_count, eps=format_epsilon,
                       bound=format_bound, pvalue=format_p, level=fmt.level,
                       keep_names=keep_names)
    return env.get_template(TEMPLATE).render(**context, variant=variant,
                                             stylesheet=template.stylesheet_url())


#: inference rows on the certificate (the highest risks; every secret column is in results.json)
EDPB_INFERENCE_ROWS = 5


def build_context(results: AuditResults | Mapping, issuance: Issuance) -> dict:
    """Everything the template shows. Figures come from the results' fixed-size summaries,
    never from records."""
    results = as_results(results)
    attacks = results.attacks
    column_types: dict[str, int] = {}
    for kind in results.inputs.column_types.values():
        column_types[kind] = column_types.get(kind, 0) + 1
    return {
        "r": results,
        "issuance": issuance,
        "page_one_flows": False,  # render_pdf sets it when page 1 spills onto page 2
        "policy_grid": policy_grid(results),
        "inputs_rows": {role: input_rows(results, role) for role in certified_roles(results)},
        "issued_text": f"{issuance.issued:%Y-%m-%d %H:%M} UTC",
        "digest": results_digest(results),
        "roles": certified_roles(results),
        "fpr_keys": FPR_TARGETS,
        "fpr_labels": {fpr: fpr_label(fpr) for fpr in FPR_TARGETS},
        "outcome_counts": {o.value: n for o, n in results.tally().items() if n},
        "column_type_counts": column_types,
        "method_rows": method_rows(results),
        "attribution": attribution_lines(results),
        "edpb_rows": story.edpb_rows(results, EDPB_INFERENCE_ROWS),
        "edpb_criteria": story.EDPB_CRITERIA,
        "edpb_risk_sentence": story.EDPB_RISK_SENTENCE,
        "figures": {
            "roc": plots.roc_curves(attacks, results.counts.non_members,
                                    results.counts.members),
            "scores": plots.score_histograms(attacks),
            "distance": plots.distance_histogram(results.summaries["distance_to_synthetic"]),
            "risk": plots.risk_histogram(results.summaries["risk"]),
        },
        "policy_text": results.policy.text or json.dumps(results.policy.limits, indent=2,
                                                         sort_keys=True),
        "verdict_sentence": story.verdict_sentence(results),
        "headline_sentences": story.headline_sentences(results),
        "strongest": (results.overall.strongest.describe() if results.overall.strongest
                      else results.overall.strongest_attack or "not recorded"),
        "verdict_levels": verdict_levels(results),
        "cannot_fail": cannot_fail_lines(results),
        "epsilon_level": epsilon_level(results),
        "delta_text": delta_text(results),
        "generator_text": generator_text(results),
        "meta": {
            META_RESULTS_SHA256: results_digest(results),
            META_CERTIFICATE_ID: issuance.certificate_id,
        },
    }


def attribution_lines(results: AuditResults) -> list[str]:
    from synthcheck.auditing.summary import attribution_lines as lines

    return lines(results)


def epsilon_level(results: AuditResults) -> str | None:
    """The level of the measured-leakage table's ε bounds (one for every attack)."""
    levels = {a.epsilon_level for a in results.attacks.values() if a.epsilon_level}
    return fmt.level(levels.pop()) if len(levels) == 1 else None


def delta_text(results: AuditResults) -> str:
    """δ as used, and the rule that chose it when none was given."""
    recorded = results.parameters
    if recorded.delta_rule:
        candidates = 2 * min(results.counts.members, results.counts.non_members)
        return f"{recorded.delta:.2g} (1/m², m = {candidates:,} candidates)"
    return f"{recorded.delta:.2g}"


def cannot_fail_lines(results: AuditResults) -> list[str]:
    """The policy's limits no attack could FAIL at this size, level and δ, shortly."""
    from synthcheck.verdict.policy import CHECKS

    lines = []
    for found in results.cannot_fail or ():
        metric = CHECKS.get(found.check, (_guess_metric(found.check),))[0]
        lines.append(f"{found.figure} (limit {fmt.figure(metric, found.limit)}): a perfect "
                     f"attack would show at most {fmt.figure(metric, found.ceiling)} at "
                     f"{fmt.level(found.level)}")
    return lines


def verdict_levels(results: AuditResults) -> dict[str, str]:
    """The one-sided levels the verdict read: lower bounds for a FAIL (multiplicity-adjusted),
    upper bounds for a PASS (1 - alpha)."""
    fail = {c.level for c in results.checks if c.side is Side.LOWER and c.level is not None}
    level = min(fail) if fail else next(
        (a.verdict_bounds.level for a in results.attacks.values()), None)
    return {"fail": "–" if level is None else fmt.level(level),
            "pass": fmt.level(1.0 - results.policy.alpha)}


def generator_text(results: AuditResults) -> str:
    """The generator block in words (no raw dict)."""
    generator = results.generator
    if not generator:
        return "not given"
    parts = [str(generator.get("name", "unnamed"))]
    params = generator.get("params") or {}
    parts.append("parameters " + ", ".join(f"{k} {_value(v)}" for k, v in sorted(params.items()))
                 if params else "default parameters")
    for key, label in (("release", None), ("release_rows", "rows sampled"),
                       ("release_seed", "sampling seed"), ("shadows", "shadow fits")):
        if generator.get(key) is not None:
            parts.append(str(generator[key]) if label is None else f"{label} {generator[key]}")
    shown = {"name", "params", "release", "release_rows", "release_seed", "shadows"}
    parts += [f"{key.replace('_', ' ')} {_value(value)}" for key, value in sorted(generator.items())
              if key not in shown]
    return "; ".join(parts)


def policy_grid(results: AuditResults | Mapping) -> dict:
    """The policy's limits on attacks as one attack x limit table: ``columns`` (limit key,
    label, limit, unit) and ``rows`` (attack -> limit key -> the ``PolicyCheck``); every other
    check (the copy family: exact copies, exact values of excluded columns) in ``other``,
    each with its own sentence."""
    from synthcheck.verdict.policy import CANARY_CHECK, CHECKS, EDPB_KEYS, TAIL_CHECK

    results = as_results(results)
    limits = results.policy.limits
    columns, rows, other = {}, {}, []
    for check in results.checks:
        key = check.check
        if key == PREMISE_CHECK or key in EDPB_KEYS:  # each has its own table
            continue
        if key == CANARY_CHECK:  # the canary audit's DP claim: a row and column of its own
            columns.setdefault(key, {"key": key, "label": "Canary ε (claimed)",
                                     "limit": check.limit, "unit": "epsilon",
                                     "limit_text": f"claimed {format_bound(check.limit, 'epsilon')}"})
            rows.setdefault(check.subject, {})[key] = check
            continue
        if key == TAIL_CHECK:  # one per attack: a column of its own, its bound a p-value
            columns.setdefault(key, {"key": key, "label": "Tail: flagged at FPR 0.1 %",
                                     "limit": check.limit, "unit": "p",
                                     "limit_text": f"p ≤ {check.limit:.2g} (its α share)"})
            rows.setdefault(check.subject, {})[key] = check
            continue
        if key not in limits and key not in CHECKS:
            other.append(check)
            continue
        metric, _fpr, label = CHECKS.get(key, (_guess_metric(key), None, _label(key)))
        unit = {"tpr": "percent", "epsilon": "epsilon"}.get(metric, "number")
        limit_text = f"limit {format_bound(check.limit, unit)}"
        ceiling = _epsilon_ceiling(results) if metric == "epsilon" else None
        if ceiling is not None:  # the most a perfect attack could show at the verdict's level
            limit_text += f", ≤ {format_bound(ceiling, unit)} possible"
        columns.setdefault(key, {"key": key, "label": label, "limit": check.limit,
                                 "unit": unit, "limit_text": limit_text})
        rows.setdefault(check.subject, {})[key] = check
    return {"columns": list(columns.values()), "rows": rows, "other": other}


def _epsilon_ceiling(results: AuditResults) -> float | None:
    """The ε ceiling at the verdict's level (the same for every attack); None before issue 16."""
    found = [a.verdict_bounds.epsilon_ceiling for a in results.attacks.values()
             if a.verdict_bounds.epsilon_ceiling is not None]
    return max(found) if found else None


def _guess_metric(key: str) -> str | None:
    """The quantity a limit from an older policy vocabulary is on (for its unit)."""
    key = str(key)
    return "tpr" if "tpr" in key else "epsilon" if "epsilon" in key else "auc" if "auc" in key else None


def _label(key: str) -> str:
    return str(key).replace("_", " ")


def input_rows(results: AuditResults, role: str) -> dict:
    """Rows in the file, dropped and scored (older results record only the rows in the file)."""
    block = results.inputs.role(role)
    dropped = block.rows_dropped or 0
    scored = block.rows_scored if block.rows_scored is not None else block.rows - dropped
    return {"file": block.rows, "dropped": dropped, "scored": scored}


def method_rows(results: AuditResults) -> list[tuple[str, str]]:
    """Page 4's rows for the parameters not shown elsewhere, each in words (no raw dicts)."""
    given = {name: params for name, params in results.parameters.attack_parameters.items()
             if params}
    rows = []
    if given:
        rows.append(("Attack parameters", "; ".join(
            f"{name}: " + ", ".join(f"{key} {_value(value)}" for key, value in sorted(params.items()))
            for name, params in given.items())))
    return rows


def _value(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_value(v) for v in value)
    return str(value)


#: page 1's content ending in the top part of page 2 (a share of the page's height) leaves
#: that page nearly empty before the next section's forced break: let the next section follow
SPILL_SHARE = 0.5


def _page_one_spills(document) -> bool:
    """True when page 1's content ends early on page 2 of a laid-out document (the anchor
    ``page-one-end`` of the bundled template; an issuer's template without it is left as it
    is)."""
    for index, page in enumerate(document.pages):
        if "page-one-end" in page.anchors:
            return index >= 1 and page.anchors["page-one-end"][1] < SPILL_SHARE * page.height
    return False


def _write_pdf(html: Callable[..., str], results: AuditResults, variant: str,
               base_url: str) -> bytes:
    """Lay out ``html(variant)`` and write it; when page 1 spills onto page 2, lay out
    ``html(variant, flows=True)`` instead (one layout otherwise)."""
    import weasyprint

    created = _parse_created(results.created) or dt.datetime.now(dt.timezone.utc)
    attachment = weasyprint.Attachment(
        string=canonical_json(results), name=ATTACHMENT_NAME,
        description="synthcheck audit results (machine-readable, JSON)",
        created=created, modified=created, relationship="Data")
    options = {**weasyprint.DEFAULT_OPTIONS, "attachments": [attachment], "custom_metadata": True}
    if variant != "pdf":
        options["pdf_variant"] = variant
    document = weasyprint.HTML(string=html(variant), base_url=base_url).render(**options)
    if _page_one_spills(document):
        document = weasyprint.HTML(string=html(variant, flows=True),
                                   base_url=base_url).render(**options)
    return document.write_pdf(**options)


def _parse_created(text) -> dt.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


# -- number formatting (template filters) ---------------------------------------------------------


def format_num(value, digits: int = 3) -> str:
    if value is None:
        return "–"
    return f"{float(value):.{digits}f}"


def format_pct(value, digits: int | None = None) -> str:
    if value is None:
        return "–"
    percent = 100 * float(value)
    if digits is None:
        digits = 2 if 0 < abs(percent) < 1 else 1
    return f"{percent:.{digits}f} %"


def format_interval(interval: Estimate | None, digits: int = 3) -> str:
    if interval is None:
        return "–"
    return (f"{format_num(interval.value, digits)} "
            f"[{format_num(interval.low, digits)}, {format_num(interval.high, digits)}]")


def format_tpr(entry: Estimate | None) -> str:
    if entry is None:
        return "not measurable"
    return f"{format_pct(entry.value)} [{format_pct(entry.low)}, {format_pct(entry.high)}]"


def format_epsilon(value) -> str:
    """An ε lower bound in words when it is zero: "ε ≥ 0.00" would read as "no privacy loss"."""
    if value is None:
        return "–"
    if float(value) <= 0:
        return "no measurable lower bound"
    return f"ε ≥ {float(value):.2f}"


def format_bound(value, unit: str) -> str:
    """A policy check's bound or limit in its quantity's unit (rates in percent), written as
    the verdict's sentences write it (``support.formatting``)."""
    if value is None:
        return "–"
    return fmt.figure({"percent": "tpr", "epsilon": "epsilon", "p": "p"}.get(unit, "auc"), value)


def format_p(value) -> str:
    """A p-value in a table: "0.0098", "1", "< 1e-05" (the sentences write "p = ...")."""
    return fmt.p_value(value).removeprefix("p = ").removeprefix("p ")


def keep_names(text: str, names) -> Markup:
    """``text`` escaped, each of ``names`` (attack names such as "dcr-ratio") kept on one line,
    so a name is never split at its hyphen (a reader, and pdftotext, see it whole), and a
    number kept with its "%"."""
    from markupsafe import Markup, escape

    escaped = re.sub(r"(\d) %", "\\1\u00a0%", str(escape(text)))  # "5.0 %" on one line
    for name in sorted(names, key=len, reverse=True):
        shown = str(escape(name))
        escaped = re.sub(rf"(?<![\w-]){re.escape(shown)}(?![\w-])",
                         f'<span class="keep">{shown}</span>', escaped)
    return Markup(escaped)


def format_count(value) -> str:
    return "–" if value is None else f"{int(value):,}"
