"""The patient's calendar invitation (.ics, RFC 5545, written by the `icalendar` library) for a booking. It holds
what the patient needs and nothing more: what, when, where, with whom, and how to reach the practice. No name,
date of birth or reference: a calendar file is copied and synced to places the practice does not control."""

from urllib.parse import urlsplit

from django.conf import settings
from icalendar import Calendar, Event, vCalAddress

from liaison.care.choices import BookingKind, BookingStatus
from liaison.care.models import Booking
from liaison.core.models import Clinic
from liaison.directory.validators import display_phone

WHAT = {BookingKind.EVALUATION: "Evaluation", BookingKind.SESSION: "Treatment session"}


def root_of(booking: Booking) -> int:
    """The id of the first booking of the chain this one belongs to (its invitation's UID)."""
    return _root_and_sequence(booking)[0]


def _root_and_sequence(booking: Booking) -> tuple[int, int]:
    """The first booking of a rescheduled chain and how many moves came since: the invitation keeps the first one's
    UID and counts up its SEQUENCE, so a calendar that has the old time replaces it with the new."""
    root, sequence = booking, 0
    while root.replaces_id:
        root = Booking.objects.only("id", "replaces_id").get(pk=root.replaces_id)
        sequence += 1
    return root.pk, sequence


def uid_host() -> str:
    """The host in every invitation's UID: the site's own, so the file downloaded from the booking's page and the
    one emailed to the patient name the same event (whatever address the page was opened at)."""
    return urlsplit(settings.SITE_URL).hostname or "liaison"


def invitation_ics(
    booking: Booking,
    *,
    host: str | None = None,
    method: str = "PUBLISH",
    organizer: str = "",
    attendee: str = "",
    with_clinician: bool = True,
) -> bytes:
    """The booking's calendar file. `method` PUBLISH for the page's download; REQUEST (with the practice as organizer
    and the patient's address as attendee, as RFC 5546 asks) or CANCEL for the emailed invitation. A cancelled
    appointment's file counts one more SEQUENCE than the last time it was sent, so a calendar takes the cancel."""
    clinic = Clinic.objects.order_by("pk").first()
    clinic_name = clinic.name if clinic else "the practice"
    root, sequence = _root_and_sequence(booking)
    open_ = booking.status in (BookingStatus.BOOKED, BookingStatus.ATTENDED)
    cancelled = method == "CANCEL" or booking.status == BookingStatus.CANCELLED
    cal = Calendar()
    cal.add("prodid", "-//Liaison//Bookings//EN")
    cal.add("version", "2.0")
    cal.add("method", method)
    event = Event()
    event.add("uid", f"booking-{root}@{host or uid_host()}")
    event.add("sequence", sequence + (1 if cancelled else 0))
    event.add("dtstamp", booking.status_at or booking.created_at)
    event.add("dtstart", booking.starts_at)
    event.add("dtend", booking.ends_at)
    event.add("summary", f"{WHAT[booking.kind]} at {clinic_name}")
    address = clinic.address.replace("\n", ", ") if clinic and clinic.address else ""
    event.add("location", ", ".join(p for p in (booking.place, address) if p))
    event.add("status", "CONFIRMED" if open_ and not cancelled else "CANCELLED")
    event.add("description", _description(booking, clinic, with_clinician=with_clinician))
    if organizer:
        event.add("organizer", vCalAddress(f"mailto:{organizer}"), parameters={"CN": clinic_name})
    if attendee:
        event.add(
            "attendee", vCalAddress(f"mailto:{attendee}"), parameters={"ROLE": "REQ-PARTICIPANT", "RSVP": "FALSE"}
        )
    cal.add_component(event)
    return cal.to_ical()


def _description(booking: Booking, clinic, *, with_clinician: bool = True) -> str:
    who = booking.clinician.get_full_name() or str(booking.clinician)
    lines = [f"With {who}."] if with_clinician else []
    if clinic and clinic.phone:
        lines.append(f"To change or cancel, please call us on {display_phone(clinic.phone)}.")
    else:
        lines.append("To change or cancel, please call the practice.")
    return " ".join(lines)
