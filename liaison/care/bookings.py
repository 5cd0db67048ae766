"""Bookings: an evaluation or a treatment session given a date, a time, a clinician and a place. Callers import
these from liaison.care.services.

Keyword-only, one transaction each, an audit row for every write. Bad input (a time that has passed, an end
before the start, someone who is not a clinician, no place, a clash with the clinician's other bookings) raises
ValidationError naming every field at fault, and nothing is written. A booking is never changed in place:
rescheduling marks it "rescheduled" and books a new one that points back to it (decision 0040).

Booking an evaluation is how a referral takes the lifecycle's "Evaluation scheduled" step; a booked evaluation
the patient does not come to takes its "No-show" step."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from liaison.accounts.access import roles_for
from liaison.accounts.choices import Role
from liaison.care.choices import BookingKind, BookingStatus, Published
from liaison.care.models import Booking, Session
from liaison.core import events
from liaison.core.audit import audit_log
from liaison.core.validators import refuse_control_characters
from liaison.referrals import lifecycle
from liaison.referrals.choices import Status
from liaison.referrals.models import Referral
from liaison.referrals.services import referral_add_note, referral_transition

BOOKERS = roles_for("care.booking")  # the role table: liaison/accounts/access.py
CLINICIAN_ROLES = frozenset({Role.CLINICIAN, Role.DIRECTOR})  # who an evaluation or a session is booked with
SESSION_STATUSES = frozenset({Status.ACCEPTED, Status.ACUTE, Status.ACUTE_COMPLETE, Status.MAINTENANCE})
LONGEST = timedelta(hours=8)
FURTHEST = timedelta(days=366)


def bookable_kind(referral: Referral) -> str | None:
    """What can be booked for a referral now: its evaluation (when the lifecycle allows the step), a treatment
    session (accepted or in care), or nothing."""
    if lifecycle.find_move(referral.status, Status.EVAL_SCHEDULED) is not None:
        return BookingKind.EVALUATION
    if referral.status in SESSION_STATUSES:
        return BookingKind.SESSION
    return None


def when_words(starts_at: datetime, ends_at: datetime | None = None) -> str:
    """'Tuesday, December 8, 2026, 10:00 to 11:00 AM' in the practice's time zone."""
    start = timezone.localtime(starts_at)
    words = f"{start:%A, %B} {start.day}, {start.year}, {_clock(start)}"
    if ends_at is not None:
        words += f" to {_clock(timezone.localtime(ends_at))}"
    return words


def _clock(moment: datetime) -> str:
    return f"{moment.hour % 12 or 12}:{moment:%M %p}"


def _require(by) -> None:
    if getattr(by, "role", None) not in BOOKERS:
        raise ValidationError({"__all__": ["Booking is not part of your role."]})


def _slot_errors(*, starts_at, ends_at, clinician, place: str, now: datetime) -> dict[str, list[str]]:
    """Every problem with the slot itself, field by field (the clash is checked later, under the lock)."""
    errors: dict[str, list[str]] = {}
    if starts_at is None:
        errors["starts_at"] = ["Give the time it starts."]
    elif starts_at < now:
        errors["starts_at"] = ["This time has passed: a booking starts from now on."]
    elif starts_at > now + FURTHEST:
        errors["starts_at"] = ["A booking is at most a year ahead."]
    if ends_at is None:
        errors["ends_at"] = ["Give the time it ends."]
    elif starts_at is not None and ends_at <= starts_at:
        errors["ends_at"] = ["It must end after it starts."]
    elif starts_at is not None and ends_at - starts_at > LONGEST:
        errors["ends_at"] = ["A booking lasts at most 8 hours."]
    if clinician is None or getattr(clinician, "role", None) not in CLINICIAN_ROLES or not clinician.is_active:
        errors["clinician"] = ["Choose a clinician from the list."]
    if not place:
        errors["place"] = ["Say where: a room, a site, or video call."]
    elif len(place) > 100:
        errors["place"] = ["A place is at most 100 characters."]
    else:
        try:
            refuse_control_characters(place, multiline=False)
        except ValidationError as exc:
            errors["place"] = exc.messages
    return errors


def _lock_and_check_clash(*, clinician, starts_at, ends_at, ignore: int | None = None) -> None:
    """Refuse a slot that overlaps the clinician's other open bookings. The clinician's row is locked first, so two
    people booking the same clinician at the same moment are settled one after the other (PostgreSQL; SQLite
    writes one at a time anyway)."""
    type(clinician).objects.select_for_update().filter(pk=clinician.pk).first()
    clash = (
        Booking.objects.filter(
            clinician=clinician, status=BookingStatus.BOOKED, starts_at__lt=ends_at, ends_at__gt=starts_at
        )
        .exclude(pk=ignore)
        .select_related("referral")
        .first()
    )
    if clash is not None:
        raise ValidationError(
            {
                "starts_at": [
                    f"{clinician} is already booked {when_words(clash.starts_at, clash.ends_at)} "
                    f"({clash.get_kind_display().lower()}, {clash.referral.reference}). "
                    "Choose another time or another clinician."
                ]
            }
        )


