"""An evaluation booked after the acknowledgment was signed owes the referrer a short letter naming the date
(decision 0044): on the work queue like every owed letter, exactly once, and never contradicting the booking."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from liaison.care import bookings
from liaison.comms import services
from liaison.comms.choices import DueStatus, LetterType
from liaison.comms.models import DueCommunication, Outbox
from liaison.comms.tests.helpers import keys, referral_for, staff

pytestmark = pytest.mark.django_db


def slot(days: int, hour: int = 10) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def book(referral, coordinator, clinician, days=3):
    return bookings.booking_evaluation_book(
        referral=referral, by=coordinator, clinician=clinician, starts_at=slot(days), ends_at=slot(days, 11),
        place="Room 2",
    )  # fmt: skip


def sign(due, coordinator):
    letter = services.letter_draft(due=due, by=coordinator)
    services.letter_approve(letter=letter, by=coordinator)
    return letter


def acknowledged(coordinator, clinician):
    from liaison.referrals.services import referral_transition

    referral = referral_for(coordinator=coordinator, clinician=clinician)
    referral = referral_transition(referral=referral, to="acknowledged", by=coordinator)
    sign(keys(referral)["ack"], coordinator)
    referral.refresh_from_db()
    return referral


def notices(referral) -> dict:
    return {k: d for k, d in keys(referral).items() if k.startswith("booked:")}


def test_a_booking_after_the_acknowledgment_owes_a_letter_naming_the_date(clinic):
    coordinator, clinician = staff()
    referral = acknowledged(coordinator, clinician)
    booking = book(referral, coordinator, clinician)
    (due,) = notices(referral).values()
    assert due.key == f"booked:{booking.pk}" and due.letter_type == LetterType.APPOINTMENT_NOTICE
    assert due.status == DueStatus.OWED and due.owner_role == "coordinator"
    letter = services.letter_draft(due=due, by=coordinator)
    start = timezone.localtime(booking.starts_at)
    assert f"{start:%A, %B} {start.day}, {start.year}" in letter.body and "Room 2" in letter.body
    assert letter.subject.startswith("Evaluation booked for ")
    services.letter_approve(letter=letter, by=coordinator)
    assert Outbox.objects.filter(letter=letter).count() == 1
    with pytest.raises(ValidationError):
        services.letter_approve(letter=letter, by=coordinator)  # signed once: a second approval is refused
    assert Outbox.objects.filter(letter=letter).count() == 1


def test_booked_before_the_acknowledgment_is_signed_the_acknowledgment_names_it(clinic):
    coordinator, clinician = staff()
    from liaison.referrals.services import referral_transition

    referral = referral_for(coordinator=coordinator, clinician=clinician)
    referral = referral_transition(referral=referral, to="acknowledged", by=coordinator)
    booking = book(referral, coordinator, clinician)
    assert notices(referral) == {}
    letter = sign(keys(referral)["ack"], coordinator)
    assert booking.place in letter.body and "will call" not in letter.body
    assert notices(referral) == {}  # the acknowledgment said it; no second letter


def test_moved_before_the_letter_went_the_letter_owed_is_for_the_new_time(clinic):
    coordinator, clinician = staff()
    referral = acknowledged(coordinator, clinician)
    first = book(referral, coordinator, clinician)
    draft = services.letter_draft(due=notices(referral)[f"booked:{first.pk}"], by=coordinator)
    moved = bookings.booking_reschedule(
        booking=first, by=coordinator, clinician=clinician, starts_at=slot(6), ends_at=slot(6, 11), place="Room 1"
    )
    assert DueCommunication.objects.get(pk=draft.due_id).status == DueStatus.CANCELLED
    with pytest.raises(ValidationError):
        services.letter_approve(letter=draft, by=coordinator)  # the old time can no longer be sent
    (due,) = notices(referral).values()
    assert due.key == f"booked:{moved.pk}"
    letter = services.letter_draft(due=due, by=coordinator)
    start = timezone.localtime(moved.starts_at)
    assert f"{start:%A, %B} {start.day}" in letter.body and "Room 1" in letter.body and "Room 2" not in letter.body


def test_moved_after_the_letter_went_another_letter_is_owed(clinic):
    coordinator, clinician = staff()
    referral = acknowledged(coordinator, clinician)
    first = book(referral, coordinator, clinician)
    sign(notices(referral)[f"booked:{first.pk}"], coordinator)
    moved = bookings.booking_reschedule(
        booking=first, by=coordinator, clinician=clinician, starts_at=slot(6), ends_at=slot(6, 11), place="Room 1"
    )
    kept = DueCommunication.objects.get(referral=referral, key=f"booked:{first.pk}")
    assert kept.status == DueStatus.APPROVED  # what went is kept
    assert DueCommunication.objects.get(referral=referral, key=f"booked:{moved.pk}").status == DueStatus.OWED


def test_a_refused_booking_owes_nothing(clinic):
    coordinator, clinician = staff()
    referral = acknowledged(coordinator, clinician)
    with pytest.raises(ValidationError):
        bookings.booking_evaluation_book(
            referral=referral, by=coordinator, clinician=clinician, starts_at=slot(3), ends_at=slot(3, 9), place=""
        )
    assert notices(referral) == {}
