"""Possible duplicates: a new referral for a patient who already has an open one (same date of birth,
a close name match). Flagged at intake; merged only when a person confirms."""

import unicodedata
from decimal import Decimal
from difflib import SequenceMatcher

from liaison.referrals.intake_models import DuplicateFlag
from liaison.referrals.models import Referral

THRESHOLD = Decimal("0.850")
MAX_CANDIDATES = 5


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    return "".join(c for c in text.lower() if c.isalpha() or c == " ").strip()


def name_similarity(a: tuple[str, str], b: tuple[str, str]) -> Decimal:
    """0–1: how alike two (first, last) names are, forgiving typos, accents and swapped order."""
    one, two = f"{_plain(a[0])} {_plain(a[1])}", f"{_plain(b[0])} {_plain(b[1])}"
    swapped = f"{_plain(b[1])} {_plain(b[0])}"
    ratio = max(SequenceMatcher(None, one, two).ratio(), SequenceMatcher(None, one, swapped).ratio())
    return Decimal(ratio).quantize(Decimal("0.001"))


def find_candidates(patient) -> list[tuple[int, Decimal]]:
    """Open referrals whose patient shares the date of birth and has a close name: (referral id, score)."""
    if not patient.date_of_birth:
        return []
    rows = Referral.objects.filter(is_open=True, patient__date_of_birth=patient.date_of_birth).values_list(
        "pk", "patient__first_name", "patient__last_name"
    )
    scored = [(pk, name_similarity((patient.first_name, patient.last_name), (f, last))) for pk, f, last in rows[:200]]
    return sorted([s for s in scored if s[1] >= THRESHOLD], key=lambda s: -s[1])[:MAX_CANDIDATES]


def flags_write(*, referral: Referral, candidates: list[tuple[int, Decimal]]) -> None:
    DuplicateFlag.objects.bulk_create(
        [DuplicateFlag(referral=referral, existing_id=pk, similarity=score) for pk, score in candidates]
    )
