"""The practice's closed days from the holidays package: there from the first migrate, refreshed for a new
year by the sweep, added by `liaison load_holidays`; deadlines skip them."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.utils import timezone

from liaison.comms import protocol, services
from liaison.comms.models import Holiday, HolidayYear, ProtocolRule

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_holidays():
    """Start from no closed days (the first migrate loaded this year's and next year's)."""
    Holiday.objects.all().delete()
    HolidayYear.objects.all().delete()


def test_this_and_next_years_state_holidays_are_there_after_migrate():
    year = timezone.localdate().year  # the test database was migrated today
    assert set(HolidayYear.objects.values_list("year", "state")) >= {(year, "NY"), (year + 1, "NY")}
    for y in (year, year + 1):
        names = set(Holiday.objects.filter(date__year=y).values_list("name", flat=True))
        assert {"Thanksgiving Day", "Christmas Day", "Lincoln's Birthday"} <= names  # federal and New York's


def test_the_sweep_adds_a_new_years_holidays_once_and_keeps_a_removed_day_removed(no_holidays):
    with time_machine.travel(datetime(2031, 12, 31, 23, 0, tzinfo=UTC), tick=False):  # 6 pm in New York
        assert services.communications_sweep()["holidays"] > 0
    assert Holiday.objects.filter(date=date(2032, 11, 25), name="Thanksgiving Day").exists()
    assert set(HolidayYear.objects.values_list("year", flat=True)) == {2031, 2032}
    Holiday.objects.filter(date__year=2032, name="Columbus Day").delete()  # the practice works that day
    with time_machine.travel(datetime(2032, 1, 2, 15, 0, tzinfo=UTC), tick=False):
        services.communications_sweep()  # the new year: 2033 comes, 2032 is not loaded again
    assert HolidayYear.objects.filter(year=2033).exists()
    assert Holiday.objects.filter(date=date(2033, 1, 17), name="Martin Luther King Jr. Day").exists()
    assert not Holiday.objects.filter(date__year=2032, name="Columbus Day").exists()
    with time_machine.travel(datetime(2032, 6, 1, 15, 0, tzinfo=UTC), tick=False):
        assert services.communications_sweep()["holidays"] == 0


def load(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("load_holidays", *args, stdout=out)
    return out.getvalue()


def test_holidays_and_the_weekdays_they_are_observed_on_are_added_once(no_holidays):
    assert "Added 17 closed day(s) for 2027" in load("--year", "2027")  # the federal ones and New York's (default)
    assert Holiday.objects.get(date=date(2027, 11, 25)).name == "Thanksgiving Day"
    assert Holiday.objects.get(date=date(2027, 7, 5)).name == "Independence Day (observed)"  # the 4th is a Sunday
    assert "Added 0 closed day(s) for 2027; 17 were already there" in load("--year", "2027", "--state", "ny")


def test_a_state_adds_its_own_and_a_worked_holiday_can_be_left_out(no_holidays):
    load("--year", "2027", "--state", "ny", "--skip", "columbus day", "--skip", "Independence Day")
    assert Holiday.objects.filter(date=date(2027, 2, 12), name="Lincoln's Birthday").exists()
    assert not Holiday.objects.filter(name__startswith="Columbus Day").exists()
    assert not Holiday.objects.filter(name__startswith="Independence Day").exists()  # and its observed Monday


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--state", "ZZ"], "--state: 'ZZ' is not a US state or territory code."),
        (["--year", "1850"], "--year: 1850 is outside 2000–2100."),
        (["--year", "2026", "--skip", "Groundhog Day"], "--skip: no holiday called 'Groundhog Day' in 2026."),
    ],
)
def test_bad_input_names_the_option_and_writes_nothing(args, message, no_holidays):
    with pytest.raises(CommandError, match=message):
        load(*args)
    assert not Holiday.objects.exists()


def test_a_business_hour_deadline_skips_thanksgiving(no_holidays):
    load("--year", "2026")
    rule = ProtocolRule.objects.filter(trigger="received").first()
    rule.business_hours, rule.deadline_hours = True, 8  # "one business day", as a practice may set it
    wednesday_evening = datetime(2026, 11, 25, 23, 0, tzinfo=UTC)  # 6 pm in New York
    due = protocol.due_time(rule, wednesday_evening, protocol.Calendar.load())
    assert due.date() == date(2026, 11, 27)  # Thursday is Thanksgiving: Friday, not Thursday
