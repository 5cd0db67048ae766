"""Each referrer's referrals by calendar month, counted by where they got to (crm.ReferrerMonthCount), so that
the relationship page reads a few dozen stored rows instead of counting every referral of a referrer with tens
of thousands (issue 13; docs/benchmarks.md, "The busiest referrer's page").

Kept current two ways:
- `changed` (subscribed in crm/apps.py to `referral.received`, `referral.transitioned` and `referral.merged`,
  after commit, batch): each referrer-and-month cell the batch's referrals fall in is recounted from the
  referrals (the index on (referrer, received_at) that includes the status and is_open: an index-only range),
  so running it twice, or late, or after the nightly rebuild, writes the same numbers. The cell's row is locked
  before it is counted, so two workers counting the same cell cannot leave the older count behind.
- `rebuild_referrer_counts()` (nightly and after bulk loads, with `rebuild_monthly_counts()`, which calls it):
  one GROUP BY over all referrals, the table replaced in one transaction.

A referral never moves to another referrer or month once received; its status does, which is why a lifecycle
step recounts its cell.
"""

from collections.abc import Iterable
from datetime import date, datetime

from django.db import connection, transaction
from django.db.models import Count, DateField, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from liaison.core.events import Event
from liaison.crm.models import ReferrerMonthCount
from liaison.crm.months import month_bounds, month_of, months_ending
from liaison.referrals.models import Referral

FIGURES = ("total", "open", "accepted", "treated", "returned", "not_treated")


def _counts() -> dict:
    from liaison.crm.health.scoring import ACCEPTED, DISAPPOINTING, TREATED
    from liaison.referrals.choices import Status

    return {  # of the status (never null), not the id: the index holds every column these read
        "total": Count("status"),
        "open": Count("status", filter=Q(is_open=True)),
        "accepted": Count("status", filter=Q(status__in=ACCEPTED)),
        "treated": Count("status", filter=Q(status__in=TREATED)),
        "returned": Count("status", filter=Q(status=Status.RETURNED)),
        "not_treated": Count("status", filter=Q(status__in=DISAPPOINTING)),
    }


def recount(cells: Iterable[tuple[int, date]]) -> None:
    """Count these (referrer, month) cells again from the referrals: the rows first made and locked (in one
    order, so two workers never wait on each other crosswise), then each counted in a statement of its own,
    which sees every referral committed before the lock was granted."""
    cells = sorted(set(cells))
    if not cells:
        return
    with transaction.atomic():
        ReferrerMonthCount.objects.bulk_create(
            [ReferrerMonthCount(referrer_id=r, month=m) for r, m in cells], ignore_conflicts=True
        )
        rows = {
            (row.referrer_id, row.month): row
            for row in ReferrerMonthCount.objects.select_for_update()
            .filter(referrer_id__in={r for r, _ in cells}, month__in={m for _, m in cells})
            .order_by("referrer_id", "month")
        }
        counts = _counts()
        for referrer_id, month in cells:
            start, end = month_bounds(month)
            found = Referral.objects.filter(referrer_id=referrer_id, received_at__gte=start, received_at__lt=end)
            row = rows[(referrer_id, month)]
            for name, n in found.aggregate(**counts).items():
                setattr(row, name, n)
        ReferrerMonthCount.objects.bulk_update([rows[c] for c in cells], list(FIGURES))


def changed(events: list[Event]) -> None:
    """A batch of new, moved or merged referrals: the cells they fall in, recounted once each."""
    ids = {e.referral_id for e in events if e.referral_id}
    ids |= {e.payload["merged_id"] for e in events if e.payload.get("merged_id")}
    found = Referral.objects.filter(pk__in=ids, referrer__isnull=False).values_list("referrer_id", "received_at")
    recount((referrer_id, month_of(at)) for referrer_id, at in found)


def rebuild_referrer_counts() -> int:
    """Every cell from all referrals, by one GROUP BY in the database; the table is replaced in one transaction
    (locked against the handler's recounts meanwhile on PostgreSQL). Returns the number of cells."""
    month = TruncMonth("received_at", output_field=DateField(), tzinfo=timezone.get_default_timezone())
    grouped = (
        Referral.objects.filter(referrer__isnull=False)
        .annotate(month=month)
        .values("referrer_id", "month")
        .annotate(**_counts())
        .order_by()
    )
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {ReferrerMonthCount._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
        rows = [ReferrerMonthCount(**row) for row in grouped]
        ReferrerMonthCount.objects.all().delete()
        ReferrerMonthCount.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def referrer_summary(referrer_id: int, now: datetime) -> tuple[list[dict], dict]:
    """One read of the referrer's stored cells: the last twelve months that had referrals, oldest first, as
    {"month", "n"}, and the all-time counts by where the referrals got to (FIGURES)."""
    recent = set(months_ending(now, 12))
    totals = dict.fromkeys(FIGURES, 0)
    months = []
    cells = ReferrerMonthCount.objects.filter(referrer_id=referrer_id).order_by("month").values_list("month", *FIGURES)
    for month, *figures in cells:
        for name, n in zip(FIGURES, figures, strict=True):
            totals[name] += n
        if month in recent and figures[0]:
            months.append({"month": month, "n": figures[0]})
    return months, totals
