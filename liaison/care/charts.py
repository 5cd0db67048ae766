"""Score trajectories as server-rendered SVG with the instrument's severity bands behind the line.

One function for every place a chart appears: the referral page and the letters (rendered to PDF by
WeasyPrint). No two labels meet, for one session or forty: the dates are thinned to those with room, and the scores
are written above or below their points, all of them for a short series, else the first, last, highest and lowest
(every score is still in each point's tooltip, the chart's description and the table beside the chart).
Colours are SVG presentation attributes, not style attributes, so the strict CSP allows them.
"""

from dataclasses import dataclass
from datetime import date

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from liaison.care.instruments import band, spec

BAND_FILL = {"none": "#e4f4ea", "mild": "#f1f6dc", "moderate": "#fff4d6", "modsevere": "#fde3cc", "severe": "#fbd5d1"}
LINE = "#245f73"
INK = "#1d2733"
MUTED = "#5b6776"
LEFT, RIGHT, TOP, BOTTOM = 48, 172, 14, 40


def _x_positions(dates: list[date], left: float, width: float) -> list[float]:
    first, last = min(dates), max(dates)
    span = (last - first).days
    if span == 0:
        return [left + width / 2 for _ in dates]
    return [left + width * (d - first).days / span for d in dates]


def band_edges(instrument: str, b) -> tuple[float, float]:
    """A band's drawn extent in score units: half a point either side of its whole totals, so that a total on a
    cut-off (10 on the PHQ-9) sits inside the higher band, not on the line between two."""
    return max(b.low - 0.5, 0), min(b.high + 0.5, spec(instrument).max_total)


def _bands(instrument: str, y, plot_left: float, plot_right: float) -> list[str]:
    parts = []
    for b in spec(instrument).bands:
        low, high = band_edges(instrument, b)
        top, bottom = y(high), y(low)
        parts.append(
            f'<rect x="{plot_left:.1f}" y="{top:.1f}" width="{plot_right - plot_left:.1f}" '
            f'height="{bottom - top:.1f}" fill="{BAND_FILL[b.tone]}" data-band="{escape(b.label)}"/>'
        )
        parts.append(
            f'<text x="{plot_right + 6:.1f}" y="{(top + bottom) / 2 + 4:.1f}" font-size="11" fill="{MUTED}">'
            f"{escape(b.label)} {b.low}–{b.high}</text>"
        )
        parts.append(
            f'<text x="{plot_left - 6:.1f}" y="{bottom + 4:.1f}" font-size="11" text-anchor="end" fill="{MUTED}">'
            f"{b.low}</text>"
        )
    return parts


# Text boxes, estimated: a character's advance as a share of the font size (digits and capitals of a sans serif;
# bold is wider), and how far glyphs reach above and below the baseline. Every label is placed so that no two of
# these boxes meet (tests/test_charts.py draws random series and checks).
EM, BOLD_EM, ASCENT, DESCENT = 0.62, 0.7, 0.8, 0.25
GAP = 3  # the least room between two labels, in pixels
VALUE_SIZE, DATE_SIZE = 11, 11
ALL_VALUES_UP_TO = 12  # sessions; beyond this only the first, last, highest and lowest scores carry their value


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    right: float
    bottom: float

    def meets(self, other: "Box", gap: float = 0) -> bool:
        return not (
            self.right + gap <= other.left
            or other.right + gap <= self.left
            or self.bottom + gap <= other.top
            or other.bottom + gap <= self.top
        )

    def inside(self, other: "Box") -> bool:
        return (
            self.left >= other.left
            and self.right <= other.right
            and self.top >= other.top
            and self.bottom <= other.bottom
        )


def text_box(x: float, y: float, text: str, *, size: float, anchor: str = "start", bold: bool = False) -> Box:
    """The box a line of text at (x, baseline y) is estimated to cover."""
    width = len(text) * size * (BOLD_EM if bold else EM)
    left = {"start": x, "middle": x - width / 2, "end": x - width}[anchor]
    return Box(left, y - ASCENT * size, left + width, y + DESCENT * size)


def _date_labels(points, xs, bottom: float) -> tuple[list[str], list[Box]]:
    """The dates under the axis, thinned so that none meets another: the last and the first always, then the
    others left to right wherever there is room (points of one day share a label)."""
    y = bottom + 16
    at: dict[date, float] = {}
    for (on, _), x in zip(points, xs, strict=True):
        at.setdefault(on, x)
    order = [len(at) - 1, 0, *range(1, len(at) - 1)] if len(at) > 1 else [0]
    items = list(at.items())
    shown: dict[int, Box] = {}
    for i in order:
        on, x = items[i]
        box = text_box(x, y, f"{on:%b %-d}", size=DATE_SIZE, anchor="middle")
        if not any(box.meets(other, GAP * 2) for other in shown.values()):
            shown[i] = box
    parts = [
        f'<text x="{items[i][1]:.1f}" y="{y:.1f}" font-size="{DATE_SIZE}" text-anchor="middle" fill="{MUTED}">'
        f"{items[i][0]:%b %-d}</text>"
        for i in sorted(shown)
    ]
    return parts, list(shown.values())


def _value_order(values: list[int]) -> list[int]:
    """Which points carry their value, most wanted first: the last, the first, the highest, the lowest, then (for a
    short series) the rest in order."""
    n = len(values)
    wanted = [n - 1, 0, values.index(max(values)), values.index(min(values))]
    if n <= ALL_VALUES_UP_TO:
        wanted += range(n)
    return list(dict.fromkeys(wanted))


