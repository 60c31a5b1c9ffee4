"""The document: page 1 renders, results embedded exactly, cost independent of audit size,
and never a record's values."""
from __future__ import annotations

import datetime as dt
import json
import re
import subprocess

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from synthcheck.auditing.results_json import from_document
from synthcheck.certificate import plots
from synthcheck.certificate.render import (
    ATTACHMENT_NAME,
    Issuance,
    build_context,
    canonical_json,
    check_results,
    render_pdf,
)
from tests.certificate.conftest import needs_poppler, pdftotext, scaled_results
from tests.conftest import FIXTURES

ISSUANCE = Issuance("Test Issuer Ltd", "AB:" * 31 + "CD",
                    dt.datetime(2026, 5, 14, 10, 0, tzinfo=dt.timezone.utc), "sc-test-1")


@needs_poppler
def test_page_one_is_not_blank(signed_example, tmp_path):
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(signed_example),
                    str(tmp_path / "page")], check=True)
    (png,) = tmp_path.glob("page*.png")
    grey = np.asarray(Image.open(png).convert("L"), dtype=int)
    assert grey.shape[1] > 300 and grey.shape[0] > 400  # A4 at 50 dpi is 413 x 585
    ink = (grey < 200).mean()
    assert ink > 0.03, f"page 1 is nearly blank ({ink:.1%} ink)"
    # Ink on the top, middle and bottom of the page body: nothing collapsed into one block.
    thirds = np.array_split((grey < 200).mean(axis=1)[40:-60], 3)
    assert all(part.mean() > 0.01 for part in thirds), [part.mean() for part in thirds]
    # The verdict banner is coloured: clearly green pixels for a PASS.
    r, g, b = np.moveaxis(np.asarray(Image.open(png).convert("RGB"), dtype=int), -1, 0)
    assert ((g > r + 40) & (g > b + 20)).sum() > 200


@needs_poppler
def test_page_one_states_the_answer(signed_example, example_results):
    page1 = subprocess.run(["pdftotext", "-f", "1", "-l", "1", "-enc", "UTF-8",
                            str(signed_example), "-"], capture_output=True, check=True
                           ).stdout.decode()
    flat = " ".join(page1.split())
    for fact in ("PASS", "Test Issuer Ltd", example_results["audit_id"],
                 example_results["tool_version"], "sdv:GaussianCopulaSynthesizer",
                 "Policy default"):
        assert fact in flat, fact
    squeezed = "".join(page1.split())  # a fingerprint is printed in two halves
    for role in ("train", "holdout", "synthetic"):
        assert example_results["inputs"][role]["sha256"] in squeezed
    assert "1,500" in flat
    assert "An attacker who wrongly accuses 1 % of outsiders catches at most" in flat
    assert "self-signed: unverified issuer" in flat
    assert "Rows in file Dropped Scored" in flat
    assert "ε ≥ 0.00" not in flat


def four_attack_results(results: dict) -> dict:
    """The example with a fourth attack (a renamed copy): the size the page budget is for."""
    four = json.loads(json.dumps(results))
    four["attacks"]["shadow"] = json.loads(json.dumps(four["attacks"]["dcr"]))
    four["parameters"]["attacks"] = list(four["attacks"])
    four["verdict_reasons"] += [dict(r, attack="shadow") for r in four["verdict_reasons"]
                                if r["attack"] == "dcr"]
    return four


@pytest.mark.slow
@needs_poppler
def test_four_attacks_fit_five_pages_without_near_empty_ones(tmp_path, example_results):
    pdf, _ = render_pdf(four_attack_results(example_results), ISSUANCE)
    path = tmp_path / "four.pdf"
    path.write_bytes(pdf)
    pages = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"],
                           capture_output=True, check=True).stdout.decode().split("\f")
    pages = [page for page in pages if page.strip()]
    assert len(pages) <= 5
    for number, page in enumerate(pages[:-1], start=1):
        lines = [line for line in page.splitlines() if line.strip()]
        assert len(lines) >= 10, f"page {number} has only {len(lines)} lines"
    # page references are computed, not typed
    flat = " ".join(pages[0].split())
    numbers_page = next(i for i, page in enumerate(pages, 1) if "Measured leakage" in page)
    figures_page = next(i for i, page in enumerate(pages, 1) if page.lstrip().startswith("Figures"))
    assert f"Numbers explained: page {numbers_page}; figures: page {figures_page}." in flat


def _near_empty_pages(pdf: bytes, tmp_path) -> list[int]:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    pages = subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"],
                           capture_output=True, check=True).stdout.decode().split("\f")
    pages = [page for page in pages if page.strip()]
    return [number for number, page in enumerate(pages[:-1], start=1)
            if len([line for line in page.splitlines() if line.strip()]) < 10]


