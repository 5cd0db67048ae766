"""comms' reaction to referral events (liaison.comms.handlers), on its own and run twice."""

import pytest

from liaison.comms import handlers
from liaison.comms.models import DueCommunication
from liaison.core import events
from liaison.referrals.tests.factories import ReferralDataFactory, receive_referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def referral(settings, protocol):
    settings.INTAKE_FOLLOWUP = "worker"  # intake leaves the letters owed to the reaction under test
    return receive_referral(referral=ReferralDataFactory())


def owed(referral) -> list[tuple[str, str]]:
    return sorted(DueCommunication.objects.filter(referral=referral).values_list("key", "status"))


def test_letters_owed_run_twice_owes_each_letter_once(referral):
    assert owed(referral) == []
    event = events.Event("referral.received", referral.pk, payload={"at": referral.received_at.isoformat()})
    handlers.letters_owed(event)
    first = owed(referral)
    assert ("ack", "owed") in first
    handlers.letters_owed(event)
    assert owed(referral) == first


def test_letters_owed_in_a_worker_batch_reads_the_protocol_once(referral):
    shared = {"referral_ids": {referral.pk}}
    event = events.Event("referral.received", referral.pk, shared=shared)
    handlers.letters_owed(event)
    snapshot = shared["comms.snapshot"]
    handlers.letters_owed(events.Event("referral.received", referral.pk, shared=shared))
    assert shared["comms.snapshot"] is snapshot and ("ack", "owed") in owed(referral)


def test_letters_owed_for_a_referral_since_deleted_does_nothing():
    handlers.letters_owed(events.Event("referral.received", 987654))
    handlers.letters_owed(events.Event("referral.received", 987654))
    assert not DueCommunication.objects.exists()
