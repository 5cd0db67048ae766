"""A new referral's follow-up run by the worker (LIAISON_INTAKE_FOLLOWUP=worker, the production default):
owed in the intake transaction, done once by the worker, kept when it fails, never lost."""

from unittest import mock

import pytest

from liaison.comms import worker
from liaison.comms.choices import DueStatus
from liaison.comms.models import DueCommunication
from liaison.crm.choices import FIRST_REFERRAL_KINDS, Stage
from liaison.crm.models import Health, Relationship, Task
from liaison.directory.tests.factories import ReferrerFactory
from liaison.referrals import followup
from liaison.referrals.models import IntakeFollowUp, Referral
from liaison.referrals.tests.factories import ReferralDataFactory, receive_referral

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _worker_mode(settings):
    settings.INTAKE_FOLLOWUP = "worker"


def _first_referral(referrer=None):
    referrer = referrer or ReferrerFactory()
    return receive_referral(referral=ReferralDataFactory(referrer=referrer))


def test_intake_owes_the_follow_up_and_wakes_the_worker_after_commit(django_capture_on_commit_callbacks):
    with mock.patch.object(worker, "wake") as wake, django_capture_on_commit_callbacks(execute=True):
        referral = _first_referral()
    wake.assert_called_once_with()
    assert IntakeFollowUp.objects.filter(referral=referral).exists()
    assert not DueCommunication.objects.filter(referral=referral).exists()  # not yet: the worker's job
    assert not Task.objects.filter(kind__in=FIRST_REFERRAL_KINDS).exists()


def test_celery_mode_queues_the_task(monkeypatch, django_capture_on_commit_callbacks):
    from liaison.referrals import tasks

    monkeypatch.setenv("LIAISON_WORKER", "celery")
    with mock.patch.object(tasks.run_followups, "delay") as delay, django_capture_on_commit_callbacks(execute=True):
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
    assert not IntakeFollowUp.objects.exists() and not Referral.objects.exists()


def test_the_worker_does_the_follow_up_once():
    referrer = ReferrerFactory()
    referral = _first_referral(referrer)
    assert worker.run_once() == {}  # nothing to deliver; the follow-up ran first
    assert not IntakeFollowUp.objects.exists()
    ack = DueCommunication.objects.get(referral=referral, key="ack")
    assert ack.status == DueStatus.OWED
    relationship = Relationship.objects.get(referrer=referrer)
    assert relationship.stage == Stage.FIRST_REFERRAL and relationship.first_referral_at == referral.received_at
    assert Task.objects.filter(relationship=relationship, kind__in=FIRST_REFERRAL_KINDS).count() == 3
    assert Health.objects.get(referrer=referrer).total_referrals == 1
    letters = sorted(DueCommunication.objects.filter(referral=referral).values_list("key", flat=True))
    assert letters == ["ack", "first"]

    followup.followup_apply(Referral.objects.get(pk=referral.pk))  # again, as after a crash mid-batch
    assert DueCommunication.objects.filter(referral=referral).count() == 2
    assert Task.objects.filter(relationship=relationship, kind__in=FIRST_REFERRAL_KINDS).count() == 3


def test_one_batch_refreshes_each_referrer_once():
    referrer = ReferrerFactory()
    for _ in range(3):
        _first_referral(referrer)
    with mock.patch("liaison.referrals.followup.health_refresh_one", wraps=followup.health_refresh_one) as refresh:
        assert followup.followup_run() == {"done": 3, "failed": 0}
    refresh.assert_called_once()
    assert Health.objects.get(referrer=referrer).total_referrals == 3
    assert Task.objects.filter(kind__in=FIRST_REFERRAL_KINDS).count() == 3  # the protocol ran once


def test_a_failing_follow_up_stays_owed_with_its_error_and_the_rest_go_on():
    bad, good = _first_referral(), _first_referral()
    real = followup.followup_apply

    def apply(referral, **kwargs):
        if referral.pk == bad.pk:
            raise ValueError("the protocol table is broken")
        return real(referral, **kwargs)

    with mock.patch.object(followup, "followup_apply", side_effect=apply):
        assert followup.followup_run() == {"done": 1, "failed": 1}
    row = IntakeFollowUp.objects.get()
    assert row.referral_id == bad.pk and row.attempts == 1 and "protocol table is broken" in row.last_error
    assert DueCommunication.objects.filter(referral=good).exists()
    assert not DueCommunication.objects.filter(referral=bad).exists()

    assert followup.followup_run() == {"done": 1, "failed": 0}  # mended: the next pass does it
    assert not IntakeFollowUp.objects.exists() and DueCommunication.objects.filter(referral=bad).exists()


def test_a_follow_up_that_keeps_failing_waits_for_the_operator():
    referral = _first_referral()
    IntakeFollowUp.objects.filter(referral=referral).update(attempts=followup.MAX_ATTEMPTS)
    assert followup.followup_run() == {"done": 0, "failed": 0}
    assert IntakeFollowUp.objects.filter(referral=referral).exists()
