"""A short, curated list of the ICD-10-CM mental-health codes that matter for ketamine referrals
(F31–F43), with our own short descriptions, for the form's look-up and the API."""

import csv
from functools import cache
from pathlib import Path

DATA = Path(__file__).parent / "data" / "icd10_f.csv"
LIMIT = 15


@cache
def codes() -> tuple[tuple[str, str], ...]:
    with DATA.open(newline="") as f:
        return tuple((row["code"], row["description"]) for row in csv.DictReader(f))


def search(q: str, limit: int = LIMIT) -> list[tuple[str, str]]:
    """Codes whose code starts with, or whose description contains, every word typed."""
    words = (q or "").lower().split()
    if not words:
        return list(codes()[:limit])
    hits = [
        (code, text) for code, text in codes() if all(code.lower().startswith(w) or w in text.lower() for w in words)
    ]
    return hits[:limit]


def describe(code: str) -> str:
    return dict(codes()).get((code or "").upper(), "")
