"""A total on a cut-off is named and drawn in the higher band: the `band` filter every page and letter uses,
and the chart's band rectangles, at every cut-off of both instruments."""

from datetime import date
from xml.etree import ElementTree

import pytest
from django.template import Context, Template

from liaison.care.charts import score_chart

SVG = "{http://www.w3.org/2000/svg}"
CUTS = [
    ("phq9", 4, "None to minimal"),
    ("phq9", 5, "Mild"),
    ("phq9", 9, "Mild"),
    ("phq9", 10, "Moderate"),
    ("phq9", 14, "Moderate"),
    ("phq9", 15, "Moderately severe"),
    ("phq9", 19, "Moderately severe"),
    ("phq9", 20, "Severe"),
    ("phq9", 0, "None to minimal"),
    ("phq9", 27, "Severe"),
    ("gad7", 4, "Minimal"),
    ("gad7", 5, "Mild"),
    ("gad7", 10, "Moderate"),
    ("gad7", 15, "Severe"),
    ("gad7", 21, "Severe"),
]


def render(source: str, **context) -> str:
    return Template("{% load severity %}" + source).render(Context(context))


@pytest.mark.parametrize(("instrument", "total", "label"), CUTS)
def test_the_filter_names_the_band(instrument, total, label):
    assert render(f'{{{{ total|band:"{instrument}" }}}}', total=total) == label


@pytest.mark.parametrize("nothing", [None, ""])
def test_no_total_has_no_band(nothing):
    assert render('{{ total|band:"phq9" }}', total=nothing) == ""


@pytest.mark.parametrize(("instrument", "total", "label"), CUTS)
def test_the_chart_draws_the_point_inside_its_band(instrument, total, label):
    svg = ElementTree.fromstring(str(score_chart(instrument, [(date(2026, 3, 2), total)])))  # noqa: S314 - ours
    point = svg.find(f"{SVG}circle")
    assert point.get("data-band") == label and point.find(f"{SVG}title").text.endswith(f"{total}, {label.lower()}")
    cy = float(point.get("cy"))
    inside = [
        r.get("data-band")
        for r in svg.findall(f"{SVG}rect")
        if float(r.get("y")) <= cy <= float(r.get("y")) + float(r.get("height"))
    ]
    assert inside == [label]  # in one band only, never on the line between two
