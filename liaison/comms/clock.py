"""Deadlines in the practice's time zone: plain hours, business hours, calendar months.

Business hours are wall-clock hours between Clinic.business_day_start and business_day_end on
weekdays that are not a Holiday, in settings.TIME_ZONE (zoneinfo; daylight-saving days keep their
opening hours).
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