def _slot_words(booking: Booking) -> str:
    return f"{when_words(booking.starts_at, booking.ends_at)}, with {booking.clinician}, {booking.place}"


def _create(*, referral, by, kind, clinician, starts_at, ends_at, place, replaces=None) -> Booking:
    try:
        with transaction.atomic():
            return Booking.objects.create(
                referral=referral,
                kind=kind,
                starts_at=starts_at,
                ends_at=ends_at,
                clinician=clinician,
                place=place,
                replaces=replaces,
                booked_by=by,
            )
    except IntegrityError:
        raise ValidationError(
            {"__all__": ["This evaluation was booked by someone else meanwhile; reload the page to see it."]}
        ) from None


def _audit(*, by, booking: Booking, action: str, **detail) -> None:
    detail |= {"kind": booking.kind, "starts_at": booking.starts_at.isoformat(), "clinician": booking.clinician_id}
    audit_log(actor=by, action=action, obj=booking, patient_id=booking.referral.patient_id, detail=detail)


def evaluation_booked(referral: Referral) -> bool:
    """Whether the referral has an open evaluation booking: referral_transition asks before it takes the
    "Evaluation scheduled" step (registered in apps.py), so the step is only ever taken with a slot booked."""
    return Booking.objects.filter(
        referral_id=referral.pk, kind=BookingKind.EVALUATION, status=BookingStatus.BOOKED
    ).exists()


def evaluation_not_yet(referral: Referral, at: datetime) -> str:
    """The open evaluation's time in words if it is still to come at `at`, else "": the referral cannot take the
    "No-show" step before its appointment (registered in apps.py)."""
    starts_at = (
        Booking.objects.filter(
            referral_id=referral.pk, kind=BookingKind.EVALUATION, status=BookingStatus.BOOKED, starts_at__gt=at
        )
        .values_list("starts_at", flat=True)
        .first()
    )
    return when_words(starts_at) if starts_at else ""


def _hold_until(referral_id: int, booking: Booking) -> None:
    """The referral's next action while its evaluation is booked ("Hold the evaluation") is due at the booked time,
    not a fortnight after the booking was made: the inbox, the portal and the letters then all say the same date.
    Left alone when another action stands first (a safety review owed)."""
    Referral.objects.filter(
        pk=referral_id, status=Status.EVAL_SCHEDULED, next_action=lifecycle.NEXT_ACTION[Status.EVAL_SCHEDULED].text
    ).update(next_action_due_at=booking.starts_at)


def open_evaluation(referral: Referral) -> Booking | None:
    return (
        Booking.objects.filter(referral=referral, kind=BookingKind.EVALUATION, status=BookingStatus.BOOKED)
        .select_related("clinician")
        .first()
    )


