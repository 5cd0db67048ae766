"""The trajectory chart: one SVG function, rendered in the page and in a PDF (WeasyPrint, as the letters will)."""

import io
from datetime import date, timedelta
from xml.etree import ElementTree

import pypdf
import weasyprint

from liaison.care.charts import score_chart

POINTS = [(date(2025, 2, 3) + timedelta(days=3 * i), total) for i, total in enumerate([21, 18, 14, 11, 8, 6, 4])]
SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str):
    """Our own SVG, made in this test: not untrusted input."""
    return ElementTree.fromstring(markup)  # noqa: S314


def test_the_chart_is_well_formed_svg_with_bands_points_and_labels():
    svg = parse(str(score_chart("phq9", POINTS)))
    assert svg.find(f"{SVG}title").text == "PHQ-9 over time"
    assert len(svg.findall(f"{SVG}rect")) == 5  # the five PHQ-9 bands
    assert len(svg.findall(f"{SVG}circle")) == len(POINTS)
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "PHQ-9 score" in texts and "Severe 20–27" in texts and "Feb 3" in texts and "4" in texts
    assert "style" not in str(score_chart("phq9", POINTS))  # the strict CSP forbids style attributes


def test_gad7_has_its_four_bands_and_an_empty_chart_says_so():
    svg = parse(str(score_chart("gad7", [])))
    assert len(svg.findall(f"{SVG}rect")) == 4
    assert "No GAD-7 scores yet" in [t.text for t in svg.iter(f"{SVG}text")]


def test_one_point_or_one_day_still_draws():
    svg = parse(str(score_chart("phq9", [(date(2025, 2, 3), 12), (date(2025, 2, 3), 10)])))
    assert len(svg.findall(f"{SVG}circle")) == 2


def test_the_chart_renders_in_a_pdf():
    charts = f"{score_chart('phq9', POINTS)}{score_chart('gad7', POINTS[:3])}"
    html = f"<html><body><h1>Treatment update</h1>{charts}</body></html>"
    pdf = weasyprint.HTML(string=html).write_pdf()
    assert pdf.startswith(b"%PDF")
    text = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    for label in ("Treatment update", "PHQ-9 score", "GAD-7 score", "Severe 20–27", "Feb 3"):
        assert label in text, label
