"""Score trajectories as server-rendered SVG with the instrument's severity bands behind the line.

One function for every place a chart appears: the referral page and the letters (rendered to PDF by
WeasyPrint). Colours are SVG presentation attributes, not style attributes, so the strict CSP allows them.
"""

from datetime import date

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from liaison.care.instruments import band, spec

BAND_FILL = {"none": "#e4f4ea", "mild": "#f1f6dc", "moderate": "#fff4d6", "modsevere": "#fde3cc", "severe": "#fbd5d1"}
LINE = "#245f73"
INK = "#1d2733"
MUTED = "#5b6776"
LEFT, RIGHT, TOP, BOTTOM = 48, 172, 14, 40
MAX_DATE_LABELS = 8


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


def _date_labels(points, xs, bottom: float) -> list[str]:
    step = max(1, -(-len(points) // MAX_DATE_LABELS))
    shown = set(range(0, len(points), step)) | {len(points) - 1}
    return [
        f'<text x="{xs[i]:.1f}" y="{bottom + 16:.1f}" font-size="11" text-anchor="middle" fill="{MUTED}">'
        f"{points[i][0]:%b %-d}</text>"
        for i in sorted(shown)
    ]


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
            parts.append(
                f'<text x="{x:.1f}" y="{y(v) - 8:.1f}" font-size="11" font-weight="bold" text-anchor="middle" '
                f'fill="{INK}">{v}</text>'
            )
        parts += _date_labels(points, xs, plot_bottom)
    else:
        parts.append(
            f'<text x="{(plot_left + plot_right) / 2:.1f}" y="{(plot_top + plot_bottom) / 2:.1f}" font-size="13" '
            f'text-anchor="middle" fill="{MUTED}">No {escape(s.name)} scores yet</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every value above is a number or escaped