def booking_evaluation_book(
    *,
    referral: Referral,
    by,
    clinician,
    starts_at: datetime | None,
    ends_at: datetime | None,
    place: str,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Booking:
    """Book the referral's evaluation and take the lifecycle's "Evaluation scheduled" step (or "Reschedule
    evaluation" after a no-show) in the same transaction; the step's timeline entry names the slot."""
    _require(by)
    replayed = at is not None
    at = at or timezone.now()
    place = (place or "").strip()
    errors = _slot_errors(starts_at=starts_at, ends_at=ends_at, clinician=clinician, place=place, now=at)
    move = lifecycle.find_move(referral.status, Status.EVAL_SCHEDULED)
    if move is None:
        errors.setdefault("__all__", []).append(
            f"An evaluation cannot be booked for a referral that is “{referral.get_status_display()}”."
        )
    elif by.role not in move.roles:
        errors.setdefault("__all__", []).append(f"“{move.label}” is not a step your role can take.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        booking = _book_slot(
            referral=referral, by=by, kind=BookingKind.EVALUATION, clinician=clinician,
            starts_at=starts_at, ends_at=ends_at, place=place,
        )  # fmt: skip
        if replayed and booking.created_at > at:  # a replayed history (the demo's, an import): made at the step's time
            Booking.objects.filter(pk=booking.pk).update(created_at=at)
            booking.created_at = at
        referral_transition(
            referral=referral,
            to=Status.EVAL_SCHEDULED,
            by=by,
            reason=f"Evaluation booked: {_slot_words(booking)}.",
            expected_version=expected_version,
            at=at,
        )
        _hold_until(referral.pk, booking)
        _audit(by=by, booking=booking, action="create")
        _publish(booking, BOOKED, at=at)
    return booking


def _book_slot(*, referral: Referral, by, kind: str, clinician, starts_at, ends_at, place: str) -> Booking:
    """The slot taken, inside the caller's transaction: the clinician's bookings locked, a clash refused, the row
    written. What the booking does to the referral is the caller's."""
    _lock_and_check_clash(clinician=clinician, starts_at=starts_at, ends_at=ends_at)
    return _create(
        referral=referral, by=by, kind=kind, clinician=clinician, starts_at=starts_at, ends_at=ends_at, place=place
    )


def booking_session_book(
    *, referral: Referral, by, clinician, starts_at: datetime | None, ends_at: datetime | None, place: str
) -> Booking:
    """Book a treatment session for a referral accepted for treatment or in its series; the referral does not move
    (recording the session does that, as before)."""
    _require(by)
    place = (place or "").strip()
    errors = _slot_errors(starts_at=starts_at, ends_at=ends_at, clinician=clinician, place=place, now=timezone.now())
    if referral.status not in SESSION_STATUSES:
        errors.setdefault("__all__", []).append(
            f"A treatment session cannot be booked for a referral that is “{referral.get_status_display()}”."
        )
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        booking = _book_slot(
            referral=referral, by=by, kind=BookingKind.SESSION, clinician=clinician,
            starts_at=starts_at, ends_at=ends_at, place=place,
        )  # fmt: skip
        referral_add_note(referral=referral, by=by, text=f"Treatment session booked: {_slot_words(booking)}.")
        _audit(by=by, booking=booking, action="create")
        _publish(booking, BOOKED, at=timezone.now())
    return booking


def booking_reschedule(
    *, booking: Booking, by, clinician, starts_at: datetime | None, ends_at: datetime | None, place: str
) -> Booking:
    """Move a booking: the old one is marked "rescheduled" and a new one, pointing back to it, is booked; the
    referral's timeline says from when to when. The referral's status does not change."""
    _require(by)
    place = (place or "").strip()
    errors = _slot_errors(starts_at=starts_at, ends_at=ends_at, clinician=clinician, place=place, now=timezone.now())
    if booking.status != BookingStatus.BOOKED:
        errors.setdefault("__all__", []).append(_not_open(booking))
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        _lock_and_check_clash(clinician=clinician, starts_at=starts_at, ends_at=ends_at, ignore=booking.pk)
        _close(booking, status=BookingStatus.RESCHEDULED, by=by, at=now, reason="")
        new = _create(
            referral=booking.referral,
            by=by,
            kind=booking.kind,
            clinician=clinician,
            starts_at=starts_at,
            ends_at=ends_at,
            place=place,
            replaces=booking,
        )
        text = f"{booking.get_kind_display()} moved from {when_words(booking.starts_at)} to {_slot_words(new)}."
        referral_add_note(referral=booking.referral, by=by, text=text)
        if new.kind == BookingKind.EVALUATION:
            _hold_until(booking.referral_id, new)
        _audit(by=by, booking=new, action="create", replaces=booking.pk)
        _publish(new, MOVED, at=now, replaces=booking.pk)
    return new


BOOKED, MOVED, CANCELLED = "booked", "moved", "cancelled"  # what a booking_changed event tells


def _publish(booking: Booking, change: str, *, at: datetime, **extra) -> None:
    """Tell the other apps, in this transaction, that the patient's appointment was booked, moved or cancelled:
    notify emails the patient their calendar invitation, comms owes the referrer a notice when the
    acknowledgment has already gone (decision 0044)."""
    events.publish(
        Published.BOOKING_CHANGED, referral_id=booking.referral_id, at=at, booking_id=booking.pk,
        booking_kind=booking.kind, change=change, context={"booking": booking}, **extra,
    )  # fmt: skip


def _not_open(booking: Booking) -> str:
    return f"This booking is “{booking.get_status_display().lower()}” already; only an open booking can change."


def _close(booking: Booking, *, status: str, by, at: datetime, reason: str) -> None:
    """The booking's one status change, as a conditional update: if someone else changed it first, nothing is
    written and the caller is told."""
    changes = {"status": status, "status_at": at, "status_by": by, "status_reason": reason[:300]}
    if not Booking.objects.filter(pk=booking.pk, status=BookingStatus.BOOKED).update(**changes):
        raise ValidationError({"__all__": ["Someone else changed this booking meanwhile; reload the page to see it."]})
    for field, value in changes.items():
        setattr(booking, field, value)


def booking_mark_no_show(*, booking: Booking, by, at: datetime | None = None) -> Booking:
    """The patient did not come. For an evaluation the referral takes the lifecycle's "No-show" step too, from
    which the coordinator books it again or closes it."""
    _require(by)
    at = at or timezone.now()
    if booking.status != BookingStatus.BOOKED:
        raise ValidationError({"__all__": [_not_open(booking)]})
    if booking.starts_at > at:
        raise ValidationError({"__all__": ["A booking can be marked as missed only once its time has come."]})
    referral = booking.referral
    with transaction.atomic():
        _close(booking, status=BookingStatus.NO_SHOW, by=by, at=at, reason="")
        if booking.kind == BookingKind.EVALUATION and referral.status == Status.EVAL_SCHEDULED:
            reason = f"Did not come to the evaluation booked for {when_words(booking.starts_at)}."
            referral_transition(referral=referral, to=Status.NO_SHOW, by=by, reason=reason, at=at)
        _audit(by=by, booking=booking, action="booking_no_show")
    return booking


def booking_mark_attended(*, booking: Booking, by, session: Session | None = None, at: datetime | None = None):
    """The patient came (the clinician records the evaluation or the session as before)."""
    _require(by)
    at = at or timezone.now()
    if booking.status != BookingStatus.BOOKED:
        raise ValidationError({"__all__": [_not_open(booking)]})
    if booking.starts_at > at:
        raise ValidationError({"__all__": ["A booking can be marked as attended only once its time has come."]})
    with transaction.atomic():
        _close(booking, status=BookingStatus.ATTENDED, by=by, at=at, reason="")
        if session is not None:
            Booking.objects.filter(pk=booking.pk).update(session=session)
            booking.session = session
        _audit(by=by, booking=booking, action="booking_attended")
    return booking


def bookings_settle(*, referral: Referral, to_status: str, at: datetime | None = None) -> int:
    """What a referral's own step means for its open bookings (care.handlers.bookings_follow): "Evaluation done"
    marks the open evaluation attended, "No-show" marks it missed, and a closing step cancels every open booking
    with the referral's reason, so it leaves the schedule and keeps its history. Returns how many changed; run
    twice, the second finds none open."""
    at = at or timezone.now()
    open_ = Booking.objects.filter(referral=referral, status=BookingStatus.BOOKED).select_related("referral")
    if to_status == Status.EVALUATED:
        open_, status = open_.filter(kind=BookingKind.EVALUATION), BookingStatus.ATTENDED
    elif to_status == Status.NO_SHOW:
        open_, status = open_.filter(kind=BookingKind.EVALUATION), BookingStatus.NO_SHOW
    else:
        status = BookingStatus.CANCELLED
    changed = 0
    for booking in open_:
        _close(booking, status=status, by=None, at=at, reason=referral.closed_reason or "")
        _audit(by=None, booking=booking, action=f"booking_{status}", referral_status=to_status)
        if status == BookingStatus.CANCELLED:
            _publish(booking, CANCELLED, at=at)
        changed += 1
    return changed


def booking_attach_session(*, session: Session, by, at: datetime) -> Booking | None:
    """A session recorded on the day of one of the referral's open bookings of its kind is that booking held:
    the booking is marked attended and points to the session (called by session_record, in its transaction)."""
    kind = BookingKind.EVALUATION if session.kind == "evaluation" else BookingKind.SESSION
    for booking in Booking.objects.filter(referral_id=session.referral_id, kind=kind, status=BookingStatus.BOOKED):
        if timezone.localtime(booking.starts_at).date() == session.held_on:
            changes = {"status": BookingStatus.ATTENDED, "status_at": at, "status_by": by, "session": session}
            Booking.objects.filter(pk=booking.pk, status=BookingStatus.BOOKED).update(**changes)
            booking.referral = session.referral
            _audit(by=by, booking=booking, action="booking_attended", session=session.pk)
            return booking
    return None


def evaluation_facts(referral: Referral) -> dict:
    """The open evaluation booking as a letter states it (comms.letters.letter_context), in the practice's time
    zone, or {} when none is booked: the letter then says the coordinator will call, never both."""
    booking = open_evaluation(referral)
    if booking is None:
        return {}
    start = timezone.localtime(booking.starts_at)
    return {
        "day": f"{start:%A, %B} {start.day}, {start.year}",
        "time": _clock(start),
        "clinician": booking.clinician.get_full_name() or str(booking.clinician),
        "place": booking.place,
    }
