"""Deadlines in the practice's time zone: plain hours, business days, calendar months.

In business-hours mode a deadline of N × 24 hours is the same clock time N business days later
(business days: weekdays that are not a Holiday): 24 hours after Friday 16:00 is Monday 16:00, and after a
Friday-evening referral, Monday evening. What is left over (a deadline of 8 hours, or the 12 of 36) counts
open hours between Clinic.business_day_start and business_day_end. All in settings.TIME_ZONE (zoneinfo;
daylight-saving days keep their opening hours).
"""

import calendar
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

DEFAULT_OPEN, DEFAULT_CLOSE = time(9), time(17)


def zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def is_business_day(day: date, holidays: frozenset[date]) -> bool:
    return day.weekday() < 5 and day not in holidays


def add_business_days(start: datetime, days: int, *, holidays=frozenset()) -> datetime:
    """The same local clock time `days` business days after `start` (counted from the day after it)."""
    tz = zone()
    local = start.astimezone(tz)
    day, counted = local.date(), 0
    while counted < days:
        day += timedelta(days=1)
        counted += is_business_day(day, holidays)
    return datetime.combine(day, local.time(), tz)


def add_business_deadline(
    start: datetime, hours: float, *, opens: time = DEFAULT_OPEN, closes: time = DEFAULT_CLOSE, holidays=frozenset()
) -> datetime:
    """A business-hours deadline: whole days of 24 hours are business days at the same clock time; the rest
    counts open hours."""
    days, rest = divmod(hours, 24)
    due = add_business_days(start, int(days), holidays=holidays)
    if rest:
        due = add_business_hours(due, rest, opens=opens, closes=closes, holidays=holidays)
    return due


def add_business_hours(
    start: datetime, hours: float, *, opens: time = DEFAULT_OPEN, closes: time = DEFAULT_CLOSE, holidays=frozenset()
) -> datetime:
    """The moment `hours` of open time after `start` (aware); the answer is in the practice's zone."""
    tz = zone()
    cursor = start.astimezone(tz)
    remaining = timedelta(hours=hours)
    while True:
        day = cursor.date()
        day_open = datetime.combine(day, opens, tz)
        day_close = datetime.combine(day, closes, tz)
        if not is_business_day(day, holidays) or cursor >= day_close:
            cursor = datetime.combine(day + timedelta(days=1), opens, tz)
            continue
        cursor = max(cursor, day_open)
        if cursor + remaining <= day_close:
            return cursor + remaining
        remaining -= day_close - cursor
        cursor = datetime.combine(day + timedelta(days=1), opens, tz)


def add_months(start: datetime, months: int) -> datetime:
    """The same local time `months` calendar months later (the 31st becomes the month's last day)."""
    local = start.astimezone(zone())
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return datetime.combine(date(year, month, day), local.timetz().replace(tzinfo=None), zone())


def end_of_day(moment: datetime) -> datetime:
    local = moment.astimezone(zone())
    return datetime.combine(local.date() + timedelta(days=1), time(0), zone())
