from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from liaison.comms import clock

NY = ZoneInfo("America/New_York")


def test_business_hours_skip_nights_weekends_and_holidays():
    friday = datetime(2026, 7, 3, 16, 0, tzinfo=NY)
    assert clock.add_business_hours(friday, 2) == datetime(2026, 7, 6, 10, 0, tzinfo=NY)
    holidays = frozenset({date(2026, 7, 6)})
    assert clock.add_business_hours(friday, 2, holidays=holidays) == datetime(2026, 7, 7, 10, 0, tzinfo=NY)
    saturday = datetime(2026, 7, 4, 12, 0, tzinfo=NY)
    assert clock.add_business_hours(saturday, 8) == datetime(2026, 7, 6, 17, 0, tzinfo=NY)
    early = datetime(2026, 7, 6, 6, 0, tzinfo=NY)
    assert clock.add_business_hours(early, 1, opens=time(8), closes=time(18)) == datetime(2026, 7, 6, 9, 0, tzinfo=NY)


def test_daylight_saving_weekend_keeps_opening_hours():
    friday = datetime(2026, 3, 6, 16, 0, tzinfo=NY)  # clocks go forward on Sunday March 8
    due = clock.add_business_hours(friday, 24)
    assert due == datetime(2026, 3, 11, 16, 0, tzinfo=NY) and due.utcoffset().total_seconds() == -4 * 3600


def test_months_keep_the_local_time_and_clamp_the_day():
    start = datetime(2026, 1, 31, 9, 30, tzinfo=NY)
    assert clock.add_months(start, 1) == datetime(2026, 2, 28, 9, 30, tzinfo=NY)
    assert clock.add_months(start, 3) == datetime(2026, 4, 30, 9, 30, tzinfo=NY)


@given(st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 1, 1)), st.integers(1, 80))
def test_business_due_time_is_always_in_open_hours(naive, hours):
    due = clock.add_business_hours(naive.replace(tzinfo=NY), hours)
    local = due.astimezone(NY)
    assert local.weekday() < 5 and time(9) < local.time() <= time(17) or local.time() == time(17)
    assert due > naive.replace(tzinfo=NY)


def test_whole_days_in_business_mode_keep_the_clock_time():
    friday_4pm = datetime(2026, 7, 10, 16, 0, tzinfo=NY)
    assert clock.add_business_deadline(friday_4pm, 24) == datetime(2026, 7, 13, 16, 0, tzinfo=NY)
    assert clock.add_business_deadline(friday_4pm, 48) == datetime(2026, 7, 14, 16, 0, tzinfo=NY)
    closed_monday = frozenset({date(2026, 7, 13)})
    assert clock.add_business_deadline(friday_4pm, 24, holidays=closed_monday) == datetime(
        2026, 7, 14, 16, 0, tzinfo=NY
    )
    # what is left over after whole days counts open hours: 36 h = one business day, then 12 open hours
    assert clock.add_business_deadline(friday_4pm, 36) == datetime(2026, 7, 15, 12, 0, tzinfo=NY)
    # clocks go back on Sunday November 1: Monday at the same wall-clock time, an hour more later in UTC
    assert clock.add_business_deadline(datetime(2026, 10, 30, 18, 0, tzinfo=NY), 24) == datetime(
        2026, 11, 2, 18, 0, tzinfo=NY
    )


@given(
    st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 1, 1)),
    st.integers(1, 10),
    st.sets(st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 3, 1)), max_size=20),
)
def test_n_business_days_later_is_a_business_day_at_the_same_time_with_n_business_days_between(naive, n, closed):
    start = naive.replace(tzinfo=NY)
    due = clock.add_business_deadline(start, 24 * n, holidays=frozenset(closed)).astimezone(NY)
    assert due.replace(tzinfo=None).time() == start.replace(tzinfo=None).time()
    assert clock.is_business_day(due.date(), frozenset(closed))
    between = [start.date() + timedelta(days=k) for k in range(1, (due.date() - start.date()).days + 1)]
    assert sum(clock.is_business_day(d, frozenset(closed)) for d in between) == n
