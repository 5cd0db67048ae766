"""Meeting invitations as iCalendar (.ics) files, written by the `icalendar` library (RFC 5545)."""

from icalendar import Calendar, Event, vCalAddress

from liaison.crm.models import Meeting


def meeting_ics(meeting: Meeting, *, clinic_name: str, host: str) -> bytes:
    """One VEVENT, with a stable UID so that a corrected invitation replaces the first."""
    cal = Calendar()
    cal.add("prodid", "-//Liaison//Referrer relationships//EN")
    cal.add("version", "2.0")
    cal.add("method", "REQUEST")
    event = Event()
    event.add("uid", f"crm-meeting-{meeting.pk}@{host or 'liaison'}")
    event.add("dtstamp", meeting.created_at)
    event.add("dtstart", meeting.starts_at)
    event.add("dtend", meeting.ends_at)
    who = meeting.relationship
    event.add("summary", f"{clinic_name or 'Clinic'} and {who}: {meeting.get_kind_display().lower()}")
    if meeting.place:
        event.add("location", meeting.place)
    event.add("description", AGENDA_TEXT)
    if meeting.organizer and meeting.organizer.email:
        organizer = vCalAddress(f"mailto:{meeting.organizer.email}")
        organizer.params["cn"] = meeting.organizer.get_full_name() or meeting.organizer.get_username()
        event.add("organizer", organizer)
    referrer = who.referrer
    if referrer is not None and referrer.email:
        attendee = vCalAddress(f"mailto:{referrer.email}")
        attendee.params["cn"] = referrer.display_name
        attendee.params["role"] = "REQ-PARTICIPANT"
        event.add("attendee", attendee)
    cal.add_component(event)
    return cal.to_ical()


AGENDA_TEXT = (
    "About 30 to 45 minutes. We would like to hear how you care for patients with hard-to-treat depression, "
    "share briefly how our ketamine service works and how referring to us goes, and answer your questions."
)
