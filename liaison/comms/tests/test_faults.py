"""Fault tests with real processes: a worker killed by SIGKILL in the middle of a send, and the Celery
path on the machine's Redis. What the SMTP server received is counted."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from liaison.care.tests.factories import evaluation_slot
from liaison.comms import services, worker
from liaison.comms.models import DueCommunication, Letter, Outbox
from liaison.comms.seed import seed_protocol
from liaison.comms.tests.helpers import keys, referral_for, staff
from liaison.referrals.models import ReferralEvent

ROOT = Path(__file__).resolve().parents[3]
LEASE = 3


def database_url() -> str:
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{s['NAME']}"
    return (
        f"postgres://{s['USER']}:{s.get('PASSWORD') or ''}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    )


def child_env(inbox, **extra) -> dict:
    env = dict(os.environ, LIAISON_MODE="test", DJANGO_SETTINGS_MODULE="liaison.settings", DATABASE_URL=database_url())
    env.update(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(inbox.port), EMAIL_USE_TLS="false", EMAIL_TIMEOUT="20")
    env.update(extra)
    return env


def worker_process(inbox, *args) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "liaison", "run_worker", "--lease-seconds", str(LEASE), *args]
    return subprocess.Popen(cmd, cwd=ROOT, env=child_env(inbox), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603


def approved_letter():
    seed_protocol()
    coordinator, clinician = staff()
    referral = referral_for(coordinator=coordinator, clinician=clinician)
    letter = services.letter_draft(due=keys(referral)["ack"], by=coordinator)
    return services.letter_approve(letter=letter, by=coordinator), referral


def wait_for(condition, seconds=60.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.django_db(transaction=True)
def test_worker_killed_after_handing_over_the_message_sends_nothing_twice(clinic, smtp_inbox):
    outbox, referral = approved_letter()
    smtp_inbox.hold_data_seconds = 4  # the server has the whole message and takes its time to say yes
    proc = worker_process(smtp_inbox, "--loop", "--interval", "0.2")
    try:
        assert smtp_inbox.data_started.wait(60), "the worker never sent"
        assert Outbox.objects.get(pk=outbox.pk).phase == "commit"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        proc.kill()
    time.sleep(LEASE + 0.5)
    restart = worker_process(smtp_inbox)
    assert restart.wait(120) == 0
    row = Outbox.objects.get(pk=outbox.pk)
    assert row.status == "sent" and not row.confirmed
    assert len(smtp_inbox.messages) == 1
    assert ReferralEvent.objects.filter(referral=referral, detail__comms="delivered").count() == 1


@pytest.mark.django_db(transaction=True)
def test_worker_killed_before_handing_over_the_message_sends_it_once_later(clinic, smtp_inbox):
    outbox, referral = approved_letter()
    smtp_inbox.hold_rcpt_seconds = 30  # stuck on the envelope: nothing of the message has arrived
    proc = worker_process(smtp_inbox, "--loop", "--interval", "0.2")
    try:
        assert smtp_inbox.rcpt_started.wait(60), "the worker never connected"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        proc.kill()
    smtp_inbox.hold_rcpt_seconds = 0
    assert Outbox.objects.get(pk=outbox.pk).status == "sending"
    time.sleep(LEASE + 0.5)
    assert worker_process(smtp_inbox).wait(120) == 0
    row = Outbox.objects.get(pk=outbox.pk)
    assert row.status == "sent" and row.confirmed and row.attempts == 2
    assert len(smtp_inbox.messages) == 1


def redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not redis_up(), reason="needs Redis on 127.0.0.1:6379 (.ci/run starts it)")
@pytest.mark.django_db(transaction=True)
def test_celery_worker_on_redis_delivers_once(clinic, smtp_inbox, monkeypatch, settings):
    # Its own Redis database: two runs of the suite on one machine (SQLite and PostgreSQL) each name theirs.
    broker = f"redis://127.0.0.1:6379/{os.environ.get('LIAISON_TEST_REDIS_DB', '7')}"
    from liaison.celery import app

    monkeypatch.setenv("CELERY_BROKER_URL", broker)  # Celery reads it before its settings (the suite's is memory)
    monkeypatch.setattr(app.conf, "broker_url", broker)
    # A test before this one may have queued a task, which left connections to the suite's broker in the app's pools:
    # new pools here, so the letter's task goes to the worker's Redis.
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    settings.WORKER = "celery"
    app.connection_for_write().default_channel.client.flushdb()
    env = child_env(smtp_inbox, CELERY_BROKER_URL=broker, LIAISON_WORKER="celery")
    cmd = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "liaison.celery",
        "worker",
        "--pool=solo",
        "--concurrency=1",
        "-l",
        "warning",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    try:
        outbox, _ = approved_letter()  # on commit: tasks.wake(), so deliver_outbox.delay()
        from liaison.comms.tasks import drain_outbox

        assert wait_for(lambda: len(smtp_inbox.messages) == 1, 90), "Celery never delivered"
        drain_outbox.delay()
        drain_outbox.delay()
        assert wait_for(lambda: not app.connection_for_write().default_channel.client.llen("celery"), 30)
        time.sleep(1)
        assert len(smtp_inbox.messages) == 1 and Outbox.objects.get(pk=outbox.pk).status == "sent"
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.mark.django_db(transaction=True)
def test_run_worker_stops_cleanly_on_sigterm(clinic, smtp_inbox):
    seed_protocol()
    cmd = [sys.executable, "-m", "liaison", "run_worker", "--loop", "--interval", "0.2"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=child_env(smtp_inbox), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)  # noqa: S603
    try:
        assert b"running" in proc.stdout.readline()
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 0 and b"stopped" in out


# ---------------------------------------------------------------- one bad letter, a dead worker, a server away


def safety_letter(coordinator, clinician):
    """A referral in treatment whose session's PHQ-9 item 9 makes a safety alert owed; the alert, drafted."""
    from liaison.care.choices import Route, SessionKind
    from liaison.care.scoring import ScoreInput
    from liaison.care.services import SessionInput, session_record
    from liaison.referrals.services import referral_transition

    referral = referral_for(
        coordinator=coordinator, clinician=clinician, email=f"safety{Outbox.objects.count()}@x.test"
    )
    evaluation_slot(referral)  # "Evaluation scheduled" needs a booked slot (decision 0044)
    for step, by in (("eval_scheduled", coordinator), ("evaluated", clinician), ("accepted", clinician)):
        referral = referral_transition(referral=referral, to=step, by=by)
    data = SessionInput(kind=SessionKind.ACUTE, held_on=timezone.localdate(), route=Route.IV)
    session_record(referral=referral, by=clinician, data=data, phq9=ScoreInput(items=[2, 2, 2, 2, 2, 2, 2, 2, 1]))
    due = next(d for k, d in keys(referral).items() if k.startswith("alert:"))
    letter = services.letter_draft(due=due, by=clinician)
    body = "PHQ-9 item 9 was answered 1 today. Safety plan reviewed with the patient; please see them this week."
    return services.letter_edit(letter=letter, by=clinician, subject=letter.subject, body=body)


