"""A new referral's follow-up run by the worker (LIAISON_INTAKE_FOLLOWUP=worker, the production default): the
after-commit reactions to `referral.received` (core.events) are owed in the intake transaction, done once by
the worker, kept when they fail, never lost. Three reactions per referral: the CRM's relationship and health,
comms' letters owed."""

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.utils import timezone

from liaison.comms import worker
from liaison.comms.choices import DueStatus
from liaison.comms.models import DueCommunication
from liaison.core import events
from liaison.core.models import PendingReaction
from liaison.crm import handlers as crm_handlers
from liaison.crm.choices import FIRST_REFERRAL_KINDS, Stage
from liaison.crm.models import Health, Relationship, Task
from liaison.directory.tests.factories import ReferrerFactory
from liaison.referrals.models import Referral
from liaison.referrals.tests.factories import ReferralDataFactory, receive_referral

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _worker_mode(settings):
    settings.INTAKE_FOLLOWUP = "worker"


def _reactions() -> int:
    """How many after-commit reactions a referral owes (the registry's, whatever apps add)."""
    return sum(h.when == events.AFTER_COMMIT for h in events.handlers_for("referral.received"))


def _first_referral(referrer=None):
    referrer = referrer or ReferrerFactory()
    return receive_referral(referral=ReferralDataFactory(referrer=referrer))


def test_intake_owes_the_follow_up_and_wakes_the_worker_after_commit(django_capture_on_commit_callbacks):
    with mock.patch.object(worker, "wake") as wake, django_capture_on_commit_callbacks(execute=True):
        referral = _first_referral()
    wake.assert_called_once_with()
    owed = PendingReaction.objects.filter(referral_id=referral.pk, kind="referral.received")
    assert list(owed.values_list("handler", flat=True)) == [events.EVERY]  # one row; the worker runs every handler
    assert not DueCommunication.objects.filter(referral=referral).exists()  # not yet: the worker's job
    assert not Task.objects.filter(kind__in=FIRST_REFERRAL_KINDS).exists()


def test_celery_mode_queues_the_task(settings, django_capture_on_commit_callbacks):
    from liaison.comms import tasks

    settings.WORKER = "celery"
    with mock.patch.object(tasks.deliver_outbox, "delay") as delay, django_capture_on_commit_callbacks(execute=True):
        _first_referral()
    delay.assert_called_once_with()


