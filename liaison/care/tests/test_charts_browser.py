"""In a real browser: the trajectory chart's labels, measured as chromium draws them in the page's own font, never
meet, and each is no wider than the estimate the chart places them by (liaison.care.charts.EM)."""

import random
from datetime import date, timedelta

import pytest

from liaison.care.charts import BOLD_EM, EM, score_chart
from liaison.core.testing.browser import chromium_available

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed (.ci/run installs it)"),
]

FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'  # liaison.css's body
MEASURE = """() => [...document.querySelectorAll('svg')].map(svg => [...svg.querySelectorAll('text')].map(t => {
  const r = t.getBoundingClientRect();
  return {text: t.textContent, bold: t.getAttribute('font-weight') === 'bold', size: +t.getAttribute('font-size'),
          turned: t.hasAttribute('transform'), left: r.left, top: r.top, right: r.right, bottom: r.bottom};
}))"""


def _series(rng: random.Random) -> list[tuple[date, int]]:
    on, points = date(2025, 1, 6) + timedelta(days=rng.randint(0, 700)), []
    for _ in range(rng.randint(1, 40)):
        on += timedelta(days=rng.choice([0, 1, 2, 3, 3, 4, 7, 14, 30]))
        points.append((on, rng.randint(0, 27)))
    return points


def test_the_labels_drawn_by_chromium_never_meet(browser, shots):
    rng = random.Random(2026)
    crowded = [(date(2025, 3, 3) + timedelta(days=2 * i), 13 + i % 3) for i in range(40)]
    charts = [crowded] + [_series(rng) for _ in range(24)]
    html = f'<html><body style="font-family: {FONT}">' + "".join(str(score_chart("phq9", c)) for c in charts)
    page = browser.new_context(viewport={"width": 700, "height": 900}).new_page()
    page.set_content(html + "</body></html>")
    drawn = page.evaluate(MEASURE)
    shots(page, "charts-labels")
    assert len(drawn) == len(charts)
    for labels in drawn:
        for i, a in enumerate(labels):
            if not a["turned"]:
                estimate = len(a["text"]) * a["size"] * (BOLD_EM if a["bold"] else EM)
                assert a["right"] - a["left"] <= estimate + 0.5, a  # the estimate is never short
            for b in labels[i + 1 :]:
                apart = (
                    a["right"] <= b["left"]
                    or b["right"] <= a["left"]
                    or a["bottom"] <= b["top"]
                    or b["bottom"] <= a["top"]
                )
                assert apart, (a, b)
