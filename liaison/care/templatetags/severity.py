"""The one way a page or a letter says a PHQ-9 or GAD-7 total in words: `{{ total|band:"phq9" }}`.

A total on a cut-off (5, 10, 15, 20 on the PHQ-9; 5, 10, 15 on the GAD-7) is in the higher band, as
instruments.band says. The letters' template engine loads this library too (comms.letters)."""

from django import template

from liaison.care import instruments

register = template.Library()


@register.filter
def band(total, instrument: str = "phq9") -> str:
    """The severity band of `total` on `instrument` ("Moderately severe"); "" when there is no total."""
    if total is None or total == "" or isinstance(total, bool):
        return ""
    instruments.spec(instrument)  # an unknown instrument is a mistake in the template: say so
    try:
        return instruments.band(instrument, int(total)).label
    except (TypeError, ValueError):
        return ""
