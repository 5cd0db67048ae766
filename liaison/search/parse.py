"""What was typed in the search box, read as what it can be: words of a name, a date of birth, a referral's
reference, a phone number, an NPI. Bad input is a message for the person, never an error page."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError

from liaison.core.validators import control_characters
from liaison.directory.validators import normalize_phone, validate_npi
from liaison.search.text import fold

MAX_LENGTH = 100
MAX_WORDS = 4  # words of a name: more than a first, middle and last name (and a maiden name) finds nothing new
EMPTY = "Type a name, a date of birth, a reference, a phone number or an NPI to search for."
TOO_LONG = f"A search is at most {MAX_LENGTH} characters: type part of the name, or the reference."
CONTROL = "Remove the line break, tab or other invisible character from the search (it may have come with pasted text)."
DATE_FORMATS = ("%m/%d/%Y", "%m-%d-%Y", "%Y-%m-%d", "%m.%d.%Y", "%Y/%m/%d")
REFERENCE = re.compile(r"^(?:r-?|#)0*(\d{1,9})$", re.I)
PHONE_CHARACTERS = re.compile(r"^[\d\s().+-]+$")


@dataclass(frozen=True)
class Query:
    words: tuple[str, ...] = ()  # folded words of a name
    birth_date: date | None = None
    reference: int | None = None  # a referral's id
    phone: str = ""  # E.164
    npi: str = ""

    @property
    def looked_for(self) -> list[str]:
        """What the search read the query as, for the page and the audit trail (never the words themselves)."""
        parts = {"name": self.words, "date of birth": self.birth_date, "reference": self.reference}
        parts |= {"phone": self.phone, "NPI": self.npi}
        return [label for label, value in parts.items() if value]


@dataclass
class Parsed:
    query: Query | None = None
    error: str = ""
    ignored: list[str] = field(default_factory=list)


def parse(text: str) -> Parsed:
    """The query, or the message that says what to change."""
    if control_characters(text):
        return Parsed(error=CONTROL)
    text = text.strip()
    if not text:
        return Parsed(error=EMPTY)
    if len(text) > MAX_LENGTH:
        return Parsed(error=TOO_LONG)
    if PHONE_CHARACTERS.match(text) and len(digits := re.sub(r"\D", "", text)) >= 10:
        return _number(digits)
    return _words(text)


def _number(digits: str) -> Parsed:
    """Ten digits or more: a phone number, an NPI, or both (an NPI is ten digits with a check digit)."""
    npi = digits if _is_npi(digits) else ""
    try:
        phone = normalize_phone(digits)
    except ValidationError:
        phone = ""
    if not (npi or phone):
        return Parsed(error="That is neither a phone number nor an NPI: check the digits.")
    return Parsed(query=Query(phone=phone, npi=npi))


def _is_npi(digits: str) -> bool:
    try:
        validate_npi(digits)
    except ValidationError:
        return False
    return True


def _words(text: str) -> Parsed:
    words, found, ignored = [], {}, []
    tokens = [t for t in re.split(r"[\s,;]+", text) if t]
    for token in tokens:
        if (day := _date(token)) is not None:
            found["birth_date"] = day
        elif match := REFERENCE.match(token) or (len(tokens) == 1 and re.match(r"^0*(\d{1,9})$", token)):
            found["reference"] = int(match.group(1))  # a number alone is a reference; beside a name, nothing
        else:
            folded = [w for w in fold(token) if not w.isdigit()]
            words += folded
            if not folded:
                ignored.append(token)
    words = list(dict.fromkeys(words))[:MAX_WORDS]
    if len("".join(words)) < 2 and not found:
        return Parsed(error="Type at least two letters of a name, or a date of birth, a reference or a phone number.")
    return Parsed(query=Query(words=tuple(words), **found), ignored=ignored)


def _date(token: str) -> date | None:
    for fmt in DATE_FORMATS:
        try:
            day = datetime.strptime(token, fmt).date()  # noqa: DTZ007  (a date of birth has no time zone)
        except ValueError:
            continue
        return day if 1900 <= day.year <= 2100 else None
    return None
