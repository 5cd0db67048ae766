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
    # A slot held before the next step is looked for backwards from it, so the patient's evaluation is never after
    # the step that records it (nor in the future for a referral already evaluated); a coming one, forwards.
    step = timedelta(hours=-1) if until is not None else timedelta(hours=1)
    for _ in range(TRIES):
        start = _working_hour(start) if until is None else _working_hour_before(start, earliest=at)
        try:
            booking_evaluation_book(
                referral=referral, by=by, clinician=clinician, starts_at=start, ends_at=start + timedelta(hours=1),
                place=PLACES[referral.pk % len(PLACES)], at=at,
            )  # fmt: skip
        except ValidationError as exc:
            if "starts_at" not in getattr(exc, "error_dict", {}):
                raise
            if step < timedelta(0) and start <= at + timedelta(hours=1):
                step = timedelta(hours=1)  # no free hour between the two steps: the first one after
            start += step
            continue
        referral.refresh_from_db()
        return
    raise ValidationError(f"No free hour for the demo evaluation of {referral.reference}.")


def _first_choice(*, at: datetime, until: datetime | None, now: datetime, salt: int) -> datetime:
    if until is None:  # still waiting: one of the next eight days
        start = max(at, now) + timedelta(days=1 + salt % 8)
    else:  # held before the next step (the timeline leaves a day or more between them), ending an hour before it
        start = max(at + timedelta(hours=2), until - timedelta(hours=2))
    return start.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def _working_hour_before(start: datetime, *, earliest: datetime) -> datetime:
    """`start` if it is a weekday hour within 9:00-16:00 in the practice's time zone, else the latest such hour
    before it; never before `earliest` plus an hour (the booking is made at the step's time and is later than it)."""
    floor = earliest + timedelta(hours=1)
    local = timezone.localtime(start).replace(minute=0, second=0, microsecond=0)
    while local > floor and (local.weekday() >= 5 or not 9 <= local.hour < 16):
        local -= timedelta(hours=1)
    return max(local, floor)


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
