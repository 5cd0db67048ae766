"""The letters-on-time page's figures (decision 0033): letters due in the last `days` days, on time, overdue now and
the median hours to an acknowledgment, for the practice and the top `top` referrers (most overdue, then most due).

Read from the stored days (liaison.comms.letter_days) for whole UTC days, and from the letters only where a day is
cut by the window: the part of the first day after `since`, and today. What each part adds:
- whole days before today: every letter not cancelled (all of them are due by now), and those delivered on time;
- days after today: only letters already delivered (a letter due later counts once it has gone), on time or not;
- the first, partial day and today: counted from the letters, as the page always did (index range on due_at).
Overdue now comes from the letters still to send (the pending partial index, bounded by the open work), and the
medians from the delivered acknowledgments (percentile_cont on PostgreSQL), exact: the practice's over the window,
each referrer's for the referrers shown only. The same figures as `queries.sla_figures_from_letters`, which a person
who sees only some referrals still gets (the stored days are the practice's).
"""

import statistics
from collections import defaultdict
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Case, Count, F, IntegerField, Q, Sum, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from liaison.comms.choices import DueStatus
from liaison.comms.letter_days import ON_TIME, day_of, day_start, next_day
from liaison.comms.models import DueCommunication, LetterDay
from liaison.comms.predicates import DELIVERED_ACK, PENDING_DUE, Inlined
from liaison.comms.queries import Figures, Median, _hours, sla_figures_from_letters
from liaison.directory.models import Referrer
from liaison.referrals.models import Referral

REFERRER = Coalesce("referral__referrer_id", 0)
SELF_REFERRALS = "Self-referrals"


def sla_figures(*, user, days: int = 90, at: datetime | None = None, top: int = 50) -> tuple[Figures, list[Figures]]:
    if not (user.is_authenticated and user.is_active and user.sees_all_referrals):
        return sla_figures_from_letters(user=user, days=days, at=at, top=top)
    return practice_figures(days=days, at=at, top=top)


def practice_figures(*, days: int = 90, at: datetime | None = None, top: int = 50) -> tuple[Figures, list[Figures]]:
    """The practice-wide figures (every referral): what a person who sees all referrals gets, and what the
    snapshot (liaison.comms.sla_snapshot) stores."""
    at = at or timezone.now()
    since = at - timedelta(days=days)
    first_whole = day_of(since) if day_start(day_of(since)) == since else next_day(day_of(since))
    today = day_of(at)
    due: dict[int, int] = defaultdict(int)
    on_time: dict[int, int] = defaultdict(int)

    before_today = Q(day__lt=today)
    stored = (
        LetterDay.objects.filter(day__gte=first_whole)
        .exclude(day=today)
        .values("referrer_pk")
        .annotate(
            due=Sum(Case(When(before_today, then=F("owed")), default=F("delivered"), output_field=IntegerField())),
            on_time=Sum("on_time"),
        )
        .order_by()
    )
    for referrer, n, good in stored.values_list("referrer_pk", "due", "on_time"):
        due[referrer] += n
        on_time[referrer] += good

    cut = Q(due_at__gte=since, due_at__lt=day_start(first_whole)) | Q(
        due_at__gte=day_start(today), due_at__lt=day_start(next_day(today))
    )
    edges = (
        DueCommunication.objects.filter(cut)
        .exclude(status=DueStatus.CANCELLED)
        .filter(Q(due_at__lte=at) | Q(status=DueStatus.DELIVERED))
        .values(referrer=REFERRER)
        .annotate(due=Count("id"), on_time=Count("id", filter=ON_TIME))
        .order_by()
    )
    for referrer, n, good in edges.values_list("referrer", "due", "on_time"):
        due[referrer] += n
        on_time[referrer] += good

    overdue = dict(
        DueCommunication.objects.filter(Inlined(PENDING_DUE), due_at__gte=since, due_at__lt=at)
        .values(referrer=REFERRER)
        .annotate(n=Count("id"))
        .order_by()
        .values_list("referrer", "n")
    )
    for referrer in overdue:
        due.setdefault(referrer, 0)  # an overdue letter is counted among the due above; never missing from it

    shown = sorted((r for r in due if due[r]), key=lambda r: (-overdue.get(r, 0), -due[r], r))[:top]
    practice_ack, acks = _medians(since, shown)
    names = {
        pk: f"{first} {last}"
        for pk, first, last in Referrer.objects.filter(pk__in=shown).values_list("pk", "first_name", "last_name")
    }
    practice = Figures(
        "The practice", sum(due.values()), sum(on_time.values()), sum(overdue.values()), _hours(practice_ack)
    )
    referrers = [
        Figures(names.get(r, SELF_REFERRALS), due[r], on_time[r], overdue.get(r, 0), _hours(acks.get(r)), r)
        for r in shown
    ]
    return practice, referrers


def _medians(since: datetime, shown: list[int]) -> tuple[timedelta | None, dict[int, timedelta]]:
    """The median time from trigger to delivery of the acknowledgments delivered in the window: the practice's,
    and each shown referrer's."""
    acks = DueCommunication.objects.filter(Inlined(DELIVERED_ACK), due_at__gte=since)
    # The shown referrers' referrals as a subquery (an index on referrer_id, IS NULL for the self-referrals): an OR
    # across the join would make PostgreSQL read every acknowledgment's referral.
    referrals = Q(referrer_id__in=[r for r in shown if r])
    if 0 in shown:
        referrals |= Q(referrer__isnull=True)
    theirs = Q(referral__in=Referral.objects.filter(referrals).values("pk"))
    took = F("delivered_at") - F("triggered_at")
    if connection.vendor == "postgresql":
        practice = acks.aggregate(m=Median(took))["m"]
        rows = acks.filter(theirs).values(referrer=REFERRER).annotate(m=Median(took)).order_by()
        return practice, {r["referrer"]: r["m"] for r in rows}
    # SQLite (development): the medians in Python, from the window's acknowledgments.
    every = list(acks.annotate(referrer=REFERRER).values_list("referrer", "triggered_at", "delivered_at"))
    practice = statistics.median([d - t for _, t, d in every]) if every else None
    by: dict[int, list[timedelta]] = defaultdict(list)
    wanted = set(shown)
    for referrer, triggered, delivered in every:
        if referrer in wanted:
            by[referrer].append(delivered - triggered)
    return practice, {r: statistics.median(v) for r, v in by.items()}
