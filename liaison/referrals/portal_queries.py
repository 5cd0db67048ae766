"""Reads for the referrer portal. Scoping is queries.referral_scope: a referring clinician sees the
referrals they made, a practice administrator their practice's, nobody else anything."""

from liaison.referrals import queries
from liaison.referrals.choices import EventKind
from liaison.referrals.models import ReferralEvent

PORTAL_PAGE_SIZE = 50
# What the referrer's timeline shows: the practice's steps, not its internal notes or assignments.
SHOWN_TO_REFERRER = (EventKind.RECEIVED, EventKind.TRANSITION)


def portal_list(*, user, after: int = 0) -> list[dict]:
    """One page of the portal, open referrals first, newest first, as queries.ROW_FIELDS (rows.py writes them); up
    to PORTAL_PAGE_SIZE + 1 rows, so the page knows whether there is a next one."""
    qs = queries.referral_scope(user).order_by("-is_open", "-received_at", "-id")
    return list(qs.values(*queries.ROW_FIELDS)[after : after + PORTAL_PAGE_SIZE + 1])


def portal_get(*, user, pk: int):
    return queries.referral_get(user=user, pk=pk)


def portal_timeline(referral) -> list[ReferralEvent]:
    return list(ReferralEvent.objects.filter(referral_id=referral.pk, kind__in=SHOWN_TO_REFERRER).order_by("at", "id"))


def still_needed(referral) -> list[str]:
    screening = getattr(referral, "screening", None)
    if screening is None:
        return []
    return [f["text"] for f in screening.findings if f.get("outcome") == "missing"]
