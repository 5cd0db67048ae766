""" "Evaluation scheduled" is taken only with an evaluation booked (decisions 0040, 0044): referral_transition
refuses the step without an open evaluation booking, naming what to do, and changes nothing."""

import pytest

from liaison.care.choices import BookingStatus
from liaison.care.tests.factories import evaluation_book, evaluation_slot
from liaison.core.models import AuditEvent
from liaison.referrals import services
from liaison.referrals.choices import EventKind, Status
from liaison.referrals.models import Referral, ReferralEvent
from liaison.referrals.tests.factories import ReferralFactory

pytestmark = pytest.mark.django_db


def state(referral):
    row = Referral.objects.get(pk=referral.pk)
    return (row.status, row.version, ReferralEvent.objects.filter(referral=row).count(), AuditEvent.objects.count())


@pytest.mark.parametrize("status", [Status.RECEIVED, Status.ACKNOWLEDGED, Status.NO_SHOW])
def test_scheduling_without_a_booking_is_refused_and_changes_nothing(status, coordinator):
    referral = ReferralFactory(status=status)
    before = state(referral)
    with pytest.raises(services.TransitionNotAllowed) as exc:
        services.referral_transition(referral=referral, to=Status.EVAL_SCHEDULED, by=coordinator)
    assert exc.value.message_dict == {"to": [services.BOOK_FIRST]}
    assert "Book the evaluation" in services.BOOK_FIRST
    assert state(referral) == before


def test_a_booking_that_is_no_longer_open_does_not_count(coordinator):
    referral = ReferralFactory(status=Status.NO_SHOW)
    missed = evaluation_slot(referral)
    missed.status = BookingStatus.NO_SHOW
    missed.save()
    with pytest.raises(services.TransitionNotAllowed):
        services.referral_transition(referral=referral, to=Status.EVAL_SCHEDULED, by=coordinator)


def test_with_an_open_evaluation_booking_the_step_is_taken(coordinator):
    referral = ReferralFactory(status=Status.ACKNOWLEDGED)
    evaluation_slot(referral)
    services.referral_transition(referral=referral, to=Status.EVAL_SCHEDULED, by=coordinator)
    assert Referral.objects.get(pk=referral.pk).status == Status.EVAL_SCHEDULED


def test_booking_through_the_service_takes_the_step_naming_the_slot(coordinator):
    referral = ReferralFactory(status=Status.ACKNOWLEDGED)
    evaluation_book(referral=referral, by=coordinator)
    step = ReferralEvent.objects.get(referral=referral, kind=EventKind.TRANSITION)
    assert step.to_status == Status.EVAL_SCHEDULED and step.reason.startswith("Evaluation booked: ")


def test_with_no_check_registered_the_step_is_refused(coordinator, monkeypatch):
    monkeypatch.setattr(services, "EVALUATION_BOOKED", [])
    referral = ReferralFactory(status=Status.ACKNOWLEDGED)
    evaluation_slot(referral)
    with pytest.raises(services.TransitionNotAllowed):
        services.referral_transition(referral=referral, to=Status.EVAL_SCHEDULED, by=coordinator)


def test_other_steps_need_no_booking(coordinator):
    referral = ReferralFactory(status=Status.RECEIVED)
    services.referral_transition(referral=referral, to=Status.ACKNOWLEDGED, by=coordinator)
    assert Referral.objects.get(pk=referral.pk).status == Status.ACKNOWLEDGED
