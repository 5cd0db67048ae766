"""Referrals by calendar month and source, stored (crm.MonthlyReferralCount) so that the network page reads a
few hundred rows instead of scanning a year of referrals (decision 0025).

Kept current two ways:
- `received` (subscribed in crm/apps.py to `referral.received`, after commit, batch): each month-and-source cell
  the batch's referrals fall in is recounted from the referrals (an index range on (source_type, received_at)),
  so running it twice, or late, or after the nightly rebuild, writes the same number. The cell's row is locked
  before it is counted, so two workers counting the same cell cannot leave the older count behind.
- `rebuild_monthly_counts()` (nightly with the health refresh, `liaison rebuild_monthly_counts`, and at the end
  of the benchmarks' build_network): one GROUP BY over all referrals, the table replaced in one transaction;
  then each referrer's counts by month (referrer_counts.py) the same way.

No path in Liaison moves a referral to another month or source once received (a merged duplicate is cancelled,
not moved; the referrer is not editable after intake); the nightly rebuild puts right anything written
around the services, such as a bulk load.
"""

from collections.abc import Iterable
from datetime import date

from django.db import connection, transaction
from django.db.models import Count, DateField
from django.db.models.functions import TruncMonth
from django.utils import timezone

from liaison.core.events import Event
from liaison.crm.models import MonthlyReferralCount
from liaison.crm.months import month_bounds, month_of
from liaison.referrals.models import Referral


def recount(cells: Iterable[tuple[date, str]]) -> None:
    """Count these (month, source type) cells again from the referrals: the rows first made and locked (in one
    order, so two workers never wait on each other crosswise), then each counted in a statement of its own,
    which sees every referral committed before the lock was granted."""
    cells = sorted(set(cells))
    if not cells:
        return
    with transaction.atomic():
        MonthlyReferralCount.objects.bulk_create(
            [MonthlyReferralCount(month=m, source_type=s, count=0) for m, s in cells], ignore_conflicts=True
        )
        rows = {
            (row.month, row.source_type): row
            for row in MonthlyReferralCount.objects.select_for_update()
            .filter(month__in={m for m, _ in cells}, source_type__in={s for _, s in cells})
            .order_by("month", "source_type")
        }
        for month, source in cells:
            start, end = month_bounds(month)
            row = rows[(month, source)]
            row.count = Referral.objects.filter(source_type=source, received_at__gte=start, received_at__lt=end).count()
        MonthlyReferralCount.objects.bulk_update([rows[c] for c in cells], ["count"])


def received(events: list[Event]) -> None:
    """A batch of new referrals: the cells they fall in, recounted once each."""
    ids = [e.referral_id for e in events if e.referral_id]
    found = Referral.objects.filter(pk__in=ids).values_list("received_at", "source_type")
    recount((month_of(at), source) for at, source in found)


def rebuild_monthly_counts() -> int:
    """Every cell from all referrals, by one GROUP BY in the database; the table is replaced in one transaction
    (locked against the handler's recounts meanwhile on PostgreSQL). Returns the number of cells."""
    month = TruncMonth("received_at", output_field=DateField(), tzinfo=timezone.get_default_timezone())
    grouped = Referral.objects.annotate(month=month).values("month", "source_type").annotate(n=Count("id")).order_by()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {MonthlyReferralCount._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
        rows = [MonthlyReferralCount(month=r["month"], source_type=r["source_type"], count=r["n"]) for r in grouped]
        MonthlyReferralCount.objects.all().delete()
        MonthlyReferralCount.objects.bulk_create(rows, batch_size=1000)
    # and each referrer's counts by month (the relationship page's), by every path that runs this one
    from liaison.crm.referrer_counts import rebuild_referrer_counts

    rebuild_referrer_counts()
    return len(rows)


def counts_by_month(months: list[date]) -> dict[date, dict[str, int]]:
    """Each month's counts by source type; a month with no referrals is there, empty (issue 15: a silent month
    must show)."""
    out: dict[date, dict[str, int]] = {m: {} for m in months}
    rows = MonthlyReferralCount.objects.filter(month__gte=months[0], month__lte=months[-1], count__gt=0)
    for month, source, n in rows.values_list("month", "source_type", "count"):
        out[month][source] = n
    return out