def force_signed(letter, clinician, *, at, **outbox) -> Outbox:
    """Sign a letter and queue it straight in the database, as a row written before today's checks would be."""
    Letter.objects.filter(pk=letter.pk).update(
        status="signed", signed_at=at, signed_by=clinician, signature="Dr Test, Clinician"
    )
    DueCommunication.objects.filter(pk=letter.due_id).update(status="approved")
    fields = {"channel": "email", "address": "doc@practice.example", "next_attempt_at": at, **outbox}
    return Outbox.objects.create(letter=letter, message_id=f"<letter-{letter.pk}.forced@test>", **fields)


def poisoned_batch(at):
    """Good letters (acknowledgments and safety alerts) and three that no retry can fix, queued first:
    a line break in the subject, a malformed address, and a letter whose PDF cannot be made."""
    seed_protocol()
    coordinator, clinician = staff()
    good, bad = [], {}
    for i in range(3):
        referral = referral_for(coordinator=coordinator, clinician=clinician, email=f"doc{i}@practice.example")
        good.append(services.letter_draft(due=keys(referral)["ack"], by=coordinator))
    alerts = [safety_letter(coordinator, clinician) for _ in range(3)]
    Letter.objects.filter(pk=alerts[0].pk).update(subject="Safety alert: Sam\nBcc: everyone@example.test")
    bad["subject"] = force_signed(alerts[0], clinician, at=at - timedelta(minutes=3))
    bad["address"] = force_signed(alerts[1], clinician, at=at - timedelta(minutes=2), address="doc@@practice")
    bad["pdf"] = services.letter_approve(letter=alerts[2], by=clinician, at=at - timedelta(minutes=1))
    good += [safety_letter(coordinator, clinician) for _ in range(2)]
    outboxes = [services.letter_approve(letter=letter, by=clinician, at=at) for letter in good]
    return outboxes, bad, coordinator


