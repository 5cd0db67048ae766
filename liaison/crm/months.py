"""Calendar months in the clinic's time zone, as the stored counts by month (monthly_counts.py,
referrer_counts.py) cut them."""

from datetime import date, datetime

from django.utils import timezone


def month_of(at: datetime) -> date:
    """The first day of the month `at` falls in, in the clinic's time zone."""
    local = timezone.localtime(at, timezone.get_default_timezone())
    return local.date().replace(day=1)


def month_add(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The month as [start, end) instants in the clinic's time zone."""
    tz = timezone.get_default_timezone()
    nxt = month_add(month, 1)
    return datetime(month.year, month.month, 1, tzinfo=tz), datetime(nxt.year, nxt.month, 1, tzinfo=tz)


def months_ending(now: datetime, count: int = 12) -> list[date]:
    """The `count` months up to and including the one `now` is in, oldest first."""
    last = month_of(now)
    return [month_add(last, -i) for i in range(count - 1, -1, -1)]
