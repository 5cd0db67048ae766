"""What notify does when something happens to a referral (subscribed in apps.py, through liaison.core.events):
each handler writes its Notice rows in the publisher's transaction, so a notice commits with what it tells of or
not at all, and each is safe to run twice (a notice is once per person and key)."""

from django.utils import timezone

from liaison.care.models import SafetyAlert
from liaison.core.events import Event
from liaison.notify import links
from liaison.notify.choices import NoticeKind
from liaison.notify.models import Notice
from liaison.notify.notices import (
    FRESH,
    clinicians_for,
    coordinators_for,
    is_fresh,
    notices_create,
    referral_path,
)
from liaison.referrals.choices import Urgency
from liaison.referrals.queries import referral_of


def alerts_raised(event: Event) -> int:
    """Each open safety alert of the referral raised in the last hours and not yet told of goes to the responsible
    clinician at once (whatever their choices). Subscribed to every event that can raise one: intake's findings,
    a session, a score (staff's or the patient's), a missing item 9 recorded. Returns the notices written."""
    now = timezone.now()
    if not is_fresh(event.at, now=now):
        return 0
    alerts = list(
        SafetyAlert.objects.filter(
            referral_id=event.referral_id, acknowledged_at__isnull=True, raised_at__gte=now - FRESH
        ).values_list("pk", flat=True)
    )
    if not alerts:
        return 0
    referral = referral_of(event)
    users = clinicians_for(referral)
    path = referral_path(referral.pk, "care")
    written = 0
    for pk in alerts:
        written += len(
            notices_create(
                kind=NoticeKind.SAFETY_ALERT, key=f"alert:{pk}", users=users, path=path, referral_id=referral.pk, at=now
            )
        )
    return written


def urgent_referral(event: Event) -> int:
    """A referral received as urgent goes to the clinician who must review it within the hour (decision 0006),
    unless the safety alert it raised has just told them."""
    referral = referral_of(event)
    if referral.urgency != Urgency.URGENT or not is_fresh(event.at):
        return 0
    told = set(
        Notice.objects.filter(referral_id=referral.pk, kind=NoticeKind.SAFETY_ALERT).values_list(
            "recipient_id", flat=True
        )
    )
    users = [u for u in clinicians_for(referral) if u.pk not in told]
    return len(
        notices_create(
            kind=NoticeKind.URGENT_REFERRAL,
            key=f"urgent:{referral.pk}",
            users=users,
            path=referral_path(referral.pk),
            referral_id=referral.pk,
        )  # fmt: skip
    )


def referrer_replied(event: Event) -> int:
    """The referrer answered in the portal (a message, files, the missing history): the referral's coordinator
    is told, or every coordinator when none is assigned."""
    if not is_fresh(event.at):
        return 0
    referral = referral_of(event)
    which = event.payload.get("message_id") or event.event_id or event.payload.get("at")
    return len(
        notices_create(
            kind=NoticeKind.REFERRER_MESSAGE,
            key=f"reply:{referral.pk}:{which}",
            users=coordinators_for(referral),
            path=referral_path(referral.pk, "messages"),
            referral_id=referral.pk,
        )  # fmt: skip
    )


def link_sent(event: Event) -> None:
    """Care made a questionnaire link to send: the message and its one reminder, in care's transaction."""
    links.link_notices_create(
        referral=referral_of(event),
        link=event.context["link"],
        token=event.context["token"],
        channel=event.payload["channel"],
        to=event.context["to"],
        at=event.at,
    )
