"""The trajectory chart: one SVG function, rendered in the page and in a PDF (WeasyPrint, as the letters will)."""

import io
from datetime import date, timedelta
from xml.etree import ElementTree

import pypdf
import weasyprint
from hypothesis import given, settings
from hypothesis import strategies as st

from liaison.care.charts import score_chart

POINTS = [(date(2025, 2, 3) + timedelta(days=3 * i), total) for i, total in enumerate([21, 18, 14, 11, 8, 6, 4])]
SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str):
    """Our own SVG, made in this test: not untrusted input."""
    return ElementTree.fromstring(markup)  # noqa: S314


def test_the_chart_is_well_formed_svg_with_bands_points_and_labels():
    svg = parse(str(score_chart("phq9", POINTS)))
    assert svg.find(f"{SVG}title").text == "PHQ-9 over time"
    assert len(svg.findall(f"{SVG}rect[@data-band]")) == 5  # the five PHQ-9 bands
    assert len(svg.findall(f"{SVG}circle")) == len(POINTS)
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "PHQ-9 score" in texts and "Severe 20–27" in texts and "Feb 3" in texts and "4" in texts
    assert "style" not in str(score_chart("phq9", POINTS))  # the strict CSP forbids style attributes


def test_gad7_has_its_four_bands_and_an_empty_chart_says_so():
    svg = parse(str(score_chart("gad7", [])))
    assert len(svg.findall(f"{SVG}rect[@data-band]")) == 4
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


# ---------------------------------------------------------------- labels never meet

# A text box, estimated as the brief for the chart says: characters × font size × a sans serif's advance (bold is
# wider), from 0.8 of the size above the baseline to 0.25 below.
EM, BOLD_EM, ASCENT, DESCENT = 0.62, 0.7, 0.8, 0.25


def _rotated(box, cx: float, cy: float):
    """The box turned by rotate(-90 cx cy): a point (x, y) goes to (cx + y - cy, cy - x + cx)."""
    left, top, right, bottom = box
    xs = [cx + y - cy for y in (top, bottom)]
    ys = [cy - x + cx for x in (left, right)]
    return min(xs), min(ys), max(xs), max(ys)


def text_boxes(markup: str) -> list[tuple[str, tuple[float, float, float, float]]]:
    boxes = []
    for t in parse(markup).iter(f"{SVG}text"):
        size, x, y = float(t.get("font-size")), float(t.get("x")), float(t.get("y"))
        width = len(t.text) * size * (BOLD_EM if t.get("font-weight") == "bold" else EM)
        left = {"start": x, "middle": x - width / 2, "end": x - width}[t.get("text-anchor", "start")]
        box = (left, y - ASCENT * size, left + width, y + DESCENT * size)
        if transform := t.get("transform"):
            angle, cx, cy = transform.removeprefix("rotate(").removesuffix(")").split()
            assert angle == "-90"
            box = _rotated(box, float(cx), float(cy))
        boxes.append((t.text, box))
    return boxes


def _meet(a, b) -> bool:
    return not (a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1])


def _series(draw_gaps, scores, start: date) -> list[tuple[date, int]]:
    on, points = start, []
    for gap, score in zip(draw_gaps, scores, strict=True):
        on += timedelta(days=gap)
        points.append((on, score))
    return points


sessions = st.integers(1, 40).flatmap(
    lambda n: st.tuples(
        st.lists(st.one_of(st.integers(0, 4), st.integers(5, 45)), min_size=n, max_size=n),
        st.lists(st.integers(0, 27), min_size=n, max_size=n),
        st.dates(date(2024, 1, 1), date(2027, 12, 31)),
        st.sampled_from(["phq9", "gad7"]),
    )
)


@settings(max_examples=300, deadline=None)
@given(sessions)
def test_no_two_labels_meet_for_one_to_forty_sessions(drawn):
    gaps, scores, start, instrument = drawn
    top = 21 if instrument == "gad7" else 27
    points = _series(gaps, [min(s, top) for s in scores], start)
    markup = str(score_chart(instrument, points))
    boxes = text_boxes(markup)
    for i, (text, box) in enumerate(boxes):
        assert box[0] >= 0 and box[2] <= 640 and box[1] >= 0 and box[3] <= 230, (text, box)  # inside the chart
        for other, theirs in boxes[i + 1 :]:
            assert not _meet(box, theirs), (text, box, other, theirs)
    texts = [t for t, _ in boxes]
    assert f"{points[0][0]:%b %-d}" in texts and f"{points[-1][0]:%b %-d}" in texts  # the first and last dates
    values = [
        t.text for t in parse(markup).iter(f"{SVG}text") if t.get("font-weight") == "bold"
    ]  # the scores written on the chart
    assert str(points[-1][1]) in values and len(values) <= len(points)
    assert len(parse(markup).findall(f"{SVG}circle")) == len(points)  # every point is drawn, labelled or not


def test_a_short_series_carries_every_date_and_score():
    svg = parse(str(score_chart("phq9", POINTS)))
    bold = [t.text for t in svg.iter(f"{SVG}text") if t.get("font-weight") == "bold"]
    assert sorted(bold, key=int) == sorted((str(v) for _, v in POINTS), key=int)
    dates = [t.text for t in svg.iter(f"{SVG}text") if t.text and t.text.startswith("Feb")]
    assert dates == [f"{d:%b %-d}" for d, _ in POINTS]


def test_forty_close_sessions_keep_first_last_highest_and_lowest():
    scores = [14, 15] * 10 + [13, 12] * 5 + [9, 27, 3, 8] + [10] * 5 + [11]
    points = [(date(2025, 3, 3) + timedelta(days=2 * i), s) for i, s in enumerate(scores)]
    markup = str(score_chart("phq9", points))
    bold = {t.text for t in parse(markup).iter(f"{SVG}text") if t.get("font-weight") == "bold"}
    assert {"14", "11", "27", "3"} <= bold
    dates = [t for t, _ in text_boxes(markup) if t.startswith(("Mar", "Apr", "May"))]
    assert 2 <= len(dates) < 40 and dates[0] == "Mar 3"
