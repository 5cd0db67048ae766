"""Pages for bookings: the booking form (book an evaluation or a session, or move a booking), a booking's page with
its history and its two outcomes (came, did not come), the patient's calendar invitation, and the schedule of a
day or a week. Every write goes through care.bookings; every look at a booking is on the audit trail."""

from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from liaison.accounts.access import allowed
from liaison.care import bookings, schedule
from liaison.care.booking_forms import BookingForm, ScheduleForm
from liaison.care.choices import BookingKind, BookingStatus
from liaison.care.invitation import invitation_ics
from liaison.care.models import Booking
from liaison.core.audit import audit_log
from liaison.referrals.queries import referral_get
from liaison.referrals.services import TransitionConflict

PLACES_SHOWN = 20


def _clinicians():
    from liaison.referrals.queries import staff_choices

    return staff_choices(*bookings.CLINICIAN_ROLES)


def _places() -> list[str]:
    """The places booked lately, offered as suggestions."""
    recent = Booking.objects.order_by("-created_at").values_list("place", flat=True)[:200]
    return list(dict.fromkeys(recent))[:PLACES_SHOWN]


@allowed("care.booking")
def booking_new(request, pk: int):
    referral = referral_get(user=request.user, pk=pk, related=("patient", "referrer"))
    audit_log(actor=request.user, action="view", obj=referral, patient_id=referral.patient_id)
    kind = bookings.bookable_kind(referral)
    if kind is None:
        messages.error(request, f"Nothing can be booked for a referral that is “{referral.get_status_display()}”.")
        return redirect("referrals:detail", pk=referral.pk)
    initial = {"clinician": referral.assigned_clinician_id, "version": referral.version}
    form = BookingForm(request.POST or None, initial=initial, clinicians=_clinicians(), places=_places())
    if request.method == "POST" and form.is_valid():
        starts_at, ends_at = form.moments()
        slot = {"clinician": form.cleaned_data["clinician"], "starts_at": starts_at, "ends_at": ends_at}
        slot["place"] = form.cleaned_data["place"]
        try:
            if kind == BookingKind.EVALUATION:
                booking = bookings.booking_evaluation_book(
                    referral=referral, by=request.user, expected_version=form.cleaned_data["version"], **slot
                )
            else:
                booking = bookings.booking_session_book(referral=referral, by=request.user, **slot)
        except ValidationError as exc:
            form.put_back(exc)
        except TransitionConflict as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{booking.get_kind_display()} booked: {_slot(booking)}.")
            return redirect("referrals:detail", pk=referral.pk)
    context = {"referral": referral, "form": form, "kind": BookingKind(kind), "booking": None}
    return render(request, "care/booking_form.html", context, status=400 if request.method == "POST" else 200)


def _slot(booking: Booking) -> str:
    return f"{bookings.when_words(booking.starts_at, booking.ends_at)} with {booking.clinician}, {booking.place}"


@allowed("care.schedule")
def booking_detail(request, pk: int):
    booking = schedule.booking_get(user=request.user, pk=pk)
    history = schedule.booking_history(booking)
    audit_log(
        actor=request.user,
        action="view",
        obj=booking,
        patient_id=booking.referral.patient_id,
        detail={"history": [b.pk for b in history]},
    )
    context = {
        "booking": booking,
        "referral": booking.referral,
        "history": history,
        "started": booking.starts_at <= timezone.now(),
        "when": bookings.when_words(booking.starts_at, booking.ends_at),
    }
    return render(request, "care/booking.html", context)


