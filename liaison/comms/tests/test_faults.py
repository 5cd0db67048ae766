"""Fault tests with real processes: a worker killed by SIGKILL in the middle of a send, and the Celery
path on the machine's Redis. What the SMTP server received is counted."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from liaison.comms import services
from liaison.comms.models import Outbox
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
    broker = "redis://127.0.0.1:6379/7"
    from liaison.celery import app

    monkeypatch.setattr(app.conf, "broker_url", broker)
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
        outbox, _ = approved_letter()  # on commit: deliver_outbox.delay(outbox id)
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
