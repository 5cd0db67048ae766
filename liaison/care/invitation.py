"""The patient's calendar invitation (.ics, RFC 5545, written by the `icalendar` library) for a booking. It holds
what the patient needs and nothing more: what, when, where, with whom, and how to reach the practice. No name,
date of birth or reference: a calendar file is copied and synced to places the practice does not control."""

from icalendar import Calendar, Event

from liaison.care.choices import BookingKind, BookingStatus
from liaison.care.models import Booking
from liaison.core.models import Clinic
from liaison.directory.validators import display_phone

WHAT = {BookingKind.EVALUATION: "Evaluation", BookingKind.SESSION: "Treatment session"}


def _root_and_sequence(booking: Booking) -> tuple[int, int]:
    """The first booking of a rescheduled chain and how many moves came since: the invitation keeps the first one's
    UID and counts up its SEQUENCE, so a calendar that has the old time replaces it with the new."""
    root, sequence = booking, 0
    while root.replaces_id:
        root = Booking.objects.only("id", "replaces_id").get(pk=root.replaces_id)
        sequence += 1
    return root.pk, sequence


def invitation_ics(booking: Booking, *, host: str) -> bytes:
    clinic = Clinic.objects.order_by("pk").first()
    clinic_name = clinic.name if clinic else "the practice"
    root, sequence = _root_and_sequence(booking)
    cal = Calendar()
    cal.add("prodid", "-//Liaison//Bookings//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"booking-{root}@{host or 'liaison'}")
    event.add("sequence", sequence)
    event.add("dtstamp", booking.status_at or booking.created_at)
    event.add("dtstart", booking.starts_at)
    event.add("dtend", booking.ends_at)
    event.add("summary", f"{WHAT[booking.kind]} at {clinic_name}")
    address = clinic.address.replace("\n", ", ") if clinic and clinic.address else ""
    event.add("location", ", ".join(p for p in (booking.place, address) if p))
    event.add("status", "CONFIRMED" if booking.status == BookingStatus.BOOKED else "CANCELLED")
    event.add("description", _description(booking, clinic))
    cal.add_component(event)
    return cal.to_ical()


def _description(booking: Booking, clinic) -> str:
    who = booking.clinician.get_full_name() or str(booking.clinician)
    lines = [f"With {who}."]
    if clinic and clinic.phone:
        lines.append(f"To change or cancel, please call us on {display_phone(clinic.phone)}.")
    else:
        lines.append("To change or cancel, please call the practice.")
    return " ".join(lines)
