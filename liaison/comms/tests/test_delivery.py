"""Delivery through the outbox against a real SMTP server on 127.0.0.1: exactly one message per letter,
retries with backoff while the server is away, and a visible reason when a letter cannot go."""

import email
import threading
from datetime import timedelta

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from liaison.accounts.tests.factories import ReferrerUserFactory
from liaison.comms import queue, services, worker
from liaison.comms.models import CommsSettings, DueCommunication, Outbox
from liaison.comms.tests.conftest import Inbox, free_port
from liaison.comms.tests.helpers import keys, referral_for, staff
from liaison.referrals.models import ReferralEvent


def approved_ack(**kwargs):
    coordinator, clinician = staff()
    referral = referral_for(coordinator=coordinator, clinician=clinician, **kwargs)
    letter = services.letter_draft(due=keys(referral)["ack"], by=coordinator)
    return services.letter_approve(letter=letter, by=coordinator), referral, coordinator


def test_one_acknowledgment_reaches_the_inbox_and_the_timeline(protocol, clinic, smtp_inbox):
    outbox, referral, _ = approved_ack()
    assert worker.run_once() == {"sent": 1}
    assert worker.run_once() == {}
    assert len(smtp_inbox.messages) == 1
    message = email.message_from_bytes(smtp_inbox.messages[0])
    assert message["Message-ID"] == outbox.message_id and message["To"] == "doc@practice.example"
    kinds = sorted(part.get_content_type() for part in message.walk() if not part.is_multipart())
    assert kinds == ["application/pdf", "text/html", "text/plain"]
    note = ReferralEvent.objects.filter(referral=referral, detail__comms="delivered").get()
    assert "Acknowledgment delivered by secure email to doc@practice.example" in note.reason
    due = DueCommunication.objects.get(pk=outbox.letter.due_id)
    assert due.status == "delivered" and due.delivered_at is not None


def test_smtp_down_then_back_delivers_once_with_backoff(protocol, clinic):
    port = free_port()
    with override_settings(EMAIL_HOST="127.0.0.1", EMAIL_PORT=port, EMAIL_TIMEOUT=2):
        outbox, _, _ = approved_ack()
        with time_machine.travel(timezone.now(), tick=False) as clock:
            for attempt, wait in ((1, 30), (2, 60), (3, 120)):
                assert worker.run_once() == {"queued": 1}
                row = Outbox.objects.get(pk=outbox.pk)
                assert row.attempts == attempt and row.next_attempt_at == timezone.now() + timedelta(seconds=wait)
                assert "could not be reached" in DueCommunication.objects.get(pk=row.letter.due_id).problem
                assert worker.run_once() == {}  # not before its time
                clock.shift(timedelta(seconds=wait))
            inbox = Inbox()
            controller = Controller(inbox, hostname="127.0.0.1", port=port)
            controller.start()
            try:
                assert worker.run_once() == {"sent": 1}
                assert worker.run_once() == {}
            finally:
                controller.stop()
    assert len(inbox.messages) == 1
    assert DueCommunication.objects.get(pk=outbox.letter.due_id).problem == ""


def test_a_refusal_is_a_failure_a_person_sees_and_can_resend(protocol, clinic, smtp_inbox):
    smtp_inbox.refuse_with = "554 Transaction failed: policy"
    outbox, referral, coordinator = approved_ack()
    assert worker.run_once() == {"failed": 1}
    work = queue.work_queue(user=coordinator)
    assert any("554" in row["problem"] for group in work.problems for row in group.rows)
    assert work.problems[0].failed == 1 and work.counts["problems"] == 1
    smtp_inbox.refuse_with = None
    services.outbox_retry(outbox=Outbox.objects.get(pk=outbox.pk), by=coordinator)
    assert worker.run_once() == {"sent": 1}
    assert len(smtp_inbox.messages) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_letter_once(clinic, smtp_inbox):
    from liaison.comms.seed import seed_protocol

    seed_protocol()
    ids = [approved_ack(email=f"doc{i}@practice.example")[0].message_id for i in range(6)]
    barrier = threading.Barrier(3)
    results = []

    def run(name):
        from django.db import connection

        barrier.wait()
        results.append(worker.run_once(worker=name))
        connection.close()

    threads = [threading.Thread(target=run, args=(f"w{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.get("sent", 0) for r in results) == 6
    assert sorted(smtp_inbox.message_ids()) == sorted(ids)


def test_no_usable_channel_is_on_the_work_queue(protocol, clinic):
    coordinator, clinician = staff()
    referral = referral_for(channel="fax", email="", fax="+17185550142", coordinator=coordinator, clinician=clinician)
    due = keys(referral)["ack"]
    assert due.problem.startswith("No usable channel") and "no fax gateway" in due.problem
    (group,) = queue.work_queue(user=coordinator).problems  # the acknowledgment and the thanks: one referrer, one fix
    assert due.pk in [row["id"] for row in group.rows] and len(group.rows) == 2
    assert group.referrer_id == referral.referrer_id
    letter = services.letter_draft(due=due, by=coordinator)
    with pytest.raises(Exception, match="No usable channel"):
        services.letter_approve(letter=letter, by=coordinator)
    assert Outbox.objects.count() == 0


def test_fax_goes_through_the_practice_gateway(protocol, clinic, smtp_inbox):
    CommsSettings.objects.create(fax_gateway_domain="fax.gateway.example")
    outbox, _, _ = approved_ack(channel="fax", email="", fax="+17185550142")
    assert outbox.channel == "fax" and outbox.address == "17185550142@fax.gateway.example"
    worker.run_once()
    assert len(smtp_inbox.messages) == 1


def test_portal_delivery_needs_no_server_and_the_referrer_sees_the_letter(protocol, clinic, client):
    coordinator, clinician = staff()
    referral = referral_for(channel="portal", email="", coordinator=coordinator, clinician=clinician)
    account = ReferrerUserFactory(referrer=referral.referrer)
    letter = services.letter_draft(due=keys(referral)["ack"], by=coordinator)
    client.force_login(account)
    preview = reverse("comms:letter_preview", args=[letter.pk])
    assert client.get(preview).status_code == 404  # a draft is not theirs to see
    assert client.get(f"/comms/letters/{letter.pk}/").status_code == 403  # the staff page never is
    services.letter_approve(letter=letter, by=coordinator)
    assert worker.run_once() == {"sent": 1}
    page = client.get(preview)
    assert page.status_code == 200 and b"Sign and send" not in page.content
    assert client.get(f"/comms/letters/{letter.pk}/pdf/")["Content-Type"] == "application/pdf"
