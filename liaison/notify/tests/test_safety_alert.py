"""The issue's "Done when": a clinician gets an email the moment an item-9 alert is raised. Alert raised → notice
row in the same transaction → the worker sends it → the mail arrives at a real SMTP server on 127.0.0.1; no
patient detail in it; sent once however often the worker runs; sent whatever the clinician's choices."""

import email
from email.policy import default

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from liaison.care import services
from liaison.care.models import SafetyAlert
from liaison.care.tests.conftest import phq9
from liaison.comms import worker
from liaison.notify import send
from liaison.notify.choices import NoticeKind, NoticeStatus
from liaison.notify.models import Notice, Preference


def record_item9(referral, by, item9=2):
    return services.assessment_record(
        referral=referral, by=by, instrument="phq9", score=phq9(14, item9=item9), taken_on=timezone.localdate()
    )


def mails(inbox):
    return [email.message_from_bytes(m, policy=default) for m in inbox.messages]


def test_an_item9_alert_emails_the_treating_clinician_at_once(treated, clinician, coordinator, smtp_inbox, clinic):
    record_item9(treated, coordinator)
    alert = SafetyAlert.objects.get(referral=treated)
    notice = Notice.objects.get()
    assert (notice.kind, notice.key, notice.recipient, notice.status) == (
        NoticeKind.SAFETY_ALERT, f"alert:{alert.pk}", clinician, NoticeStatus.QUEUED,
    )  # fmt: skip

    assert send.deliver_due() == {NoticeStatus.SENT: 1}

    (mail,) = mails(smtp_inbox)
    assert mail["To"] == clinician.email and mail["Subject"] == "Liaison: a safety alert needs you"
    body = mail.get_content()
    assert f"{settings.SITE_URL}/referrals/{treated.pk}/#care" in body
    patient = treated.patient
    for detail in (patient.first_name, patient.last_name, f"{patient.date_of_birth:%Y}", patient.email, "PHQ"):
        assert detail not in body and detail not in mail["Subject"]
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.SENT and notice.sent_at and notice.attempts == 1


def test_it_is_sent_once_however_often_the_worker_runs(treated, coordinator, smtp_inbox):
    record_item9(treated, coordinator)
    send.deliver_due()
    assert send.deliver_due() == {} and send.deliver_due() == {}
    assert len(smtp_inbox.messages) == 1


def test_it_goes_even_to_a_clinician_who_switched_everything_off(treated, clinician, coordinator, smtp_inbox):
    Preference.objects.create(
        user=clinician, urgent_referral=False, referrer_message=False, letter_due_soon=False, digest=False
    )
    record_item9(treated, coordinator)
    send.deliver_due()
    assert len(smtp_inbox.messages) == 1


def test_with_no_clinician_assigned_every_clinician_is_told(treated, clinician, coordinator, smtp_inbox):
    from liaison.accounts.tests.factories import ClinicianFactory

    other = ClinicianFactory(username="cleo")
    treated.assigned_clinician = None
    treated.save()
    record_item9(treated, coordinator)
    assert set(Notice.objects.values_list("recipient__username", flat=True)) == {clinician.username, other.username}


def test_the_notice_is_written_in_the_alerts_transaction(treated, coordinator):
    class Undone(Exception):
        pass

    with pytest.raises(Undone), transaction.atomic():
        record_item9(treated, coordinator)
        assert Notice.objects.filter(kind=NoticeKind.SAFETY_ALERT).count() == 1  # before anything commits
        raise Undone
    assert not SafetyAlert.objects.exists() and not Notice.objects.exists()


def test_a_mail_server_away_is_tried_again_and_then_sent_once(treated, coordinator, smtp_inbox, time_machine):
    import datetime

    record_item9(treated, coordinator)
    smtp_inbox.refuse_with = "451 Try again later"
    assert send.deliver_due() == {NoticeStatus.QUEUED: 1}
    notice = Notice.objects.get()
    assert "451" in notice.last_error and notice.next_attempt_at > timezone.now()
    smtp_inbox.refuse_with = None
    assert send.deliver_due() == {}  # not yet: it waits for its next try
    time_machine.move_to(timezone.now() + datetime.timedelta(minutes=2))
    assert send.deliver_due() == {NoticeStatus.SENT: 1}
    assert len(smtp_inbox.messages) == 1


def test_a_worker_that_died_after_the_hand_over_never_sends_again(treated, coordinator, smtp_inbox):
    import datetime

    record_item9(treated, coordinator)
    claimed = send.notice_claim(worker="dead")
    Notice.objects.filter(pk=claimed).update(phase="commit", lease_until=timezone.now() - datetime.timedelta(seconds=1))
    assert send.deliver_due() == {}
    notice = Notice.objects.get()
    assert notice.status == NoticeStatus.SENT and notice.confirmed is False and not smtp_inbox.messages


def test_the_built_in_worker_sends_notices_on_every_pass_and_is_woken_by_one(
    treated, coordinator, django_capture_on_commit_callbacks
):
    every, job = worker._periodic["notify.deliver"]
    assert every == 0 and job is send.deliver_due
    worker._wake.clear()
    with django_capture_on_commit_callbacks(execute=True):
        record_item9(treated, coordinator)
    assert worker._wake.is_set()


def test_celery_beat_runs_the_same_jobs():
    from liaison.celery import app
    from liaison.notify import tasks

    schedule = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {"notify.deliver", "notify.letters_due_soon", "notify.digests"} <= schedule
    assert tasks.deliver.name == "notify.deliver" and tasks.digests.name == "notify.digests"