@pytest.mark.slow
@needs_poppler
def test_a_page_one_that_spills_does_not_leave_page_two_nearly_empty(tmp_path, example_results):
    """A long page 1 (here: many excluded columns, as a long FAIL's verdict text does) spills a
    few lines onto page 2; the next section then follows them instead of starting a new page."""
    results = four_attack_results(example_results)
    for extra in (6, 12, 18, 24):
        results["inputs"]["excluded_columns"] = {
            f"free_text_{k}": "id-like text: 99 % of values distinct, checked for verbatim copies"
            for k in range(extra)}
        pdf, _ = render_pdf(results, ISSUANCE)
        assert not _near_empty_pages(pdf, tmp_path), extra


@needs_poppler
def test_results_table_says_not_measurable(signed_example):
    text = pdftotext(signed_example)
    assert "not measurable" in text
    assert "What this certificate can and cannot say" in text
    assert "not a proof of" in " ".join(text.split())


@needs_poppler
def test_results_are_embedded_verbatim(signed_example, example_results, tmp_path):
    listing = subprocess.run(["pdfdetach", "-list", str(signed_example)], capture_output=True,
                             check=True, text=True).stdout
    assert ATTACHMENT_NAME in listing
    out = tmp_path / "extracted.json"
    subprocess.run(["pdfdetach", "-savefile", ATTACHMENT_NAME, "-o", str(out),
                    str(signed_example)], check=True)
    assert out.read_text() == canonical_json(example_results)
    assert json.loads(out.read_text()) == example_results


def test_pdfa_variant_is_recorded(signed_example):
    from pyhanko.pdf_utils.reader import PdfFileReader

    with open(signed_example, "rb") as handle:
        reader = PdfFileReader(handle)
        info = {str(k).lower(): str(v) for k, v in reader.trailer["/Info"].items()}
        assert info["/synthcheckpdfvariant"] == "pdf/a-3b"
        assert "/AF" in reader.root  # PDF/A-3 associated file
        assert str(reader.root["/AF"][0]["/AFRelationship"]) == "/Data"


def test_renderer_accepts_only_the_results_dict(example_results):
    rows = pd.read_csv(FIXTURES / "adult_train.csv")
    with pytest.raises(TypeError, match="results only"):
        render_pdf(rows, ISSUANCE)
    with pytest.raises(TypeError):
        check_results([example_results])
    incomplete = dict(example_results)
    del incomplete["summaries"]
    with pytest.raises(ValueError, match="summaries"):
        check_results(incomplete)


def test_plots_refuse_per_record_series(example_results):
    document = json.loads(json.dumps(example_results))
    # One point more than a summary may have: per-record curves are far longer still.
    points = plots.MAX_POINTS + 1
    document["attacks"]["dcr"]["curves"]["roc"] = {"fpr": [i / points for i in range(points)],
                                                   "tpr": [i / points for i in range(points)]}
    with pytest.raises(ValueError, match="not per-record data"):
        plots.roc_curves(from_document(document).attacks, points)


@pytest.mark.slow
def test_a_million_row_audit_renders_the_same_work(example_results):
    """Structural: the renderer's input for a 1M-row audit has the same sizes as for 1.5k
    rows, and the figures it draws are made of the same number of points."""
    big = scaled_results(example_results, 1_000_000)
    small_context = build_context(example_results, ISSUANCE)
    big_context = build_context(big, ISSUANCE)

    def sizes(node, path=""):
        if isinstance(node, dict):
            return {k: v for key in sorted(node) for k, v in sizes(node[key], f"{path}/{key}").items()}
        if isinstance(node, list):
            return {path: len(node)}
        return {}

    assert sizes(big) == sizes(example_results)
    assert len(canonical_json(big)) < 1.1 * len(canonical_json(example_results))
    for name in small_context["figures"]:
        small_svg, big_svg = small_context["figures"][name], big_context["figures"][name]
        # Same drawing work: SVG sizes within a few percent (only tick labels differ; the ROC
        # axes start at one non-member, so a million rows add three decades of tick labels).
        allowed = 0.3 if name == "roc" else 0.1
        assert abs(len(big_svg) - len(small_svg)) < allowed * len(small_svg), name


@pytest.mark.slow
def test_million_row_certificate_shows_the_counts(example_results):
    pdf, variant = render_pdf(scaled_results(example_results, 1_000_000), ISSUANCE)
    assert pdf.startswith(b"%PDF") and variant == "pdf/a-3b"
    assert len(pdf) < 400_000


