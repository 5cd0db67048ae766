"""The patient's appointment by email (decision 0044): booked, moved or cancelled, through the notices' durable path
(exactly once, retried before the hand-over), with a calendar invitation whose UID stays and whose SEQUENCE counts
up; nothing but the date, the time, the place and the practice in the email."""

import datetime
import email
from email.policy import default

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from icalendar import Calendar

from liaison.care import bookings
from liaison.care.choices import Published
from liaison.care.models import Booking
from liaison.core import events
from liaison.core.models import AuditEvent
from liaison.notify import send
from liaison.notify.choices import NoticeKind, NoticeStatus
from liaison.notify.models import Notice
from liaison.referrals.choices import Status
from liaison.referrals.models import ReferralEvent
from liaison.referrals.services import referral_transition
from liaison.referrals.tests.factories import ReferralFactory

pytestmark = pytest.mark.django_db


def slot(days: int, hour: int = 10) -> datetime.datetime:
    day = timezone.localdate() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def acknowledged(alice_referrer, clinician, coordinator):
    referral = ReferralFactory(
        status=Status.ACKNOWLEDGED, referrer=alice_referrer, assigned_clinician=clinician,
        assigned_coordinator=coordinator,
    )  # fmt: skip
    referral.patient.email = "pat@example.test"
    referral.patient.save()
    return referral


def book(referral, by, clinician, days=3) -> Booking:
    return bookings.booking_evaluation_book(
        referral=referral, by=by, clinician=clinician, starts_at=slot(days), ends_at=slot(days, 11), place="Room 2"
    )


def mails(inbox) -> list:
    return [email.message_from_bytes(raw, policy=default) for raw in inbox.messages]


def invitation(mail) -> tuple[str, object]:
    (part,) = [p for p in mail.iter_attachments() if p.get_content_type() == "text/calendar"]
    (event,) = Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")
    return part.get_param("method"), event


def test_a_booked_evaluation_emails_the_patient_once_with_its_invitation(
    acknowledged, coordinator, clinician, clinic, smtp_inbox
):
    booking = book(acknowledged, coordinator, clinician)
    (notice,) = Notice.objects.filter(kind=NoticeKind.APPOINTMENT)
    assert (notice.address, notice.recipient, notice.key) == (
        "pat@example.test",
        None,
        f"appointment:{booking.pk}:booked",
    )

    assert send.deliver_due() == {NoticeStatus.SENT: 1}
    assert send.deliver_due() == {}  # run again: nothing more goes
    (mail,) = mails(smtp_inbox)
    assert mail["To"] == "pat@example.test" and mail["Subject"] == "Your appointment at Harbor Ketamine Clinic"
    body = mail.get_body(("plain",)).get_content()
    assert bookings.when_words(booking.starts_at, booking.ends_at) in body and "Room 2" in body
    assert "(718) 555-0100" in body and "Harbor Ketamine Clinic" in body
    patient = acknowledged.patient
    for private in (patient.first_name, patient.last_name, acknowledged.reference, str(clinician)):
        assert private not in mail.as_string()  # no name, reference or clinician: date, time, place, practice
    method, event = invitation(mail)
    assert method == "REQUEST" and event["STATUS"] == "CONFIRMED"
    assert event["UID"] == f"booking-{booking.pk}@127.0.0.1" and event["SEQUENCE"] == 0
    assert event.decoded("DTSTART") == booking.starts_at and event["DTSTART"].to_ical().endswith(b"Z")  # UTC
    assert str(event["ATTENDEE"]) == "mailto:pat@example.test"
    assert ReferralEvent.objects.filter(
        referral=acknowledged, reason="The appointment's invitation by email sent."
    ).exists()
    assert AuditEvent.objects.filter(action="notice_sent", patient_id=patient.pk).count() == 1


def test_the_handler_run_twice_writes_one_notice(acknowledged, coordinator, clinician):
    booking = book(acknowledged, coordinator, clinician)
    events.publish(
        Published.BOOKING_CHANGED, referral_id=acknowledged.pk, booking_id=booking.pk, booking_kind=booking.kind,
        change="booked", context={"booking": booking}, at=timezone.now(),
    )  # fmt: skip
    assert Notice.objects.filter(kind=NoticeKind.APPOINTMENT).count() == 1


def test_a_refused_mail_server_is_tried_again_and_the_patient_gets_one_email(
    acknowledged, coordinator, clinician, clinic, smtp_inbox, time_machine
):
    book(acknowledged, coordinator, clinician)
    smtp_inbox.refuse_with = "451 Try again later"
    assert send.deliver_due() == {NoticeStatus.QUEUED: 1}
    notice = Notice.objects.get(kind=NoticeKind.APPOINTMENT)
    assert notice.attempts == 1 and "451" in notice.last_error and smtp_inbox.messages == []
    smtp_inbox.refuse_with = None
    time_machine.move_to(notice.next_attempt_at + datetime.timedelta(seconds=1))
    assert send.deliver_due() == {NoticeStatus.SENT: 1}
    assert send.deliver_due() == {}
    assert len(smtp_inbox.messages) == 1


def test_a_moved_appointment_keeps_the_uid_and_counts_up_the_sequence(
    acknowledged, coordinator, clinician, clinic, smtp_inbox
):
    first = book(acknowledged, coordinator, clinician)
    send.deliver_due()
    moved = bookings.booking_reschedule(
        booking=first, by=coordinator, clinician=clinician, starts_at=slot(5), ends_at=slot(5, 11), place="Room 1"
    )
    assert send.deliver_due() == {NoticeStatus.SENT: 1}
    old, new = mails(smtp_inbox)
    assert new["Subject"] == "Your appointment at Harbor Ketamine Clinic has a new time"
    assert bookings.when_words(moved.starts_at, moved.ends_at) in new.get_body(("plain",)).get_content()
    (_, before), (method, after) = invitation(old), invitation(new)
    assert method == "REQUEST" and after["UID"] == before["UID"] == f"booking-{first.pk}@127.0.0.1"
    assert (before["SEQUENCE"], after["SEQUENCE"]) == (0, 1) and after.decoded("DTSTART") == moved.starts_at


