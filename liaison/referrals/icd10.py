"""A short, curated list of the ICD-10-CM mental-health codes that matter for ketamine referrals
(F31–F43), with our own short descriptions, for the forms' look-up and the API.

A person may type a code ("F33.2", "f332") or words ("major depression", "recurrent severe", "PTSD"): `search`
offers the codes that fit, and `resolve` turns what was typed into one code, or says in words why it cannot."""

import csv
import re
from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data" / "icd10_f.csv"
LIMIT = 15
CODE = re.compile(r"^([A-TV-Z][0-9][0-9AB])\.?([0-9A-TV-Z]{1,4})?$")  # as referrals.models.icd10_validator
LEADING_CODE = re.compile(r"^\s*([A-TV-Z][0-9][0-9AB](?:\.[0-9A-TV-Z]{1,4})?)(?:\s|$)", re.IGNORECASE)
# What clinicians write for a diagnosis, in the descriptions' own words.
SYNONYMS = {
    "mdd": "major depressive disorder",
    "trd": "major depressive disorder",
    "ptsd": "post-traumatic stress disorder",
    "gad": "generalized anxiety disorder",
    "ocd": "obsessive-compulsive disorder",
    "pmdd": "premenstrual dysphoric disorder",
    "dmdd": "disruptive mood dysregulation disorder",
    "dysthymia": "dysthymic",
    "bipolar ii": "bipolar ii disorder",
    "manic": "hypomanic",
}
CODE_LIKE = re.compile(r"^[A-Za-z][0-9][0-9A-Za-z.]*$")  # an attempt at a code, not words
SHOWN_IN_A_MESSAGE = 4


class NoMatch(ValueError):
    """What was typed is not one code; the message says why, in words for the person who typed it."""


@cache
def codes() -> tuple[tuple[str, str], ...]:
    with DATA.open(newline="") as f:
        return tuple((row["code"], row["description"]) for row in csv.DictReader(f))


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _expanded(q: str) -> list[str]:
    text = f" {q.lower()} "
    for short, long in SYNONYMS.items():
        text = re.sub(rf"(?<![a-z0-9]){re.escape(short)}(?![a-z0-9])", long, text)
    return _words(text)


def _fits(typed: str, words: list[str]) -> bool:
    """A typed word fits a description word that begins with it, or with its stem: "depression" fits
    "depressive" and "depressed", "psychosis" fits "psychotic", "sev" fits "severe"."""
    stem = typed[: min(len(typed), max(5, len(typed) - 3))]
    return any(w.startswith(stem) for w in words)


def _matches(code: str, text: str, typed: list[str], raw: str) -> bool:
    words = _words(text)
    return code.lower().startswith(raw) or all(code.lower().startswith(t) or _fits(t, words) for t in typed)


def search(q: str, limit: int = LIMIT) -> list[tuple[str, str]]:
    """Codes that begin with what was typed, or whose description has every word typed (or a word like it)."""
    raw = (q or "").strip().lower()
    typed = _expanded(raw)
    if not typed:
        return list(codes()[:limit])
    return [(code, text) for code, text in codes() if _matches(code, text, typed, raw)][:limit]


def describe(code: str) -> str:
    return dict(codes()).get((code or "").upper(), "")


def normalize(value: str) -> str | None:
    """ "f332" → "F33.2"; None when the value is not shaped like an ICD-10-CM code."""
    found = CODE.match((value or "").strip().upper())
    if not found:
        return None
    head, tail = found.groups()
    return f"{head}.{tail}" if tail else head


def resolve(typed: str) -> str:
    """The code for what a person typed: a code (kept as typed, in capitals), a code followed by its description
    (as the look-up shows it), or words that fit exactly one code or one description. NoMatch says otherwise."""
    typed = (typed or "").strip()
    if code := normalize(typed):
        return code
    if (lead := LEADING_CODE.match(typed)) and (code := normalize(lead.group(1))):
        return code
    exact = [code for code, text in codes() if text.lower() == typed.lower()]
    hits = exact or [code for code, _ in search(typed, limit=len(codes()))]
    if len(hits) == 1:
        return hits[0]
    if not hits and CODE_LIKE.match(typed):
        example = "Enter an ICD-10-CM code such as F33.2 or F32.A, or words from its name."
        raise NoMatch(f"“{typed[:20]}” is not an ICD-10-CM code. {example}")
    if not hits:
        raise NoMatch(
            f"No ICD-10 code matches “{typed[:60]}”. Type a code such as F33.2, or words from its name "
            "such as “recurrent severe”, and choose from the list."
        )
    shown = "; ".join(f"{code} {describe(code)}" for code in hits[:SHOWN_IN_A_MESSAGE])
    more = f", and {len(hits) - SHOWN_IN_A_MESSAGE} more" if len(hits) > SHOWN_IN_A_MESSAGE else ""
    raise NoMatch(
        f"“{typed[:60]}” fits {len(hits)} ICD-10 codes ({shown}{more}). Choose one from the list, "
        "or add a word such as “recurrent” or “severe”."
    )
