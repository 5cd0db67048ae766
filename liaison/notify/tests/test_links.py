"""The patient's questionnaire link sent by email or text message through the durable path, with one reminder;
the link is short and its page names the practice."""

import datetime
import email
import re
from email.policy import default

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from liaison.care.links import questionnaire_link_send
from liaison.care.models import QuestionnaireLink
from liaison.care.tests.conftest import items_for
from liaison.notify import send
from liaison.notify.choices import Channel, NoticeKind, NoticeStatus
from liaison.notify.models import Notice
from liaison.referrals.models import ReferralEvent

SHORT = re.compile(r"http://127\.0\.0\.1:8000(/care/q/[A-Za-z0-9_-]{16}/)")


def send_page(referral):
    return reverse("care:link_send", args=[referral.pk])


def answers() -> dict:
    data = {f"phq9_{n}": v for n, v in enumerate(items_for(8, 9), start=1)}
    return data | {f"gad7_{n}": v for n, v in enumerate(items_for(5, 7), start=1)} | {"phq9_difficulty": 1}


def test_a_link_by_email_arrives_short_and_opens_a_page_that_names_the_practice(
    client_for, coordinator, treated, clinic, smtp_inbox
):
    client = client_for(coordinator)
    response = client.post(send_page(treated), {"channel": "email", "email": "pat@example.test"})
    assert response.status_code == 302 and response["Location"].endswith(f"/referrals/{treated.pk}/#care")
    link = QuestionnaireLink.objects.get(referral=treated)
    assert sorted(Notice.objects.values_list("kind", flat=True)) == [
        NoticeKind.QUESTIONNAIRE_LINK, NoticeKind.QUESTIONNAIRE_REMINDER,
    ]  # fmt: skip
    assert ReferralEvent.objects.filter(referral=treated, detail__care="link_sent").exists()

    assert send.deliver_due() == {NoticeStatus.SENT: 1}
    (raw,) = smtp_inbox.messages
    mail = email.message_from_bytes(raw, policy=default)
    assert mail["To"] == "pat@example.test" and mail["Subject"] == "Your questionnaire from Harbor Ketamine Clinic"
    path = SHORT.search(mail.get_content()).group(1)
    assert len(path) < 30
    assert Notice.objects.get(kind=NoticeKind.QUESTIONNAIRE_LINK).secret == ""  # wiped once sent
    page = client_for(None).get(path)
    assert page.status_code == 200 and "Harbor Ketamine Clinic" in page.content.decode()
    link.refresh_from_db()
    assert link.used_at is None


def test_a_link_by_text_message_and_its_one_reminder(coordinator, treated, clinic, texts, time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 1, 15, tzinfo=datetime.UTC), tick=False)
    questionnaire_link_send(referral=treated, by=coordinator, channel="sms", to="(917) 555-0187")
    send.deliver_due()
    (text,) = texts
    assert text.to == "+19175550187" and text.body.startswith("Harbor Ketamine Clinic: please answer")
    assert SHORT.search(text.body) and len(text.body) < 240
    reminder = Notice.objects.get(kind=NoticeKind.QUESTIONNAIRE_REMINDER)
    assert reminder.next_attempt_at == timezone.now() + datetime.timedelta(hours=24)

    time_machine.move_to(reminder.next_attempt_at + datetime.timedelta(minutes=1), tick=False)
    assert send.deliver_due() == {NoticeStatus.SENT: 1}
    assert send.deliver_due() == {}
    time_machine.move_to(timezone.now() + datetime.timedelta(hours=30), tick=False)
    assert send.deliver_due() == {}
    assert len(texts) == 2 and "a reminder" in texts[1].body
    assert SHORT.search(texts[0].body).group(1) == SHORT.search(texts[1].body).group(1)


def test_no_reminder_once_the_patient_has_answered(client_for, coordinator, treated, clinic, texts, time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 1, 15, tzinfo=datetime.UTC), tick=False)
    questionnaire_link_send(referral=treated, by=coordinator, channel="sms", to="+19175550187")
    send.deliver_due()
    path = SHORT.search(texts[0].body).group(1)
    assert client_for(None).post(path, answers()).status_code == 200
    time_machine.move_to(timezone.now() + datetime.timedelta(hours=25), tick=False)
    assert send.deliver_due() == {NoticeStatus.CANCELLED: 1}
    reminder = Notice.objects.get(kind=NoticeKind.QUESTIONNAIRE_REMINDER)
    assert reminder.secret == "" and "answered" in reminder.last_error and len(texts) == 1


def test_a_newer_link_replaces_the_older_ones_reminder(coordinator, treated):
    questionnaire_link_send(referral=treated, by=coordinator, channel="email", to="pat@example.test")
    questionnaire_link_send(referral=treated, by=coordinator, channel="email", to="pat@example.test")
    reminders = Notice.objects.filter(kind=NoticeKind.QUESTIONNAIRE_REMINDER).order_by("pk")
    assert [r.status for r in reminders] == [NoticeStatus.CANCELLED, NoticeStatus.QUEUED]


