"""The patient's appointment by email (decision 0044): when care books, moves or cancels an evaluation or a session
(`care.booking_changed`), a Notice to the patient's email address is written in care's transaction, and the worker
sends it like every notice (send.py: claimed, leased, the phase recorded before the hand-over, never twice), with
the calendar invitation attached: REQUEST for a booked or moved appointment (same UID, a higher SEQUENCE), CANCEL
for a cancelled one.

The email says the date, the time, the place and the practice's name and phone, nothing else: no name, no
reason for the visit, no clinician's speciality. A patient with no email address gets nothing; the booking's page
tells the coordinator to hand the invitation over."""

from email.mime.text import MIMEText
from email.utils import parseaddr

from django.template.loader import render_to_string
from django.utils import timezone

from liaison.care.bookings import when_words
from liaison.care.choices import BookingStatus
from liaison.care.invitation import invitation_ics, root_of
from liaison.care.models import Booking
from liaison.comms.models import CommsSettings
from liaison.core.events import Event
from liaison.core.models import Clinic
from liaison.directory.validators import display_phone
from liaison.notify.choices import Channel, NoticeKind, NoticeStatus
from liaison.notify.models import Notice
from liaison.notify.notices import is_fresh, wake_after_commit

CANCEL = "cancelled"
SUBJECTS = {
    "booked": "Your appointment at {clinic}",
    "moved": "Your appointment at {clinic} has a new time",
    CANCEL: "Your appointment at {clinic} is cancelled",
}


def booking_changed(event: Event) -> int:
    """Care booked, moved or cancelled an appointment: the patient's email, once per booking and change (a second
    run finds the key taken). Nothing for a patient with no email address, for history (an import or the demo's
    replay, over 6 hours old), or for an appointment whose time has passed. Returns the notices written."""
    booking: Booking = event.context.get("booking") or Booking.objects.get(pk=event.payload["booking_id"])
    change = event.payload["change"]
    address = Booking.objects.filter(pk=booking.pk).values_list("referral__patient__email", flat=True).first()
    now = timezone.now()
    if not address or not is_fresh(event.at, now=now) or booking.starts_at <= now:
        return 0
    key = f"appointment:{booking.pk}:{change}"
    if Notice.objects.filter(key=key, recipient__isnull=True).exists():
        return 0
    notice = Notice(
        kind=NoticeKind.APPOINTMENT, key=key, referral_id=booking.referral_id, channel=Channel.EMAIL,
        address=address, created_at=now, next_attempt_at=now,
        payload={"booking": booking.pk, "change": change, "root": root_of(booking)},
    )  # fmt: skip
    Notice.objects.bulk_create([notice], ignore_conflicts=True)  # a racing twin: the unique key keeps one
    wake_after_commit()
    return 1


def not_needed(notice: Notice, at) -> str:
    """Why an appointment's email need not go any more ("" if it must): an invitation whose booking was moved or
    cancelled meanwhile (the newer email says what holds), or whose time has passed; a cancellation of an
    appointment of which no invitation ever went."""
    booking = Booking.objects.filter(pk=notice.payload.get("booking")).first()
    if booking is None:
        return "The appointment no longer exists."
    if notice.payload.get("change") == CANCEL:
        sent = Notice.objects.filter(
            kind=NoticeKind.APPOINTMENT, status=NoticeStatus.SENT, payload__root=notice.payload.get("root")
        ).exclude(pk=notice.pk)
        return "" if sent.exists() else "No invitation to this appointment had gone, so there is nothing to cancel."
    if booking.status != BookingStatus.BOOKED:
        return f"The appointment was {booking.get_status_display().lower()} before the email could go."
    if booking.starts_at <= at:
        return "The appointment's time passed before the email could go."
    return ""


REMOTE_WORDS = ("video", "telehealth", "zoom", "online", "phone call", "telephone")


def is_remote(place: str) -> bool:
    """Whether the booking's place is a call rather than an address (the place is the coordinator's own words)."""
    place = (place or "").lower()
    return any(word in place for word in REMOTE_WORDS)


def build(notice: Notice, *, make_email):
    """The email with the invitation attached; `make_email(address, subject, body)` is compose's, which checks
    the address and the headers."""
    booking = Booking.objects.select_related("clinician").get(pk=notice.payload["booking"])
    change = notice.payload.get("change", "booked")
    clinic = Clinic.objects.order_by("pk").first()
    name = clinic.name if clinic else "Your care team"
    remote = is_remote(booking.place)
    context = {
        "clinic": name,
        "phone": display_phone(clinic.phone) if clinic and clinic.phone else "",
        # A video call has no street address to come to: the email says how the link reaches the patient instead.
        "address": clinic.address.replace("\n", ", ") if clinic and clinic.address and not remote else "",
        "remote": remote,
        "when": when_words(booking.starts_at, booking.ends_at),
        "place": booking.place,
        "change": change,
    }
    body = render_to_string("notify/email/appointment.txt", context)
    message = make_email(notice.address, SUBJECTS[change].format(clinic=name), body)
    method = "CANCEL" if change == CANCEL else "REQUEST"
    organizer = CommsSettings.current().from_email or message.from_email
    ics = invitation_ics(
        booking, method=method, organizer=_address_only(organizer), attendee=notice.address, with_clinician=False
    )
    part = MIMEText(ics.decode("utf-8"), "calendar", "utf-8")
    part.set_param("method", method)
    part.add_header("Content-Disposition", "attachment", filename="appointment.ics")
    message.attach(part)
    message.message()  # a header that cannot be written fails here, before any connection
    return message


def _address_only(sender: str) -> str:
    return parseaddr(sender)[1]


def timeline_words(notice: Notice) -> str:
    change = notice.payload.get("change", "booked")
    what = {"booked": "invitation", "moved": "new time", CANCEL: "cancellation"}.get(change, "invitation")
    return f"The appointment's {what} by email"