def _cuts(box: Box, segment: tuple[tuple[float, float], tuple[float, float]]) -> bool:
    """Whether a stretch of the line passes through the box (tested every 2 pixels along it)."""
    (x1, y1), (x2, y2) = segment
    if max(x1, x2) < box.left or min(x1, x2) > box.right or max(y1, y2) < box.top or min(y1, y2) > box.bottom:
        return False
    steps = max(2, int(max(abs(x2 - x1), abs(y2 - y1)) / 2))
    return any(
        box.left <= x1 + (x2 - x1) * k / steps <= box.right and box.top <= y1 + (y2 - y1) * k / steps <= box.bottom
        for k in range(steps + 1)
    )


def _value_labels(values: list[int], centres: list[tuple[float, float]], area: Box, taken: list[Box]) -> list[str]:
    """Each chosen point's value above it, else below, right or left of it (level, or a little higher): the first
    of these that meets no other text and crosses neither the line nor another point. The first, last, highest
    and lowest take the place that crosses least when none is clear, on a white ground; any other is left out when
    none is clear (its value is in the point's tooltip, the chart's description and the table beside it)."""
    dots = [Box(x - 5, y - 5, x + 5, y + 5) for x, y in centres]
    segments = list(zip(centres, centres[1:], strict=False))
    placed, parts, said = list(taken), [], set()
    for rank, i in enumerate(_value_order(values)):
        x, y = centres[i]
        text = str(values[i])
        if (round(x), round(y)) in said:
            continue  # the same score on the same day, already written

        aside = len(text) * VALUE_SIZE * BOLD_EM / 2 + 7
        spots = [
            (x, y - 8),
            (x, y + 16),
            (x + aside, y + 4),
            (x - aside, y + 4),
            (x + aside, y - 3),
            (x - aside, y - 3),
        ]
        best = None
        for sx, sy in spots:
            box = text_box(sx, sy, text, size=VALUE_SIZE, anchor="middle", bold=True)
            if not box.inside(area) or any(box.meets(o, GAP) for o in placed):
                continue
            crossed = 2 * sum(box.meets(d) for j, d in enumerate(dots) if j != i) + sum(_cuts(box, s) for s in segments)
            if best is None or crossed < best[0]:
                best = (crossed, sx, sy, box)
        if best is None or (best[0] and rank >= 4):
            continue
        crossed, sx, sy, box = best
        placed.append(box)
        said.add((round(x), round(y)))
        if crossed:
            parts.append(
                f'<rect x="{box.left - 1:.1f}" y="{box.top:.1f}" width="{box.right - box.left + 2:.1f}" '
                f'height="{box.bottom - box.top:.1f}" rx="2" fill="#ffffff" fill-opacity="0.85"/>'
            )
        parts.append(
            f'<text x="{sx:.1f}" y="{sy:.1f}" font-size="{VALUE_SIZE}" font-weight="bold" text-anchor="middle" '
            f'fill="{INK}">{text}</text>'
        )
    return parts


def score_chart(instrument: str, points: list[tuple[date, int]], *, width: int = 640, height: int = 230) -> SafeString:
    """An SVG of one instrument's totals over time, with its severity bands. `points` are (date, total)."""
    s = spec(instrument)
    points = sorted(points, key=lambda p: p[0])
    plot_left, plot_right, plot_top, plot_bottom = LEFT, width - RIGHT, TOP, height - BOTTOM

    def y(value: float) -> float:
        return plot_bottom - (plot_bottom - plot_top) * value / s.max_total

    ident = f"chart-{instrument}"
    described = "; ".join(f"{d:%b %-d, %Y}: {v} ({band(instrument, v).label.lower()})" for d, v in points)
    described = described or "no scores yet"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="score-chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-labelledby="{ident}-t {ident}-d">',
        f'<title id="{ident}-t">{s.name} over time</title>',
        f'<desc id="{ident}-d">{escape(s.name)} totals, {escape(described)}.</desc>',
        *_bands(instrument, y, plot_left, plot_right),
        f'<text x="{plot_left - 6:.1f}" y="{y(s.max_total) + 4:.1f}" font-size="11" text-anchor="end" '
        f'fill="{MUTED}">{s.max_total}</text>',
        f'<text x="12" y="{(plot_top + plot_bottom) / 2:.1f}" font-size="12" fill="{INK}" text-anchor="middle" '
        f'transform="rotate(-90 12 {(plot_top + plot_bottom) / 2:.1f})">{s.name} score</text>',
        f'<line x1="{plot_left}" y1="{plot_bottom}" x2="{plot_right}" y2="{plot_bottom}" stroke="{MUTED}"/>',
    ]
    if points:
        inner = 18
        xs = _x_positions([p[0] for p in points], plot_left + inner, plot_right - plot_left - 2 * inner)
        coords = " ".join(f"{x:.1f},{y(v):.1f}" for x, (_, v) in zip(xs, points, strict=True))
        parts.append(f'<polyline points="{coords}" fill="none" stroke="{LINE}" stroke-width="2.5"/>')
        for x, (on, v) in zip(xs, points, strict=True):
            named = band(instrument, v).label
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y(v):.1f}" r="4" fill="{LINE}" data-band="{escape(named)}">'
                f"<title>{escape(f'{on:%b %-d, %Y}: {v}, {named.lower()}')}</title></circle>"
            )
        dates, taken = _date_labels(points, xs, plot_bottom)
        area = Box(plot_left, 1, plot_right, plot_bottom - 1)  # inside the plot: clear of the axes' own labels
        values = [v for _, v in points]
        parts += _value_labels(values, [(x, y(v)) for x, v in zip(xs, values, strict=True)], area, taken)
        parts += dates
    else:
        parts.append(
            f'<text x="{(plot_left + plot_right) / 2:.1f}" y="{(plot_top + plot_bottom) / 2:.1f}" font-size="13" '
            f'text-anchor="middle" fill="{MUTED}">No {escape(s.name)} scores yet</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is a number or escaped
