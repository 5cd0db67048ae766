"""The CRM's reactions to a new referral (liaison.crm.handlers), each on its own and run twice."""

import pytest

from liaison.core import events
from liaison.crm import handlers
from liaison.crm.choices import FIRST_REFERRAL_KINDS, Stage
from liaison.crm.models import Health, Relationship, Task
from liaison.directory.tests.factories import ReferrerFactory
from liaison.referrals.tests.factories import ReferralDataFactory, receive_referral

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _worker_mode(settings):
    settings.INTAKE_FOLLOWUP = "worker"  # intake leaves the reactions under test undone


def received(referral) -> events.Event:
    return events.Event("referral.received", referral.pk, payload={"at": referral.received_at.isoformat()})


def test_relationship_run_twice_starts_the_first_referral_protocol_once():
    referrer = ReferrerFactory()
    referral = receive_referral(referral=ReferralDataFactory(referrer=referrer))
    handlers.relationship(received(referral))
    handlers.relationship(received(referral))
    relationship = Relationship.objects.get(referrer=referrer)
    assert relationship.stage == Stage.FIRST_REFERRAL and relationship.first_referral_at == referral.received_at
    assert Task.objects.filter(relationship=relationship, kind__in=FIRST_REFERRAL_KINDS).count() == 3


def test_health_run_twice_refreshes_each_referrer_once_a_run():
    from unittest import mock

    referrer = ReferrerFactory()
    batch = [received(receive_referral(referral=ReferralDataFactory(referrer=referrer))) for _ in range(3)]
    with mock.patch.object(handlers, "health_refresh_one", wraps=handlers.health_refresh_one) as refresh:
        handlers.health(batch)
        handlers.health(batch)
    assert refresh.call_count == 2  # once per run, not once per referral
    assert Health.objects.get(referrer=referrer).total_referrals == 3


def test_health_of_a_self_referral_touches_no_referrer():
    from liaison.referrals.choices import IntakeChannel

    referral = receive_referral(referral={"reason": "An assessment, please."}, channel=IntakeChannel.SELF)
    handlers.health([received(referral)])
    handlers.relationship(received(referral))
    assert not Health.objects.exists() and not Relationship.objects.exists()
