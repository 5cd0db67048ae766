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


def test_the_referral_page_says_each_total_in_words(client_for, coordinator, clinician):
    from django.utils import timezone

    from liaison.care.choices import Route, SessionKind
    from liaison.care.scoring import ScoreInput
    from liaison.care.services import SessionInput, session_record
    from liaison.referrals.tests.factories import ReferralDataFactory, receive_referral

    referral = receive_referral(referral=ReferralDataFactory(phq9_total=20))  # on the cut-off into severe
    data = SessionInput(kind=SessionKind.EVALUATION, held_on=timezone.localdate(), route=Route.IV)
    session_record(
        referral=referral, by=clinician, data=data, phq9=ScoreInput(total=15, item9=0), gad7=ScoreInput(total=10)
    )
    page = client_for(coordinator).get(f"/referrals/{referral.pk}/").content.decode()
    assert "<strong>20</strong>/27, severe" in page  # the PHQ-9 sent with the referral
    assert '<strong>15</strong> <span class="small band">Moderately severe</span>' in page  # baseline and row
    assert '<strong>10</strong> <span class="small band">Moderate</span>' in page  # the GAD-7
