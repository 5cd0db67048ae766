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


def test_health_run_twice_refreshes_each_referrer_once_and_counts_nothing_twice(monkeypatch):
    from unittest import mock

    monkeypatch.setattr(handlers, "BUSY", 1)

    referrer = ReferrerFactory()
    batch = [received(receive_referral(referral=ReferralDataFactory(referrer=referrer))) for _ in range(3)]
    with mock.patch.object(handlers, "health_refresh_referrers", wraps=handlers.health_refresh_referrers) as refresh:
        handlers.health(batch)
        handlers.health(batch)
    assert refresh.call_count == 1  # once for the batch; the second run finds the row fresh and counts nothing new
    assert Health.objects.get(referrer=referrer).total_referrals == 3


def test_a_referrer_with_a_short_history_is_refreshed_in_full_on_every_referral():
    referrer = ReferrerFactory()
    for n in (1, 2):
        handlers.health([received(receive_referral(referral=ReferralDataFactory(referrer=referrer)))])
        assert Health.objects.get(referrer=referrer).total_referrals == n
    assert Relationship.objects.get(referrer=referrer).stage == Stage.ACTIVE  # the second referral moved it on


def test_a_busy_referrers_health_is_counted_on_and_refreshed_after_fresh(monkeypatch):
    from datetime import timedelta
    from unittest import mock

    import time_machine
    from django.utils import timezone

    monkeypatch.setattr(handlers, "BUSY", 1)  # busy from the first referral, so that a test need not make a hundred
    busy, quiet = ReferrerFactory(), ReferrerFactory()
    handlers.health([received(receive_referral(referral=ReferralDataFactory(referrer=busy)))])
    refreshed_at = Health.objects.get(referrer=busy).computed_at
    batch = [received(receive_referral(referral=ReferralDataFactory(referrer=r))) for r in (busy, busy, quiet)]
    with mock.patch.object(handlers, "health_refresh_referrers", wraps=handlers.health_refresh_referrers) as refresh:
        handlers.health(batch)
        handlers.health(batch)  # again, as after a retry: nothing counted twice
    refresh.assert_called_once()
    assert refresh.call_args.kwargs["referrer_ids"] == [quiet.pk]  # the busy one is only counted on
    row = Health.objects.get(referrer=busy)
    assert (row.total_referrals, row.last_90, row.days_since_last, row.computed_at) == (3, 3, 0, refreshed_at)
    assert row.last_referral_at == max(e.at for e in batch[:2])
    with time_machine.travel(timezone.now() + handlers.FRESH + timedelta(seconds=1)):
        later = received(receive_referral(referral=ReferralDataFactory(referrer=busy)))
        handlers.health([later])
    row.refresh_from_db()
    assert row.total_referrals == 4 and row.computed_at > refreshed_at  # worked out again in full


def test_health_of_a_self_referral_touches_no_referrer():
    from liaison.referrals.choices import IntakeChannel

    referral = receive_referral(referral={"reason": "An assessment, please."}, channel=IntakeChannel.SELF)
    handlers.health([received(referral)])
    handlers.relationship(received(referral))
    assert not Health.objects.exists() and not Relationship.objects.exists()