def test_a_poisoned_letter_fails_alone_and_every_good_letter_goes_once(clinic, smtp_inbox, client, monkeypatch):
    from liaison.comms import letters

    real_pdf = letters.render_pdf
    now = timezone.now()
    outboxes, bad, coordinator = poisoned_batch(now)

    def broken_pdf(letter):
        if letter.pk == bad["pdf"].letter_id:
            raise RuntimeError("the PDF renderer stopped")
        return real_pdf(letter)

    monkeypatch.setattr(letters, "render_pdf", broken_pdf)
    assert worker.run_once() == {"failed": 3, "sent": 5}
    assert worker.run_once() == {}
    assert sorted(smtp_inbox.message_ids()) == sorted(o.message_id for o in outboxes)  # each exactly once
    assert sum(o.letter.letter_type == "safety_alert" for o in outboxes) == 2
    problems = {}
    for name, row in bad.items():
        row.refresh_from_db()
        assert (row.status, row.attempts, row.lease_until) == ("failed", 0, None)  # no attempt was made
        problems[name] = DueCommunication.objects.get(pk=row.letter.due_id).problem
    assert "subject holds a control character (\\n)" in problems["subject"]
    assert "'doc@@practice' is not a valid email address" in problems["address"]
    assert "the PDF renderer stopped" in problems["pdf"]
    client.force_login(coordinator)
    page = client.get(reverse("comms:queue")).content.decode()
    for name, problem in problems.items():
        assert escape(problem) in page, name
    assert page.count(">Send again</button>") == 3


def test_a_fixed_address_is_used_when_a_person_sends_the_letter_again(clinic, smtp_inbox):
    seed_protocol()
    coordinator, clinician = staff()
    referral = referral_for(coordinator=coordinator, clinician=clinician, email="doc@practice.example")
    letter = services.letter_draft(due=keys(referral)["ack"], by=coordinator)
    row = force_signed(letter, clinician, at=timezone.now(), address="doc@@practice")
    assert worker.run_once() == {"failed": 1}
    services.outbox_retry(outbox=row, by=coordinator)
    assert DueCommunication.objects.get(pk=letter.due_id).problem == ""
    assert worker.run_once() == {"sent": 1}
    assert Outbox.objects.get(pk=row.pk).address == "doc@practice.example" and len(smtp_inbox.messages) == 1


def test_a_letter_signed_with_a_broken_subject_cannot_be_sent_again_and_says_why(clinic, smtp_inbox):
    seed_protocol()
    coordinator, clinician = staff()
    letter = services.letter_draft(due=keys(referral_for(coordinator=coordinator))["ack"], by=coordinator)
    Letter.objects.filter(pk=letter.pk).update(subject="Referral received: Sam\r\nQuinn")
    row = force_signed(letter, clinician, at=timezone.now())
    assert worker.run_once() == {"failed": 1}
    with pytest.raises(ValidationError, match="send its PDF by hand"):
        services.outbox_retry(outbox=row, by=coordinator)
    assert smtp_inbox.messages == []


@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_holds_one_letter_and_it_goes_within_a_minute_exactly_once(clinic, smtp_inbox):
    """A real `liaison run_worker` with the default lease, killed by SIGKILL in the middle of the envelope.
    The letters it had not started are delivered at once by another worker; the one it held, as soon as the
    lease runs out, well within a minute, and once."""
    seed_protocol()
    coordinator, clinician = staff()
    rows = []
    for i in range(3):
        referral = referral_for(coordinator=coordinator, clinician=clinician, email=f"doc{i}@practice.example")
        letter = services.letter_draft(due=keys(referral)["ack"], by=coordinator)
        rows.append(services.letter_approve(letter=letter, by=coordinator))
    smtp_inbox.hold_rcpt_seconds = 60
    cmd = [sys.executable, "-m", "liaison", "run_worker", "--loop", "--interval", "0.2"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=child_env(smtp_inbox), stdout=subprocess.DEVNULL)  # noqa: S603
    try:
        assert smtp_inbox.rcpt_started.wait(60), "the worker never connected"
        killed_at = timezone.now()
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        proc.kill()
    smtp_inbox.hold_rcpt_seconds = 0
    held = Outbox.objects.get(status="sending")
    assert held.lease_until <= killed_at + timedelta(seconds=services.LEASE_SECONDS)
    assert Outbox.objects.filter(status="queued").count() == 2  # claimed one at a time: the rest were never held
    assert worker.run_once(worker="second") == {"sent": 2}
    assert Outbox.objects.get(pk=held.pk).status == "sending"  # its lease still runs: nothing is sent twice
    with time_machine.travel(killed_at + timedelta(seconds=services.LEASE_SECONDS + 1), tick=False):
        assert services.outbox_resolve_stale() == 1
        assert Outbox.objects.get(pk=held.pk).last_error == services.WORKER_STOPPED
        assert worker.run_once(worker="second") == {"sent": 1}
    assert services.LEASE_SECONDS + 1 + worker_interval() < 60
    assert sorted(smtp_inbox.message_ids()) == sorted(r.message_id for r in rows)
    assert Outbox.objects.get(pk=held.pk).attempts == 2  # the killed conversation and the one that delivered


