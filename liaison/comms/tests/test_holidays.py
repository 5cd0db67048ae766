"""`liaison load_holidays`: the practice's closed days from the holidays package, and deadlines that skip them."""

from datetime import UTC, date, datetime

import pytest
from django.core.management import CommandError, call_command

from liaison.comms import protocol
from liaison.comms.models import Holiday, ProtocolRule

pytestmark = pytest.mark.django_db


def load(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command("load_holidays", *args, stdout=out)
    return out.getvalue()


def test_federal_holidays_and_the_weekdays_they_are_observed_on_are_added_once():
    assert "Added 15 closed day(s) for 2027" in load("--year", "2027")
    assert Holiday.objects.get(date=date(2027, 11, 25)).name == "Thanksgiving Day"
    assert Holiday.objects.get(date=date(2027, 7, 5)).name == "Independence Day (observed)"  # the 4th is a Sunday
    assert "Added 0 closed day(s) for 2027; 15 were already there" in load("--year", "2027")


def test_a_state_adds_its_own_and_a_worked_holiday_can_be_left_out():
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
def test_bad_input_names_the_option_and_writes_nothing(args, message):
    with pytest.raises(CommandError, match=message):
        load(*args)
    assert not Holiday.objects.exists()


def test_a_business_hour_deadline_skips_thanksgiving():
    load("--year", "2026")
    rule = ProtocolRule.objects.filter(trigger="received").first()
    rule.business_hours, rule.deadline_hours = True, 8  # "one business day", as a practice may set it
    wednesday_evening = datetime(2026, 11, 25, 23, 0, tzinfo=UTC)  # 6 pm in New York
    due = protocol.due_time(rule, wednesday_evening, protocol.Calendar.load())
    assert due.date() == date(2026, 11, 27)  # Thursday is Thanksgiving: Friday, not Thursday
