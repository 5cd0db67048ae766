"""Filters the letter templates use (a builtin of the letters' template engine, liaison.comms.letters)."""

from django import template

from liaison.directory.validators import display_phone

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """A stored number as people write it: +12125550100 becomes (212) 555-0100; text that is not a number stays."""
    return display_phone(value or "")