def test_moved_before_the_first_email_went_only_the_new_time_is_sent(
    acknowledged, coordinator, clinician, clinic, smtp_inbox
):
    first = book(acknowledged, coordinator, clinician)
    bookings.booking_reschedule(
        booking=first, by=coordinator, clinician=clinician, starts_at=slot(6), ends_at=slot(6, 11), place="Room 1"
    )
    assert send.deliver_due() == {NoticeStatus.CANCELLED: 1, NoticeStatus.SENT: 1}
    (mail,) = mails(smtp_inbox)
    assert invitation(mail)[1]["SEQUENCE"] == 1 and "Room 1" in mail.get_body(("plain",)).get_content()
    stale = Notice.objects.get(key=f"appointment:{first.pk}:booked")
    assert stale.status == NoticeStatus.CANCELLED and "moved" in stale.last_error


def test_a_cancelled_appointment_sends_a_cancel_with_the_same_uid(
    acknowledged, coordinator, clinician, clinic, smtp_inbox
):
    booking = book(acknowledged, coordinator, clinician)
    send.deliver_due()
    acknowledged.refresh_from_db()
    referral_transition(referral=acknowledged, to=Status.CANCELLED, by=coordinator, reason="Moved away.")
    assert send.deliver_due() == {NoticeStatus.SENT: 1}
    _, cancel = mails(smtp_inbox)
    assert cancel["Subject"] == "Your appointment at Harbor Ketamine Clinic is cancelled"
    assert "Moved away" not in cancel.as_string()  # the referral's reason is the practice's, not the email's
    method, event = invitation(cancel)
    assert method == "CANCEL" and event["STATUS"] == "CANCELLED"
    assert event["UID"] == f"booking-{booking.pk}@127.0.0.1" and event["SEQUENCE"] == 1


def test_a_cancel_of_an_invitation_that_never_went_is_not_sent(
    acknowledged, coordinator, clinician, clinic, smtp_inbox
):
    book(acknowledged, coordinator, clinician)
    acknowledged.refresh_from_db()
    referral_transition(referral=acknowledged, to=Status.CANCELLED, by=coordinator, reason="Moved away.")
    assert send.deliver_due() == {NoticeStatus.CANCELLED: 2}
    assert smtp_inbox.messages == []


def test_a_patient_without_an_email_address_gets_nothing_and_the_booking_page_says_so(
    acknowledged, coordinator, clinician, client_for
):
    acknowledged.patient.email = ""
    acknowledged.patient.save()
    booking = book(acknowledged, coordinator, clinician)
    assert not Notice.objects.filter(kind=NoticeKind.APPOINTMENT).exists()
    page = client_for(coordinator).get(f"/care/bookings/{booking.pk}/").content.decode()
    assert 'id="invitation-not-emailed"' in page and "nothing is emailed" in page


def test_a_refused_booking_writes_no_email(acknowledged, coordinator, clinician):
    with pytest.raises(ValidationError):
        bookings.booking_evaluation_book(
            referral=acknowledged, by=coordinator, clinician=clinician, starts_at=slot(3), ends_at=slot(3, 9),
            place="Room 2",
        )  # fmt: skip
    assert not Notice.objects.exists() and not Booking.objects.exists()


def test_history_booked_long_ago_emails_no_one(acknowledged, coordinator, clinician):
    at = timezone.now() - datetime.timedelta(days=2)
    start = at + datetime.timedelta(days=3)
    bookings.booking_evaluation_book(
        referral=acknowledged, by=coordinator, clinician=clinician, starts_at=start,
        ends_at=start + datetime.timedelta(hours=1), place="Room 2", at=at,
    )  # fmt: skip
    assert not Notice.objects.exists()


def test_a_booked_session_emails_the_patient_too_and_the_booking_page_says_so(
    alice_referrer, clinician, coordinator, clinic, smtp_inbox, client_for
):
    referral = ReferralFactory(status=Status.ACCEPTED, referrer=alice_referrer, assigned_clinician=clinician)
    referral.patient.email = "sam@example.test"
    referral.patient.save()
    booking = bookings.booking_session_book(
        referral=referral, by=coordinator, clinician=clinician, starts_at=slot(4), ends_at=slot(4, 12), place="Room 3"
    )
    assert send.deliver_due() == {NoticeStatus.SENT: 1}
    (mail,) = mails(smtp_inbox)
    assert mail["To"] == "sam@example.test" and "Room 3" in mail.get_body(("plain",)).get_content()
    assert invitation(mail)[1]["SUMMARY"] == "Treatment session at Harbor Ketamine Clinic"
    page = client_for(coordinator).get(f"/care/bookings/{booking.pk}/").content.decode()
    assert 'id="invitation-emailed"' in page and "sam@example.test" in page


def test_a_video_call_gives_no_street_address_and_says_the_link_will_come(
    acknowledged, coordinator, clinician, clinic, smtp_inbox
):
    bookings.booking_evaluation_book(
        referral=acknowledged, by=coordinator, clinician=clinician, starts_at=slot(3), ends_at=slot(3, 11),
        place="Video call",
    )  # fmt: skip
    assert send.deliver_due() == {NoticeStatus.SENT: 1}
    body = mails(smtp_inbox)[0].get_body(("plain",)).get_content()
    assert "Video call" in body and "the link to join the call" in body
    assert clinic.address.splitlines()[0] not in body
