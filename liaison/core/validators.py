"""Text that may end up in an email header (names, subjects, addresses, phone numbers, references) must be
plain text. One rule, used by every form (liaison.core.forms), the JSON API (liaison.api.schemas) and the
services that build headers (liaison.comms.services): no control characters.

A control character is anything in Unicode category Cc (NUL, line breaks, tabs, escape, DEL, the C1 range),
plus the Unicode line and paragraph separators, which mail software also reads as line breaks. A multi-line
text area may hold line breaks and tabs; a one-line field may not. Neither may hold the invisible characters
that disguise text: the direction overrides and isolates (U+202A–U+202E, U+2066–U+2069), which can make a
name read backwards, and the zero-width space, word joiner and byte-order mark. The zero-width joiner and
non-joiner stay allowed: names in Persian, Hindi and other scripts need them."""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

MULTILINE_ALLOWED = frozenset("\n\r\t")
LINE_SEPARATORS = frozenset("\u2028\u2029")
DISGUISING = frozenset("\u200b\u2060\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

ONE_LINE_MESSAGE = (
    "Remove the line break, tab or other invisible character (it may have come with pasted text): this field is a "
    "single line of plain text."
)
MULTILINE_MESSAGE = (
    "Remove the invisible character (it may have come with pasted text): this text may hold line breaks and tabs, but "
    "no other control or direction-changing characters."
)


def control_characters(value: str, *, multiline: bool = False) -> list[str]:
    """The control characters in `value`, in order, each once (as they would be written in Python: '\\n')."""
    allowed = MULTILINE_ALLOWED if multiline else frozenset()
    found: dict[str, None] = {}
    for ch in value:
        if ch in allowed:
            continue
        if unicodedata.category(ch) == "Cc" or ch in DISGUISING or (not multiline and ch in LINE_SEPARATORS):
            found.setdefault(repr(ch)[1:-1])
    return list(found)


def flatten_to_one_line(value: str) -> str:
    """`value` with each control character (and the spaces around it) made one space: for text we write
    ourselves from stored values, such as a letter's draft subject, which a person then reads and signs."""
    if not control_characters(value):
        return value
    hidden = LINE_SEPARATORS | DISGUISING
    marked = "".join("\x00" if unicodedata.category(ch) == "Cc" or ch in hidden else ch for ch in value)
    return " ".join(part.strip() for part in marked.split("\x00") if part.strip())


def refuse_control_characters(value, *, multiline: bool = False) -> None:
    """Raise ValidationError (code "control_characters") if `value` carries a control character."""
    if isinstance(value, str) and control_characters(value, multiline=multiline):
        raise ValidationError(MULTILINE_MESSAGE if multiline else ONE_LINE_MESSAGE, code="control_characters")


@deconstructible
class ControlCharacterValidator:
    """refuse_control_characters as a Django validator (for form and model fields)."""

    def __init__(self, *, multiline: bool = False):
        self.multiline = multiline

    def __call__(self, value) -> None:
        refuse_control_characters(value, multiline=self.multiline)

    def __eq__(self, other) -> bool:
        return isinstance(other, ControlCharacterValidator) and other.multiline == self.multiline


one_line = ControlCharacterValidator()
multi_line = ControlCharacterValidator(multiline=True)
