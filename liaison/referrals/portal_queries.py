"""Reads for the referrer portal. Scoping is queries.referral_scope: a referring clinician sees the
referrals they made, a practice administrator their practice's, nobody else anything."""

from django.db import connection

from liaison.accounts.choices import Role
from liaison.directory.models import Referrer
from liaison.referrals import queries
from liaison.referrals.choices import EventKind
from liaison.referrals.models import ReferralEvent

PORTAL_PAGE_SIZE = 50
# What the referrer's timeline shows: the practice's steps and the messages between them (decision 0039), not its
# internal notes, assignments, safety reviews or item-9 records.
SHOWN_TO_REFERRER = (EventKind.RECEIVED, EventKind.TRANSITION, EventKind.REPLY, EventKind.MESSAGE)


NEWEST = ("-received_at", "-id")


def portal_list(*, user, after: int = 0) -> list[dict]:
    """One page of the portal, open referrals first, newest first, as queries.ROW_FIELDS (rows.py writes them); up
    to PORTAL_PAGE_SIZE + 1 rows, so the page knows whether there is a next one.

    Read as the newest few of each referrer's open and of their closed referrals (each from the referrer's index by
    date received), merged: sorting a busy referrer's whole history for its first page took PostgreSQL half a second
    at 55,000 referrals (decision 0030). Every part is within queries.referral_scope."""
    scope = queries.referral_scope(user)
    page = slice(after, after + PORTAL_PAGE_SIZE + 1)
    if not connection.features.supports_slicing_ordering_in_compound:  # SQLite: one sorted query
        return list(scope.order_by("-is_open", *NEWEST).values(*queries.ROW_FIELDS)[page])
    wanted = page.stop
    parts = [
        scope.filter(referrer_id=referrer_id, is_open=is_open).order_by(*NEWEST).values(*queries.ROW_FIELDS)[:wanted]
        for referrer_id in _referrers_of(user)
        for is_open in (True, False)
    ]
    if not parts:
        return []
    merged = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return list(merged.order_by("-is_open", *NEWEST)[page])


def _referrers_of(user) -> list[int]:
    """The referrers whose referrals this person's portal lists: their own, or each of their practice's."""
    if user.role == Role.REFERRER and user.referrer_id:
        return [user.referrer_id]
    if user.role == Role.REFERRER_ADMIN and user.practice_id:
        return list(Referrer.objects.filter(practice_id=user.practice_id).order_by("id").values_list("id", flat=True))
    return []


def portal_get(*, user, pk: int):
    """The referral as its portal page shows it: joined only to what that page reads (three joins, not eight)."""
    return queries.referral_get(user=user, pk=pk, related=("patient", "referrer", "screening"))


def portal_timeline(referral) -> list[ReferralEvent]:
    return list(ReferralEvent.objects.filter(referral_id=referral.pk, kind__in=SHOWN_TO_REFERRER).order_by("at", "id"))


def still_needed(referral) -> list[str]:
    screening = getattr(referral, "screening", None)
    if screening is None:
        return []
    return [f["text"] for f in screening.findings if f.get("outcome") == "missing"]
