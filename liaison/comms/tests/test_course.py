"""A whole referral course under the moved clock, for each shared-care model: exactly the expected letters
come due, at the expected times (PRODUCT §3 as seeded)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from liaison.care.choices import Route, SessionKind
from liaison.care.scoring import ScoreInput
from liaison.care.services import SessionInput, session_record
from liaison.care.tests.factories import evaluation_slot
from liaison.comms import clock, services
from liaison.comms.tests.helpers import keys, referral_for, staff
from liaison.referrals.services import referral_transition

NY = ZoneInfo("America/New_York")
START = datetime(2026, 3, 2, 10, 0, tzinfo=NY)  # a Monday
PHQ9 = [21, 19, 16, 14, 12, 10]

EXPECTED = {
    "consultation": {"ack", "first", "eval", "outcome"},
    "collaborative": {"ack", "first", "eval", "update:2", "update:4", "outcome", "month:1", "month:2", "month:3"},
    "integrated": {"ack", "first", "eval", "update:2", "update:4", "outcome", "month:1", "month:2", "month:3"},
}


def _session(referral, clinician, kind, phq9=None):
    data = SessionInput(kind=kind, held_on=timezone.localdate(), route=Route.IV)
    return session_record(referral=referral, by=clinician, data=data, phq9=ScoreInput(total=phq9) if phq9 else None)


@pytest.mark.parametrize("model", sorted(EXPECTED))
def test_whole_course_owes_exactly_the_expected_letters(model, protocol):
    coordinator, clinician = staff()
    times = {}
    with time_machine.travel(START, tick=False) as clock_:
        referral = referral_for(model=model, coordinator=coordinator, clinician=clinician)
        times["received"] = timezone.now()
        clock_.shift(timedelta(days=1))
        evaluation_slot(referral)  # "Evaluation scheduled" needs a booked slot (decision 0044)
        for step in ("acknowledged", "eval_scheduled"):
            referral = referral_transition(referral=referral, to=step, by=coordinator)
        clock_.shift(timedelta(days=6))
        referral = referral_transition(referral=referral, to="evaluated", by=clinician)
        times["evaluated"] = timezone.now()
        referral = referral_transition(referral=referral, to="accepted", by=clinician)
        session_times = []
        for score in PHQ9:
            clock_.shift(timedelta(days=2))
            referral.refresh_from_db()
            _session(referral, clinician, SessionKind.ACUTE, score)
            session_times.append(timezone.now())
        clock_.shift(timedelta(days=1))
        referral.refresh_from_db()
        referral = referral_transition(referral=referral, to="acute_complete", by=clinician)
        times["complete"] = timezone.now()
        clock_.shift(timedelta(days=7))
        _session(referral, clinician, SessionKind.MAINTENANCE, 8)
        times["maintenance"] = timezone.now()
        for month in (1, 2):
            clock_.move_to(clock.add_months(times["maintenance"], month) + timedelta(minutes=1))
            services.communications_sweep()
        owed = keys(referral)

    assert set(owed) == EXPECTED[model]
    assert owed["ack"].due_at == times["received"] + timedelta(hours=24)
    assert owed["first"].due_at == times["received"] + timedelta(hours=48)
    assert owed["eval"].due_at == times["evaluated"] + timedelta(hours=48)
    assert owed["outcome"].due_at == times["complete"] + timedelta(days=7)
    assert owed["ack"].owner == coordinator and owed["eval"].owner == clinician
    for key in owed:
        if key.startswith("update:"):
            done = int(key.split(":")[1])
            assert owed[key].due_at == session_times[done - 1] + timedelta(hours=48)
        if key.startswith("month:"):
            month = int(key.split(":")[1])
            assert owed[key].due_at == clock.add_months(times["maintenance"], month)


def test_recompute_twice_changes_nothing(protocol):
    referral = referral_for()
    before = {k: (d.pk, d.due_at) for k, d in keys(referral).items()}
    assert services.communications_recompute(referral=referral) == []
    assert {k: (d.pk, d.due_at) for k, d in keys(referral).items()} == before


def test_second_referral_from_the_same_referrer_gets_no_thanks(protocol):
    first = referral_for()
    from liaison.referrals.tests.factories import ReferralDataFactory, receive_referral

    second = receive_referral(referral=ReferralDataFactory(referrer=first.referrer))
    assert "first" in keys(first) and "first" not in keys(second)


@pytest.mark.parametrize(
    ("received", "due"),
    [
        # 24 hours in business-hours mode: the same clock time one business day later.
        (datetime(2026, 3, 6, 16, 0), datetime(2026, 3, 9, 16, 0)),  # Friday 4 pm: Monday 4 pm
        (datetime(2026, 3, 6, 19, 30), datetime(2026, 3, 9, 19, 30)),  # Friday evening: Monday evening
        (datetime(2026, 3, 7, 11, 0), datetime(2026, 3, 9, 11, 0)),  # Saturday: Monday
        (datetime(2026, 3, 4, 10, 0), datetime(2026, 3, 5, 10, 0)),  # Wednesday: Thursday
        (datetime(2026, 5, 22, 18, 0), datetime(2026, 5, 26, 18, 0)),  # before Memorial Day: Tuesday
        (datetime(2026, 11, 25, 18, 0), datetime(2026, 11, 27, 18, 0)),  # the eve of Thanksgiving: Friday
    ],
)
def test_acknowledgment_in_business_hours(protocol, received, due):
    from liaison.comms.models import Holiday, ProtocolRule

    assert Holiday.objects.filter(date__in=["2026-05-25", "2026-11-26"]).count() == 2  # from the first migrate
    ProtocolRule.objects.filter(trigger="received").update(business_hours=True)
    with time_machine.travel(received.replace(tzinfo=NY), tick=False):
        referral = referral_for()
    ack = keys(referral)["ack"]
    assert ack.due_at == due.replace(tzinfo=NY)
    assert ack.reason == "acknowledgment: within 1 business day of receipt"


def test_safety_alert_is_owed_at_once(protocol):
    coordinator, clinician = staff()
    referral = referral_for(coordinator=coordinator, clinician=clinician)
    evaluation_slot(referral)  # "Evaluation scheduled" needs a booked slot (decision 0044)
    for step, by in (("eval_scheduled", coordinator), ("evaluated", clinician), ("accepted", clinician)):
        referral = referral_transition(referral=referral, to=step, by=by)
    data = SessionInput(kind=SessionKind.ACUTE, held_on=timezone.localdate(), route=Route.IV)
    session_record(referral=referral, by=clinician, data=data, phq9=ScoreInput(items=[2, 2, 2, 2, 2, 2, 2, 2, 1]))
    alert = next(d for k, d in keys(referral).items() if k.startswith("alert:"))
    assert alert.letter_type == "safety_alert" and alert.due_at == alert.triggered_at and alert.owner == clinician


def test_self_referral_owes_nothing(protocol):
    from liaison.referrals.tests.factories import ReferralDataFactory, receive_referral

    referral = receive_referral(referral=ReferralDataFactory(referrer=None, source_type="self"), channel="self")
    assert keys(referral) == {}


@pytest.mark.parametrize(("model", "during"), [("consultation", 0), ("collaborative", 2), ("integrated", 2)])
def test_a_six_session_series_gives_each_model_its_updates_before_the_outcome_summary(model, during, protocol):
    coordinator, clinician = staff()
    with time_machine.travel(START, tick=False) as clock_:
        referral = _accepted(model, coordinator, clinician, clock_)
        for score in PHQ9:
            clock_.shift(timedelta(days=2))
            _session(referral, clinician, SessionKind.ACUTE, score)
        clock_.shift(timedelta(days=1))
        referral.refresh_from_db()
        referral_transition(referral=referral, to="acute_complete", by=clinician)
        owed = keys(referral)
    updates = [d for key, d in owed.items() if key.startswith("update:")]
    assert len(updates) == during
    assert all(d.triggered_at < owed["outcome"].triggered_at for d in updates)
    assert all(d.reason == f"{model}: every 2 sessions" for d in updates)


def _accepted(model, coordinator, clinician, clock_):
    referral = referral_for(model=model, coordinator=coordinator, clinician=clinician)
    clock_.shift(timedelta(days=1))
    evaluation_slot(referral)  # "Evaluation scheduled" needs a booked slot (decision 0044)
    for step, by in (("eval_scheduled", coordinator), ("evaluated", clinician), ("accepted", clinician)):
        referral = referral_transition(referral=referral, to=step, by=by)
    return referral