@allowed("care.booking")
def booking_reschedule(request, pk: int):
    booking = schedule.booking_get(user=request.user, pk=pk)
    referral = booking.referral
    audit_log(actor=request.user, action="view", obj=booking, patient_id=referral.patient_id)
    if booking.status != BookingStatus.BOOKED:
        messages.error(request, bookings._not_open(booking))
        return redirect("care:booking", pk=booking.pk)
    local = timezone.localtime(booking.starts_at)
    initial = {
        "day": local.date(),
        "starts_at": local.time(),
        "ends_at": timezone.localtime(booking.ends_at).time(),
        "clinician": booking.clinician_id,
        "place": booking.place,
    }
    form = BookingForm(request.POST or None, initial=initial, clinicians=_clinicians(), places=_places())
    if request.method == "POST" and form.is_valid():
        starts_at, ends_at = form.moments()
        try:
            new = bookings.booking_reschedule(
                booking=booking,
                by=request.user,
                clinician=form.cleaned_data["clinician"],
                starts_at=starts_at,
                ends_at=ends_at,
                place=form.cleaned_data["place"],
            )
        except ValidationError as exc:
            form.put_back(exc)
        else:
            messages.success(request, f"{new.get_kind_display()} moved to {_slot(new)}.")
            return redirect("care:booking", pk=new.pk)
    context = {"referral": referral, "form": form, "kind": BookingKind(booking.kind), "booking": booking}
    return render(request, "care/booking_form.html", context, status=400 if request.method == "POST" else 200)


@allowed("care.booking")
@require_POST
def booking_outcome(request, pk: int):
    """Came or did not come, from the booking."""
    booking = schedule.booking_get(user=request.user, pk=pk)
    outcome = request.POST.get("outcome")
    actions = {"attended": bookings.booking_mark_attended, "no_show": bookings.booking_mark_no_show}
    if outcome not in actions:
        messages.error(request, "Choose whether the patient came or did not come.")
        return redirect("care:booking", pk=booking.pk)
    try:
        actions[outcome](booking=booking, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except TransitionConflict as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Recorded: {BookingStatus(outcome).label.lower()}.")
    return redirect("care:booking", pk=booking.pk)


@allowed("care.schedule")
def booking_invitation(request, pk: int):
    """The patient's calendar invitation (.ics), to attach to an email or hand over."""
    booking = schedule.booking_get(user=request.user, pk=pk)
    audit_log(actor=request.user, action="download", obj=booking, patient_id=booking.referral.patient_id)
    response = HttpResponse(invitation_ics(booking), content_type="text/calendar")
    response["Content-Disposition"] = f'attachment; filename="{booking.get_kind_display().lower()}-{booking.pk}.ics"'
    return response


@allowed("care.schedule")
def schedule_page(request):
    """A day (?day=) or a week (?week=, any day in it; weeks start on Monday), the practice's or one clinician's."""
    clinicians = _clinicians()
    form = ScheduleForm(request.GET or None, clinicians=clinicians)
    data = form.cleaned_data if form.is_valid() else {}
    today = timezone.localdate()
    week = data.get("week")
    if week is not None:
        first, days, step = week - timedelta(days=week.weekday()), 7, 7
    else:
        first, days, step = data.get("day") or today, 1, 1
    clinician = data.get("clinician")
    shown, more = schedule.schedule(
        user=request.user, first=first, days=days, clinician_id=clinician.pk if clinician else None
    )
    ids = [b.pk for d in shown for b in d.bookings]
    audit_log(
        actor=request.user,
        action="list",
        object_type="care.booking",
        detail={"bookings": ids, "first": first.isoformat(), "days": days, "clinician": clinician and clinician.pk},
    )
    context = {
        "form": form,
        "days": shown,
        "more": more,
        "limit": schedule.SCHEDULE_LIMIT,
        "first": first,
        "last": first + timedelta(days=days - 1),
        "week_view": days == 7,
        "clinician": clinician,
        "today": today,
        "errors": form.errors if form.is_bound and not form.is_valid() else {},
        "links": _schedule_links(first, step, clinician, days == 7, today),
    }
    return render(request, "care/schedule.html", context, status=200 if not context["errors"] else 400)


def _schedule_links(first: date, step: int, clinician, week_view: bool, today: date) -> dict[str, str]:
    base = reverse("care:schedule")
    who = f"&clinician={clinician.pk}" if clinician else ""
    key = "week" if week_view else "day"

    def at(day: date, k: str = key) -> str:
        return f"{base}?{k}={day.isoformat()}{who}"

    return {
        "previous": at(first - timedelta(days=step)),
        "next": at(first + timedelta(days=step)),
        "today": at(today),
        "as_day": at(first, "day"),
        "as_week": at(first, "week"),
    }