def test_the_token_is_kept_only_encrypted(coordinator, treated, texts):
    questionnaire_link_send(referral=treated, by=coordinator, channel="sms", to="+19175550187")
    notice = Notice.objects.get(kind=NoticeKind.QUESTIONNAIRE_LINK)
    send.deliver_due()
    token = SHORT.search(texts[0].body).group(1).split("/")[3]
    assert notice.secret and token not in notice.secret
    assert not Notice.objects.filter(secret__contains=token).exists()


@pytest.mark.parametrize(
    ("mobile", "words"),
    [
        ("12345", "cannot be used for a text message"),
        ("+44 20 7183 8750", "landline"),
        ("(212) 555-01", "wrong number of digits"),
    ],
)
def test_a_bad_phone_is_refused_clearly_and_nothing_is_written(client_for, coordinator, treated, mobile, words):
    response = client_for(coordinator).post(send_page(treated), {"channel": "sms", "mobile": mobile})
    assert response.status_code == 400 and words in response.content.decode()
    assert not QuestionnaireLink.objects.exists() and not Notice.objects.exists()
    assert not ReferralEvent.objects.filter(detail__care="link_sent").exists()


def test_a_missing_email_is_named(coordinator, treated):
    with pytest.raises(ValidationError) as exc:
        questionnaire_link_send(referral=treated, by=coordinator, channel="email", to="")
    assert exc.value.message_dict == {"to": ["Enter the patient's email address."]}


def test_with_no_text_service_set_up_a_text_is_refused(coordinator, treated, settings):
    settings.SMS_BACKEND = ""
    with pytest.raises(ValidationError) as exc:
        questionnaire_link_send(referral=treated, by=coordinator, channel=Channel.SMS, to="+19175550187")
    assert "No text message service" in exc.value.message_dict["channel"][0]
    assert not QuestionnaireLink.objects.exists() and not Notice.objects.exists()


# ---------------------------------------------------------------- the page, as every role


@pytest.mark.parametrize("who", ["coordinator", "clinician", "director"])
def test_the_clinical_team_sees_the_form_with_the_patients_contacts(client_for, treated, request, who):
    response = client_for(request.getfixturevalue(who)).get(send_page(treated))
    page = response.content.decode()
    assert response.status_code == 200 and "pat@example.test" in page and "(718) 555-0199" in page
    assert 'type="tel"' in page and "Text message" in page


@pytest.mark.parametrize("who", ["liaison", "admin", "alice", "bob"])
def test_everyone_else_is_refused(client_for, treated, request, who):
    client = client_for(request.getfixturevalue(who))
    assert client.get(send_page(treated)).status_code == 403
    assert client.post(send_page(treated), {"channel": "email", "email": "x@example.test"}).status_code == 403
    assert not QuestionnaireLink.objects.exists()


def test_signed_out_goes_to_sign_in(client_for, treated):
    response = client_for(None).get(send_page(treated))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_form_is_audited(client_for, coordinator, treated):
    from liaison.core.models import AuditEvent

    client_for(coordinator).get(send_page(treated))
    assert AuditEvent.objects.filter(actor=coordinator, action="view", patient_id=treated.patient_id).exists()


# ---------------------------------------------------------------- when the reminder goes


def book(referral, clinician, starts_at):
    from liaison.care.models import Booking

    return Booking.objects.create(
        referral=referral, kind="session", starts_at=starts_at, ends_at=starts_at + datetime.timedelta(hours=1),
        clinician=clinician, place="Room 2", booked_by=clinician,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("session_in", "reminder_in"),
    [(None, 24), (30, 6), (5, 1), (24 * 10, 24)],
    ids=["nothing-booked", "session-tomorrow", "session-today", "session-in-ten-days"],
)
def test_the_reminder_goes_a_day_before_the_session_when_that_is_sooner(
    coordinator, clinician, treated, time_machine, session_in, reminder_in
):
    now = datetime.datetime(2026, 12, 1, 15, tzinfo=datetime.UTC)
    time_machine.move_to(now, tick=False)
    if session_in is not None:
        book(treated, clinician, now + datetime.timedelta(hours=session_in))
    questionnaire_link_send(referral=treated, by=coordinator, channel="email", to="pat@example.test")
    reminder = Notice.objects.get(kind=NoticeKind.QUESTIONNAIRE_REMINDER)
    assert reminder.next_attempt_at == now + datetime.timedelta(hours=reminder_in)


def test_no_reminder_when_the_session_is_within_two_hours(coordinator, clinician, treated):
    book(treated, clinician, timezone.now() + datetime.timedelta(minutes=90))
    questionnaire_link_send(referral=treated, by=coordinator, channel="email", to="pat@example.test")
    assert list(Notice.objects.values_list("kind", flat=True)) == [NoticeKind.QUESTIONNAIRE_LINK]
