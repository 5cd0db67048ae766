"""Two workers share a backlog of follow-ups, and a coordinator acts on a referral while the worker follows it
up: each follow-up is done once, and no letter is owed twice. Each thread has its own database connection."""

import time

import pytest

from liaison.comms.models import DueCommunication
from liaison.comms.seed import seed_protocol
from liaison.core import events
from liaison.core.models import PendingReaction
from liaison.core.testing.threads import together
from liaison.crm.choices import FIRST_REFERRAL_KINDS
from liaison.crm.models import Task
from liaison.directory.tests.factories import ReferrerFactory
from liaison.referrals import services
from liaison.referrals.choices import Status
from liaison.referrals.tests.factories import ReferralDataFactory, receive_referral

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _worker_mode(settings):
    settings.INTAKE_FOLLOWUP = "worker"
    seed_protocol()  # the migration's rows are gone after an earlier test's flush


def drain():
    done = 0
    while ran := events.pending_run(limit=3)["done"]:
        done += ran
    return done


def test_two_workers_share_a_backlog_and_do_each_follow_up_once():
    referrers = [ReferrerFactory() for _ in range(4)]
    referrals = [receive_referral(referral=ReferralDataFactory(referrer=r)) for r in referrers for _ in range(3)]
    results = together(drain, drain)
    assert not [r for r in results if isinstance(r, Exception)], results
    reactions = sum(h.when == events.AFTER_COMMIT for h in events.handlers_for("referral.received"))
    assert sum(results) == reactions * len(referrals)  # each reaction once
    assert not PendingReaction.objects.exists()
    for referral in referrals:
        assert DueCommunication.objects.filter(referral=referral, key="ack").count() == 1
    assert Task.objects.filter(kind__in=FIRST_REFERRAL_KINDS).count() == 3 * len(referrers)  # once per referrer


def test_a_coordinators_step_during_the_follow_up_owes_each_letter_once(coordinator, monkeypatch):
    from liaison.comms import protocol

    real = protocol.expected

    def slow(*args, **kwargs):  # widen the window between reading the history and writing the letters
        time.sleep(0.2)
        return real(*args, **kwargs)

    monkeypatch.setattr(protocol, "expected", slow)
    for _ in range(3):
        referral = receive_referral(by=coordinator)
        results = together(
            lambda: events.pending_run(),
            lambda referral=referral: services.referral_transition(
                referral=referral, to=Status.ACKNOWLEDGED, by=coordinator, reason="Called the referrer."
            ),
        )
        assert not [r for r in results if isinstance(r, Exception)], results
        keys = list(DueCommunication.objects.filter(referral=referral).values_list("key", flat=True))
        assert len(keys) == len(set(keys)) and "ack" in keys, keys