def worker_interval() -> float:
    """The default pause between a worker's passes (the run_worker --interval default)."""
    import inspect

    return inspect.signature(worker.loop).parameters["interval"].default


@pytest.mark.django_db(transaction=True)
def test_a_live_worker_keeps_its_lease_however_slow_the_server(clinic, smtp_inbox):
    outbox, _ = approved_letter()
    smtp_inbox.hold_rcpt_seconds = 3  # three times the lease
    result = {}
    thread = threading.Thread(target=lambda: result.update(worker.run_once(worker="slow", lease_seconds=1)))
    thread.start()
    try:
        assert smtp_inbox.rcpt_started.wait(30)
        for _ in range(10):  # another worker looks for stale leases all the while
            time.sleep(0.3)
            services.outbox_resolve_stale()
            row = Outbox.objects.get(pk=outbox.pk)
            assert row.status == "sent" or (row.status, row.leased_by) == ("sending", "slow")
    finally:
        thread.join(60)
    row = Outbox.objects.get(pk=outbox.pk)
    assert (row.status, row.confirmed, row.attempts) == ("sent", True, 1)  # never taken back, never unconfirmed
    assert result == {"sent": 1} and len(smtp_inbox.messages) == 1


SMTP_PORT = 18043  # a port of our own for the server that goes away and comes back


def test_smtp_down_then_back_delivers_once_counting_only_real_attempts(clinic, settings):
    from aiosmtpd.controller import Controller

    from liaison.comms.tests.conftest import Inbox

    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = (
        "127.0.0.1",
        SMTP_PORT,
        False,
        2,
    )
    outbox, _ = approved_letter()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert services.outbox_claim(worker="died-before-sending") == [outbox.pk]  # a worker that vanished
        clock.shift(timedelta(seconds=services.LEASE_SECONDS + 1))
        for attempt, wait in ((1, 30), (2, 60)):
            assert worker.run_once() == {"queued": 1}
            row = Outbox.objects.get(pk=outbox.pk)
            assert row.attempts == attempt and "could not be reached" in row.last_error
            clock.shift(timedelta(seconds=wait))
        inbox = Inbox()
        controller = Controller(inbox, hostname="127.0.0.1", port=SMTP_PORT)
        controller.start()
        try:
            assert worker.run_once() == {"sent": 1}
            assert worker.run_once() == {}
        finally:
            controller.stop()
    row = Outbox.objects.get(pk=outbox.pk)
    assert (row.status, row.attempts, row.confirmed) == ("sent", 3, True)
    assert len(inbox.messages) == 1


def test_a_name_stored_with_a_line_break_makes_a_one_line_draft_subject_that_goes(clinic, smtp_inbox):
    from liaison.referrals.models import Patient

    seed_protocol()
    coordinator, clinician = staff()
    referral = referral_for(coordinator=coordinator, clinician=clinician)
    Patient.objects.filter(pk=referral.patient_id).update(last_name="Quinn\r\nBcc: everyone@example.test")
    letter = services.letter_draft(due=keys(referral)["ack"], by=coordinator)
    assert "\n" not in letter.subject and "Quinn Bcc: everyone@example.test" in letter.subject
    with pytest.raises(ValidationError) as refused:
        services.letter_edit(letter=letter, by=coordinator, subject="Hello\nBcc: x@example.test", body=letter.body)
    assert list(refused.value.message_dict) == ["subject"]
    services.letter_approve(letter=letter, by=coordinator)
    assert worker.run_once() == {"sent": 1}
    assert len(smtp_inbox.messages) == 1


def test_a_lease_too_short_to_renew_is_refused(db):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="--lease-seconds: 0 is below 3"):
        call_command("run_worker", "--lease-seconds", "0")
