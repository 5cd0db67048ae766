"""The demo's "Evaluation scheduled" steps, replayed as what they are: an evaluation booked (decision 0040, 0044).

The history is written through care's booking service at the step's own time, so each referral's timeline names
its slot and the lifecycle's step is taken by the booking, as on the booking form. A slot in the past is the one
the patient came to (or missed) before the referral's next step; a referral still waiting has its evaluation on one
of the coming working days. A slot that clashes with the clinician's other bookings moves on by an hour."""

from datetime import datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from liaison.accounts.models import User
from liaison.care.services import booking_evaluation_book
from liaison.referrals.models import Referral

PLACES = ("Room 1", "Room 2", "Video call")
TRIES = 48  # hours tried after the first choice before giving up on the clinician's diary


def book_evaluation(
    referral: Referral, *, by: User, clinician: User, at: datetime, until: datetime | None, now: datetime
) -> None:
    """Book the evaluation at `at` (the step's time), held before `until` (the next step), or in the coming days
    when the referral is still waiting for it."""
    start = _first_choice(at=at, until=until, now=now, salt=referral.pk)
    for _ in range(TRIES):
        start = _working_hour(start)
        try:
            booking_evaluation_book(
                referral=referral, by=by, clinician=clinician, starts_at=start, ends_at=start + timedelta(hours=1),
                place=PLACES[referral.pk % len(PLACES)], at=at,
            )  # fmt: skip
        except ValidationError as exc:
            if "starts_at" not in getattr(exc, "error_dict", {}):
                raise
            start += timedelta(hours=1)
            continue
        referral.refresh_from_db()
        return
    raise ValidationError(f"No free hour for the demo evaluation of {referral.reference}.")


def _first_choice(*, at: datetime, until: datetime | None, now: datetime, salt: int) -> datetime:
    if until is None:  # still waiting: one of the next eight days
        start = max(at, now) + timedelta(days=1 + salt % 8)
    else:  # held before the next step (the timeline leaves a day or more between them)
        start = max(at + timedelta(hours=2), until - timedelta(hours=6))
    return start.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def _working_hour(start: datetime) -> datetime:
    """`start` if it is within 9:00-17:00 on a weekday in the practice's time zone, else the next such hour."""
    local = timezone.localtime(start)
    while local.weekday() >= 5 or not 9 <= local.hour < 17:
        if local.weekday() >= 5 or local.hour >= 17:
            day = local.date() + timedelta(days=1)
            local = timezone.make_aware(datetime.combine(day, time(9)))
        else:
            local = timezone.make_aware(datetime.combine(local.date(), time(9)))
    return local
