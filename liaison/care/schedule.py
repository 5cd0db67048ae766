"""Reads of bookings, scoped to who is asking: one booking, a referral's bookings, and the schedule of a day or a
week (the practice's, or one clinician's), in the practice's time zone. Bookings are reached only through the
referrals the asker may see (referrals.queries.referral_scope)."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from liaison.accounts.access import out_of_scope
from liaison.care.choices import BookingStatus
from liaison.care.models import Booking
from liaison.core.audit import audit_part
from liaison.referrals.queries import referral_scope

HAS_BOOKINGS = {"care_has_bookings": Exists(Booking.objects.filter(referral_id=OuterRef("pk")))}
SHOWN = (BookingStatus.BOOKED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW)  # moved and cancelled ones are history
SCHEDULE_LIMIT = 1000  # a week of a large practice fits; more is said on the page, never dropped silently


def booking_get(*, user, pk) -> Booking:
    """One booking of a referral this person may see, with what its page shows, or a 404 (audited when it
    exists)."""
    found = (
        Booking.objects.filter(pk=pk if str(pk).isdigit() else 0, referral__in=referral_scope(user))
        .select_related("referral__patient", "referral__referrer", "clinician", "replaces", "replaced_by")
        .first()
    )
    if found is None:
        raise out_of_scope(user=user, model=Booking, pk=pk, message="No such booking.")
    return found


def booking_history(booking: Booking) -> list[Booking]:
    """The booking and the ones it was moved from and to, oldest first (a short chain: one query a step)."""
    chain = [booking]
    while chain[0].replaces_id:
        chain.insert(0, Booking.objects.select_related("clinician").get(pk=chain[0].replaces_id))
    later = getattr(booking, "replaced_by", None)
    while later is not None:
        chain.append(later)
        later = Booking.objects.filter(replaces=later).select_related("clinician").first()
    return chain


def referral_bookings(*, user, referral) -> list[Booking]:
    """The referral's bookings, newest first, for its page (none read when the page's own query found none), in
    the page's audit row. `referral` comes from referrals.queries.referral_get, which checked who is asking."""
    if getattr(referral, "care_has_bookings", True) is False:
        return []
    bookings = list(Booking.objects.filter(referral=referral).select_related("clinician").order_by("-starts_at", "-id"))
    if bookings:
        audit_part(
            actor=user,
            action="view",
            object_type="care.booking",
            object_id=referral.pk,
            patient_id=referral.patient_id,
            detail={"bookings": [b.pk for b in bookings]},
        )
    return bookings


def local_day_bounds(first: date, days: int) -> tuple[datetime, datetime]:
    """The UTC instants where the practice's day `first` starts and `days` later ends (a DST day is 23 or 25
    hours: each end is its own local midnight)."""
    start = timezone.make_aware(datetime.combine(first, time.min))
    end = timezone.make_aware(datetime.combine(first + timedelta(days=days), time.min))
    return start, end


@dataclass
class Day:
    day: date
    bookings: list[Booking]


def schedule(*, user, first: date, days: int, clinician_id: int | None = None) -> tuple[list[Day], bool]:
    """The bookings from `first` for `days` practice days (one clinician's, or everyone's), by day and time, and
    whether there were more than SCHEDULE_LIMIT."""
    start, end = local_day_bounds(first, days)
    rows = Booking.objects.filter(
        starts_at__gte=start, starts_at__lt=end, status__in=SHOWN, referral__in=referral_scope(user)
    )
    if clinician_id is not None:
        rows = rows.filter(clinician_id=clinician_id)
    rows = list(
        rows.select_related("referral__patient", "clinician").order_by("starts_at", "clinician__last_name", "id")[
            : SCHEDULE_LIMIT + 1
        ]
    )
    more = len(rows) > SCHEDULE_LIMIT
    by_day = {first + timedelta(days=n): [] for n in range(days)}
    for booking in rows[:SCHEDULE_LIMIT]:
        by_day.setdefault(timezone.localtime(booking.starts_at).date(), []).append(booking)
    return [Day(day, items) for day, items in by_day.items()], more
