"""Bookings for tests of any app. "Evaluation scheduled" is taken only with an open evaluation booking (decision
0040, 0044): a test that walks a referral through its life books the evaluation first, with one of these."""

from datetime import datetime, timedelta

from django.utils import timezone

from liaison.accounts.choices import Role
from liaison.accounts.tests.factories import ClinicianFactory
from liaison.care.bookings import booking_evaluation_book
from liaison.care.choices import BookingKind
from liaison.care.models import Booking
from liaison.referrals.models import Referral


def _clinician_for(referral: Referral, by=None):
    if referral.assigned_clinician_id:
        return referral.assigned_clinician
    if getattr(by, "role", None) in (Role.CLINICIAN, Role.DIRECTOR):
        return by
    return ClinicianFactory()


def evaluation_book(*, referral: Referral, by, clinician=None, at: datetime | None = None, **extra) -> Booking:
    """Book the referral's evaluation through the service, a day after `at` (now): the booking takes the
    "Evaluation scheduled" step itself, as the booking form does."""
    at = at or timezone.now()
    start = at + timedelta(days=1)
    return booking_evaluation_book(
        referral=referral, by=by, clinician=clinician or _clinician_for(referral, by),
        starts_at=start, ends_at=start + timedelta(hours=1), place="Room 1", at=at, **extra,
    )  # fmt: skip


def evaluation_slot(referral: Referral, *, clinician=None, starts_at: datetime | None = None) -> Booking:
    """An open evaluation booking written directly, without moving the referral: for tests of referral_transition
    itself (versions, races, roles) that then take the "Evaluation scheduled" step on their own."""
    start = starts_at or timezone.now() + timedelta(days=1)
    return Booking.objects.create(
        referral=referral, kind=BookingKind.EVALUATION, starts_at=start, ends_at=start + timedelta(hours=1),
        clinician=clinician or _clinician_for(referral), place="Room 1",
    )  # fmt: skip