@pytest.mark.slow
@needs_poppler
def test_no_record_values_in_a_real_audits_certificate(real_certificate):
    """Certificate of an audit of the fixture tables: no id or distinctive value of any train
    row appears in the text or in the embedded results."""
    pdf, results = real_certificate
    text = pdftotext(pdf)
    tokens = set(re.split(r"[^0-9A-Za-z_.-]+", text))
    attachment = json.dumps(results)
    train = pd.read_csv(FIXTURES / "adult_train.csv")
    ids = set(train["person_id"])
    assert not ids & tokens
    assert not any(i in attachment for i in ids)
    distinctive = {str(v) for v in train["fnlwgt"]}  # six-digit census weights, per person
    assert not distinctive & tokens
    for value in ("Married-civ-spouse", "Prof-specialty", "Never-married", "United-States"):
        assert value not in text


def test_example_results_follow_the_schema(example_results):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((FIXTURES.parent / "synthcheck" / "schema" / "results.schema.json")
                        .read_text())
    jsonschema.validate(example_results, schema)
    assert set(example_results["attacks"]) == {"dcr", "dcr-ratio", "density-ratio"}
    nulls = [name for name, attack in example_results["attacks"].items()
             for entry in attack["tpr_at_fpr"].values() if entry is None]
    assert nulls == ["dcr", "dcr-ratio", "density-ratio"]  # 900 non-members: no FPR 0.1 %


def test_an_issuer_template_extends_the_bundled_one(tmp_path, example_results):
    from synthcheck.certificate.render import Template, render_html

    (tmp_path / "certificate.html.j2").write_text(
        '{% extends "synthcheck/certificate.html.j2" %}'
        '{% block masthead %}<header>Acme Data Ltd · Zertifikat</header>{% endblock %}')
    html = render_html(build_context(example_results, ISSUANCE), "pdf",
                       Template.at(tmp_path))
    assert "Acme Data Ltd · Zertifikat" in html
    assert "Privacy audit certificate" not in html.split("<body>")[1]  # the masthead replaced
    assert example_results["audit_id"] in html  # the same context
    # No stylesheet of its own: the bundled one is linked by absolute URL.
    assert re.search(r'href="file://[^"]+/templates/certificate\.css"', html)


def test_an_issuer_stylesheet_replaces_the_bundled_one(tmp_path, example_results):
    from synthcheck.certificate.render import Template, render_html

    (tmp_path / "certificate.css").write_text("html { font-family: serif; }")
    html = render_html(build_context(example_results, ISSUANCE), "pdf", Template.at(tmp_path))
    assert (tmp_path / "certificate.css").resolve().as_uri() in html


def test_a_template_directory_without_a_template_is_refused(tmp_path):
    from synthcheck.certificate.render import Template
    from synthcheck.errors import InputError

    with pytest.raises(InputError, match="neither"):
        Template.at(tmp_path)
    with pytest.raises(InputError, match="not found"):
        Template.at(tmp_path / "missing")


@pytest.mark.slow
def test_a_broken_issuer_template_names_its_file(tmp_path, example_results):
    from synthcheck.certificate.render import Template
    from synthcheck.errors import InputError

    (tmp_path / "certificate.html.j2").write_text("{{ r.no_such_field.x }}")
    with pytest.raises(InputError, match="template"):
        Template.at(tmp_path).render(build_context(example_results, ISSUANCE), "pdf")


@pytest.mark.slow
@needs_poppler
def test_a_certificate_in_the_issuers_template_verifies(tmp_path, example_results, signer,
                                                        issuer_dir):
    from synthcheck.certificate import issue
    from synthcheck.certificate.verify import verify_certificate

    letterhead = tmp_path / "letterhead"
    letterhead.mkdir()
    (letterhead / "certificate.html.j2").write_text(
        '{% extends "synthcheck/certificate.html.j2" %}'
        '{% block masthead %}<header><h1>Acme Data Ltd</h1></header>{% endblock %}')
    path = issue(example_results, tmp_path / "cert.pdf", signer, template=letterhead)
    assert "Acme Data Ltd" in pdftotext(path)
    report = verify_certificate(path, trust=issuer_dir / "cert.pem")
    assert report.ok, report.lines()


@pytest.mark.slow
def test_copy_checks_are_listed_below_the_attack_limit_table(example_results):
    from synthcheck.certificate.render import policy_grid

    results = json.loads(json.dumps(example_results))
    results["verdict_reasons"].append({
        "check": "exact_copies", "attack": "exact-copy", "limit": 0.0, "bound": 0.031,
        "level": 0.99, "outcome": "PASS",
        "reason": "exact-copy: 5 of 1,500 members and 0 of 1,500 non-members copied; p = 0.031 > 0.0125"})
    grid = policy_grid(results)
    assert "exact-copy" not in grid["rows"]
    assert [c["key"] for c in grid["columns"]] == list(dict.fromkeys(
        r["check"] for r in example_results["verdict_reasons"]))
    assert grid["other"][0].check == "exact_copies"
    html = build_context(results, ISSUANCE)  # the template renders it
    from synthcheck.certificate.render import Template
    text = Template(None).render(html, "pdf")
    assert "5 of 1,500 members and 0 of 1,500 non-members copied" in text
