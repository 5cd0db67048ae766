"""Reads of comms, scoped to who is asking (through referrals.queries.referral_scope)."""

import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Aggregate, Count, DurationField, F, Q
from django.utils import timezone

from liaison.accounts.access import out_of_scope
from liaison.comms.choices import PENDING, DueStatus, LetterStatus, LetterType
from liaison.comms.models import DueCommunication, Letter
from liaison.comms.on_time import ON_TIME, is_on_time
from liaison.core.models import PendingReaction
from liaison.referrals.queries import referral_scope

ACTIVE = (*PENDING, DueStatus.APPROVED)


def scoped(queryset, user):
    """Rows on referrals this person may see. Clinical staff see every referral: no filter at all, so the
    query does not join the whole referral history (the work queue must cost what the open work costs)."""
    if user.is_authenticated and user.is_active and user.sees_all_referrals:
        return queryset
    return queryset.filter(referral__in=referral_scope(user))


def letter_get(*, user, pk: int) -> Letter:
    """A letter this person may see: staff, any of the clinic's; a referrer, signed letters on their referrals."""
    letters = scoped(Letter.objects.all(), user).select_related(
        "referral__patient", "referral__referrer", "due", "signed_by"
    )
    if not user.sees_all_referrals:
        letters = letters.filter(status=LetterStatus.SIGNED)
    try:
        return letters.get(pk=pk)
    except Letter.DoesNotExist:
        raise out_of_scope(
            user=user, model=Letter, pk=pk, patient_field="referral__patient_id", message="No such letter."
        ) from None


def due_get(*, user, pk: int) -> DueCommunication:
    try:
        return scoped(DueCommunication.objects.all(), user).select_related("referral").get(pk=pk)
    except DueCommunication.DoesNotExist:
        raise out_of_scope(
            user=user,
            model=DueCommunication,
            pk=pk,
            patient_field="referral__patient_id",
            message="No such communication.",
        ) from None


# ---------------------------------------------------------------- one referral


@dataclass
class Owed:
    next: list[DueCommunication]
    delivered: list[DueCommunication]
    on_time: int
    due_so_far: int
    working_out: bool = False  # a new referral whose follow-up the worker has not run yet


def owed_for(*, user, referral, at: datetime | None = None) -> Owed:
    """What the referral owes its referrer next, and what it has sent. `referral` comes from referral_get."""
    at = at or timezone.now()
    rows = list(
        DueCommunication.objects.filter(referral_id=referral.pk)
        .exclude(status=DueStatus.CANCELLED)
        .select_related("letter", "owner")
        .order_by("due_at", "id")
    )
    done = [d for d in rows if d.status == DueStatus.DELIVERED]
    past_due = [d for d in rows if d.due_at <= at or d.status == DueStatus.DELIVERED]
    return Owed(
        next=[d for d in rows if d.status in ACTIVE],
        delivered=done,
        on_time=sum(
            1 for d in done if is_on_time(due_at=d.due_at, triggered_at=d.triggered_at, delivered_at=d.delivered_at)
        ),
        due_so_far=len(past_due),
        working_out=PendingReaction.objects.filter(referral_id=referral.pk).exists(),
    )


# ---------------------------------------------------------------- SLA


@dataclass
class Figures:
    label: str
    due: int
    on_time: int
    overdue_now: int
    median_ack_hours: float | None
    referrer_id: int | None = None  # 0 for self-referrals; None for the practice

    @property
    def on_time_percent(self) -> int | None:
        return round(100 * self.on_time / self.due) if self.due else None


class Median(Aggregate):
    """PostgreSQL's median (percentile_cont): the figures page's medians are worked out where the rows are."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = DurationField()


def _hours(median: timedelta | None) -> float | None:
    return round(median.total_seconds() / 3600, 1) if median is not None else None


def sla_figures_from_letters(
    *, user, days: int = 90, at: datetime | None = None, top: int = 50
) -> tuple[Figures, list[Figures]]:
    """From the letters themselves (the page reads stored days: liaison.comms.sla; this is for a person who sees
    only some referrals, and the tests' reference). Letters on time, median hours to acknowledgment and overdue
    now: for the practice and per referrer,
    over letters due in the last `days` days. Aggregated in the database, medians too on PostgreSQL (elsewhere,
    SQLite in development, from the acknowledgments of the referrers shown); medians over the window's
    acknowledgments only."""
    at = at or timezone.now()
    since = at - timedelta(days=days)
    window = scoped(DueCommunication.objects.all(), user).filter(due_at__gte=since).exclude(status=DueStatus.CANCELLED)
    counted = window.filter(Q(due_at__lte=at) | Q(status=DueStatus.DELIVERED))
    on_time = ON_TIME  # by the due time; an immediate letter within the grace (decision 0045)
    overdue = Q(status__in=PENDING, due_at__lt=at)
    ack = Q(letter_type=LetterType.ACKNOWLEDGMENT, status=DueStatus.DELIVERED)
    in_db = connection.vendor == "postgresql"
    figures = {"due": Count("id"), "on_time": Count("id", filter=on_time), "overdue": Count("id", filter=overdue)}
    if in_db:
        figures["ack"] = Median(F("delivered_at") - F("triggered_at"), filter=ack)
    practice = counted.aggregate(**figures)
    rows = list(
        counted.values("referral__referrer_id", "referral__referrer__first_name", "referral__referrer__last_name")
        .annotate(**figures)
        .order_by("-overdue", "-due")[:top]
    )
    if not in_db:
        acks = list(counted.filter(ack).values_list("referral__referrer_id", "triggered_at", "delivered_at"))
        practice["ack"] = statistics.median([d - t for _, t, d in acks]) if acks else None
        by_ack = defaultdict(list)
        for referrer_id, triggered, delivered in acks:
            by_ack[referrer_id].append(delivered - triggered)
        for r in rows:
            deltas = by_ack.get(r["referral__referrer_id"])
            r["ack"] = statistics.median(deltas) if deltas else None
    totals = Figures("The practice", practice["due"], practice["on_time"], practice["overdue"], _hours(practice["ack"]))
    referrers = [
        Figures(
            f"{r['referral__referrer__first_name']} {r['referral__referrer__last_name']}",
            r["due"],
            r["on_time"],
            r["overdue"],
            _hours(r["ack"]),
            r["referral__referrer_id"] or 0,
        )
        for r in rows
    ]
    return totals, referrers