def test_a_rolled_back_intake_owes_nothing(django_capture_on_commit_callbacks):
    from django.db import transaction

    with (
        mock.patch.object(worker, "wake") as wake,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _first_referral()
        raise RuntimeError("the request failed after intake")
    assert callbacks == [] and not wake.called
    assert not PendingReaction.objects.exists() and not Referral.objects.exists()


def test_the_worker_does_the_follow_up_once():
    referrer = ReferrerFactory()
    referral = _first_referral(referrer)
    assert worker.run_once() == {}  # nothing to deliver; the follow-up ran first
    assert not PendingReaction.objects.exists()
    ack = DueCommunication.objects.get(referral=referral, key="ack")
    assert ack.status == DueStatus.OWED
    relationship = Relationship.objects.get(referrer=referrer)
    assert relationship.stage == Stage.FIRST_REFERRAL and relationship.first_referral_at == referral.received_at
    assert Task.objects.filter(relationship=relationship, kind__in=FIRST_REFERRAL_KINDS).count() == 3
    assert Health.objects.get(referrer=referrer).total_referrals == 1
    letters = sorted(DueCommunication.objects.filter(referral=referral).values_list("key", flat=True))
    assert letters == ["ack", "first"]

    # again, as after a crash mid-batch: every reaction is safe to run twice
    again = events.Event("referral.received", referral.pk, payload={"at": referral.received_at.isoformat()})
    for handler in events.handlers_for("referral.received"):
        handler.func([again]) if handler.batch else handler.func(again)
    assert DueCommunication.objects.filter(referral=referral).count() == 2
    assert Task.objects.filter(relationship=relationship, kind__in=FIRST_REFERRAL_KINDS).count() == 3


def test_one_batch_refreshes_each_referrer_once():
    referrer = ReferrerFactory()
    for _ in range(3):
        _first_referral(referrer)
    with mock.patch.object(
        crm_handlers, "health_refresh_referrers", wraps=crm_handlers.health_refresh_referrers
    ) as refresh:
        assert events.pending_run() == {"done": 3 * _reactions(), "failed": 0}
    refresh.assert_called_once()
    assert Health.objects.get(referrer=referrer).total_referrals == 3
    assert Task.objects.filter(kind__in=FIRST_REFERRAL_KINDS).count() == 3  # the protocol ran once


def test_a_failing_follow_up_stays_owed_with_its_error_and_the_rest_go_on():
    from liaison.comms import handlers as comms_handlers

    bad, good = _first_referral(), _first_referral()
    real = comms_handlers.communications_recompute

    def recompute(*, referral, **kwargs):
        if referral.pk == bad.pk:
            raise ValueError("the protocol table is broken")
        return real(referral=referral, **kwargs)

    with mock.patch.object(comms_handlers, "communications_recompute", side_effect=recompute):
        assert events.pending_run() == {"done": 2 * _reactions() - 1, "failed": 1}
    row = PendingReaction.objects.get()
    assert (row.referral_id, row.handler) == (bad.pk, "comms.letters_owed")
    assert row.attempts == 1 and "protocol table is broken" in row.last_error
    assert DueCommunication.objects.filter(referral=good).exists()
    assert not DueCommunication.objects.filter(referral=bad).exists()
    assert Task.objects.filter(referral=bad).exists()  # the CRM's reactions to the same referral went on
    assert events.pending_stuck() == 1  # the work queue warns

    assert events.pending_run() == {"done": 0, "failed": 0}  # not before its retry time
    with time_machine.travel(row.run_after + timedelta(seconds=1)):
        assert events.pending_run() == {"done": 1, "failed": 0}  # mended: the retry does it
    assert not PendingReaction.objects.exists() and DueCommunication.objects.filter(referral=bad).exists()


def test_retries_wait_longer_each_time_up_to_six_hours():
    minutes = [events.retry_delay(n) / timedelta(minutes=1) for n in (1, 2, 3, 10, 30)]
    assert minutes == [1, 2, 4, 360, 360]


def test_a_follow_up_the_worker_has_not_reached_in_ten_minutes_is_stuck():
    _first_referral()
    assert events.pending_stuck() == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert events.pending_stuck() == 1  # one referral (its three reactions)


def test_a_self_referral_is_followed_up_without_a_referrer():
    from liaison.referrals.choices import IntakeChannel

    receive_referral(referral={"reason": "I would like an assessment."}, channel=IntakeChannel.SELF)
    assert events.pending_run() == {"done": _reactions(), "failed": 0}
    assert not PendingReaction.objects.exists()
    assert not DueCommunication.objects.exists()  # no referrer is owed a letter
    assert not Relationship.objects.exists() and not Health.objects.exists()


def test_a_broker_that_is_down_does_not_fail_the_intake(settings, django_capture_on_commit_callbacks):
    from liaison.comms import tasks

    settings.WORKER = "celery"
    failing = mock.patch.object(tasks.deliver_outbox, "delay", side_effect=ConnectionError("broker down"))
    with failing, django_capture_on_commit_callbacks(execute=True):
        referral = _first_referral()  # no exception: the wake-up is logged and the drain runs it
    assert PendingReaction.objects.filter(referral_id=referral.pk).count() == 1


def test_letters_are_delivered_even_when_the_follow_ups_fail(monkeypatch):
    from liaison.comms import services as comms_services

    monkeypatch.setattr(events, "pending_run", mock.Mock(side_effect=RuntimeError("database hiccup")))
    claimed = mock.Mock(return_value=[])
    monkeypatch.setattr(comms_services, "outbox_claim", claimed)
    assert worker.run_once() == {}
    claimed.assert_called_once()


def test_one_pass_runs_a_bounded_number_of_batches(monkeypatch):
    calls = mock.Mock(return_value={"done": 2, "failed": 0})
    monkeypatch.setattr(events, "pending_run", calls)
    assert events.pending_run_all(batch=2, batches=3) == 6
    assert calls.call_count == 3


def test_the_work_queue_warns_of_stuck_follow_ups(client_for, coordinator):
    from django.urls import reverse

    _first_referral()
    assert "still without" not in client_for(coordinator).get(reverse("comms:queue")).content.decode()
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        page = client_for(coordinator).get(reverse("comms:queue")).content.decode()
    assert "1 new referral still without its letters owed" in page


def test_the_celery_task_runs_what_is_owed():
    from liaison.comms.tasks import deliver_outbox

    referral = _first_referral()
    assert deliver_outbox.apply().get() == {}  # run here, as a Celery worker would: nothing to deliver yet
    assert not PendingReaction.objects.exists()
    assert DueCommunication.objects.filter(referral=referral, key="ack").exists()


def test_the_referral_page_says_the_letters_owed_are_being_worked_out(client_for, coordinator):
    from django.urls import reverse

    referral = _first_referral()
    card = client_for(coordinator).get(reverse("comms:owed", args=[referral.pk]), HTTP_HX_REQUEST="true")
    assert "working out what the referrer is owed" in card.content.decode()
    assert 'hx-trigger="load delay:3s"' in card.content.decode()  # it asks again by itself
    worker.run_once()
    card = client_for(coordinator).get(reverse("comms:owed", args=[referral.pk]), HTTP_HX_REQUEST="true")
    assert "working out" not in card.content.decode() and "Acknowledgment" in card.content.decode()
