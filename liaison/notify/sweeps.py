"""The periodic notices (decision 0041), run by the built-in worker (apps.py: comms' `worker.periodic_add`) and by
Celery beat (liaison/celery.py): letters about to go overdue, every five minutes, and each person's daily digest
once their day has begun. Both are safe to run twice: a notice is once per person and key."""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from liaison.accounts.models import User
from liaison.care.queries import open_alerts_query
from liaison.comms import clock
from liaison.comms.models import DueCommunication
from liaison.comms.predicates import PENDING_DUE, Inlined
from liaison.comms.protocol import Calendar
from liaison.notify.choices import NoticeKind, NoticeStatus
from liaison.notify.models import Notice
from liaison.notify.notices import RECEIVING_ROLES, notices_create
from liaison.referrals.models import Referral

DUE_SOON_HOURS = 2  # business hours before a letter's deadline: "due soon"


def letters_due_soon(*, at: datetime | None = None) -> int:
    """Letters still to send whose deadline falls within the next two business hours: their owner is told once
    per deadline (a letter whose deadline moves is told of again). With no owner, the referral's coordinator or
    clinician (as the letter's owner role says), else everyone in that role. Returns the notices written."""
    at = at or timezone.now()
    cal = Calendar.load()
    until = clock.add_business_hours(at, DUE_SOON_HOURS, opens=cal.opens, closes=cal.closes, holidays=cal.holidays)
    dues = list(
        DueCommunication.objects.filter(Inlined(PENDING_DUE), due_at__gt=at, due_at__lte=until)
        .select_related("owner", "referral__assigned_coordinator", "referral__assigned_clinician")
        .order_by("due_at", "id")[:500]
    )
    written = 0
    by_role: dict[str, list] = {}
    for due in dues:
        users = _owners(due, by_role)
        when = timezone.localtime(due.due_at)
        with transaction.atomic():
            written += len(
                notices_create(
                    kind=NoticeKind.LETTER_DUE_SOON,
                    key=f"due:{due.pk}:{when:%Y%m%d%H%M}",
                    users=users,
                    path=reverse("comms:due_letter", args=[due.pk]),
                    referral_id=due.referral_id,
                    at=at,
                    payload={"due_at": f"{when:%-I:%M %p on %a %b %-d}"},
                )  # fmt: skip
            )
    return written


def _owners(due: DueCommunication, by_role: dict) -> list:
    if due.owner is not None and due.owner.is_active:
        return [due.owner]
    assigned = getattr(due.referral, f"assigned_{due.owner_role}", None)
    if assigned is not None and assigned.is_active:
        return [assigned]
    if due.owner_role not in by_role:
        by_role[due.owner_role] = list(User.objects.filter(role=due.owner_role, is_active=True))
    return by_role[due.owner_role]


def digests_send(*, at: datetime | None = None) -> int:
    """Each coordinator's, clinician's and director's digest for today, once the practice's day has reached
    LIAISON_DIGEST_HOUR on a business day: counts and links only. A day with nothing due, overdue or open is
    marked done without an email. Returns the digests written."""
    at = at or timezone.now()
    local = timezone.localtime(at)
    cal = Calendar.load()
    if local.hour < settings.NOTIFY_DIGEST_HOUR or not clock.is_business_day(local.date(), cal.holidays):
        return 0
    key = f"digest:{local.date():%Y-%m-%d}"
    done = Notice.objects.filter(key=key).values_list("recipient_id", flat=True)
    people = list(User.objects.filter(role__in=RECEIVING_ROLES, is_active=True).exclude(pk__in=done).order_by("pk"))
    if not people:
        return 0
    counts = _counts(people, at=at, end=clock.end_of_day(at))
    links = {
        "queue": reverse("comms:queue") + "?mine=1",
        "inbox": reverse("referrals:inbox"),
        "alerts": reverse("care:alerts"),
    }
    written = 0
    for person in people:
        mine = counts[person.pk] | {"alerts": open_alerts_query(user=person).count()}
        payload = {"day": f"{local:%A %B %-d}", "counts": mine, "links": links}
        with transaction.atomic():
            rows = notices_create(kind=NoticeKind.DIGEST, key=key, users=[person], path="/", at=at, payload=payload)
            if rows and not any(mine.values()):
                Notice.objects.filter(pk__in=[r.pk for r in rows if r.pk]).update(
                    status=NoticeStatus.CANCELLED, last_error="Nothing was due, overdue or open: no email that day."
                )
            written += len(rows)
    return written


def _counts(people: list, *, at: datetime, end: datetime) -> dict[int, dict]:
    """Per person: letters they own due by the end of today and overdue; referrals whose next step is theirs,
    the same. Two grouped queries for everyone."""
    counts = {
        p.pk: dict.fromkeys(("letters_today", "letters_overdue", "steps_today", "steps_overdue"), 0) for p in people
    }
    letters = (
        DueCommunication.objects.filter(Inlined(PENDING_DUE), owner__in=people, due_at__lte=end)
        .values("owner")
        .annotate(today=Count("pk", filter=Q(due_at__gte=at)), overdue=Count("pk", filter=Q(due_at__lt=at)))
    )
    for row in letters:
        counts[row["owner"]] |= {"letters_today": row["today"], "letters_overdue": row["overdue"]}
    steps = (
        Referral.objects.filter(is_open=True, next_action_owner__in=people, next_action_due_at__lte=end)
        .values("next_action_owner")
        .annotate(
            today=Count("pk", filter=Q(next_action_due_at__gte=at)),
            overdue=Count("pk", filter=Q(next_action_due_at__lt=at)),
        )
    )
    for row in steps:
        counts[row["next_action_owner"]] |= {"steps_today": row["today"], "steps_overdue": row["overdue"]}
    return counts
