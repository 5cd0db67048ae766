"""A letter owed is owed once, at its own time: the treatment updates of a course entered after the fact keep
the days of their sessions (they do not all fall due at the moment of entry), and a referral in maintenance
names the same due time for its progress update as the owed letter does."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from liaison.care.choices import Route, SessionKind
from liaison.care.scoring import ScoreInput
from liaison.care.services import SessionInput, session_record
from liaison.care.tests.factories import evaluation_slot
from liaison.comms import clock
from liaison.comms.tests.helpers import keys, referral_for, staff
from liaison.referrals.services import referral_transition

NY = ZoneInfo("America/New_York")
START = datetime(2026, 3, 2, 10, 0, tzinfo=NY)  # a Monday


def _accepted(model="collaborative"):
    coordinator, clinician = staff()
    referral = referral_for(model=model, coordinator=coordinator, clinician=clinician)
    evaluation_slot(referral)  # "Evaluation scheduled" needs a booked slot (decision 0044)
    for step, who in (("eval_scheduled", coordinator), ("evaluated", clinician), ("accepted", clinician)):
        referral = referral_transition(referral=referral, to=step, by=who)
    return referral, clinician


def _record(referral, clinician, held_on: date):
    data = SessionInput(kind=SessionKind.ACUTE, held_on=held_on, route=Route.IV)
    session_record(referral=referral, by=clinician, data=data, phq9=ScoreInput(total=15))
    referral.refresh_from_db()


def test_updates_of_a_course_entered_at_once_keep_their_sessions_days(protocol):
    """Four sessions held a week apart, all entered on one later day: the updates after sessions 2 and 4 become
    owed at the close of the days those sessions were held, not both at the moment of entry."""
    held = [date(2026, 3, 3) + timedelta(days=7 * n) for n in range(4)]  # Tuesdays
    with time_machine.travel(START, tick=False) as clock_:
        referral, clinician = _accepted()
        clock_.move_to(datetime(2026, 3, 30, 15, 0, tzinfo=NY))  # the Monday after the fourth session
        for day in held:
            _record(referral, clinician, day)
    owed = keys(referral)
    updates = {k: d for k, d in owed.items() if k.startswith("update:")}
    assert set(updates) == {"update:2", "update:4"}
    closes = time(17)  # the clinic's default business day end
    assert updates["update:2"].triggered_at == datetime.combine(held[1], closes, tzinfo=NY)
    assert updates["update:4"].triggered_at == datetime.combine(held[3], closes, tzinfo=NY)
    assert updates["update:2"].due_at < updates["update:4"].due_at


def test_updates_of_sessions_held_on_one_day_are_owed_once(protocol):
    """The reviewer's R-000092: sessions 1 to 4 all dated one day. The updates after sessions 2 and 4 would tell the
    referrer about the same day: only the later one is owed, and the earlier one, owed before, is no longer."""
    day = date(2026, 3, 3)
    with time_machine.travel(START, tick=False) as clock_:
        referral, clinician = _accepted()
        clock_.move_to(datetime(2026, 3, 30, 15, 0, tzinfo=NY))
        for n in range(4):
            _record(referral, clinician, day)
            if n == 1:
                assert {k for k in keys(referral) if k.startswith("update:")} == {"update:2"}
    updates = {k: d for k, d in keys(referral).items() if k.startswith("update:")}
    assert set(updates) == {"update:4"}
    assert updates["update:4"].triggered_at == datetime.combine(day, time(17), tzinfo=NY)


def test_a_session_recorded_on_its_day_owes_its_update_from_the_moment_it_was_recorded(protocol):
    with time_machine.travel(START, tick=False) as clock_:
        referral, clinician = _accepted()
        for _ in range(2):
            clock_.shift(timedelta(days=2))
            _record(referral, clinician, timezone.localdate())
        recorded = timezone.now()
    assert keys(referral)["update:2"].triggered_at == recorded


@pytest.fixture
def maintenance_referral(protocol):
    """A collaborative referral that entered maintenance sixty days after START, on May 1 (a 31-day month, so
    a month on is not thirty days on): (referral, clinician, entered)."""
    with time_machine.travel(START, tick=False) as clock_:
        referral, clinician = _accepted()
        referral = referral_transition(referral=referral, to="acute", by=clinician)
        referral = referral_transition(referral=referral, to="acute_complete", by=clinician)
        clock_.shift(timedelta(days=60))
        referral = referral_transition(referral=referral, to="maintenance", by=clinician)
        began = timezone.now()
    return referral, clinician, began


def test_maintenance_next_action_is_due_when_the_monthly_letter_is(maintenance_referral):
    referral, _, began = maintenance_referral
    referral.refresh_from_db()
    month = keys(referral)["month:1"]
    assert month.due_at == clock.add_months(began, 1)
    assert referral.next_action == "Send the monthly progress update"
    assert referral.next_action_due_at == month.due_at  # June 1, not thirty days on (May 31)


def _deliver(due, signer, at):
    """Draft, sign and deliver one owed letter, as the worker records it."""
    from liaison.comms import letters, services
    from liaison.comms.choices import OutboxStatus
    from liaison.comms.models import Outbox

    letter = services.letter_draft(due=due, by=signer)
    body = letters.PLACEHOLDER_RE.sub("Doing well.", letter.body)
    services.letter_edit(letter=letter, by=signer, subject=letter.subject, body=body)
    outbox = services.letter_approve(letter=letter, by=signer, at=at)
    Outbox.objects.filter(pk=outbox.pk).update(status=OutboxStatus.SENDING, leased_by="test")
    services._finish(outbox.pk, worker="test", at=at, confirmed=True)


def test_maintenance_next_action_moves_on_when_the_progress_update_is_sent(maintenance_referral):
    """The reviewer's R-000085: the month's update sent early; the next action is due with next month's letter
    (as the 'Owed to the referrer' card says), not thirty days after entering maintenance."""
    from liaison.comms import services

    referral, clinician, began = maintenance_referral
    with time_machine.travel(began + timedelta(days=16), tick=False):
        _deliver(keys(referral)["month:1"], clinician, timezone.now())
    referral.refresh_from_db()
    assert referral.next_action_due_at == clock.add_months(began, 2)  # month 2's letter, owed when it begins
    with time_machine.travel(clock.add_months(began, 1) + timedelta(hours=1), tick=False):
        services.communications_sweep()  # month 2 begins: its letter is owed
    referral.refresh_from_db()
    assert keys(referral)["month:2"].due_at == referral.next_action_due_at == clock.add_months(began, 2)
