"""Notify's fixtures: the shared cast (liaison/conftest.py), comms' real SMTP server on 127.0.0.1 (aiosmtpd) and
clinic, the text messages the locmem backend keeps, and a referral of Alice's that Cliff treats."""

import pytest

from liaison.comms.tests.conftest import Inbox, clinic, free_port, smtp_inbox  # noqa: F401 - fixtures
from liaison.notify import sms
from liaison.referrals.choices import Status
from liaison.referrals.tests.factories import ReferralFactory


@pytest.fixture(autouse=True)
def texts(settings):
    settings.SMS_BACKEND = "locmem"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture
def treated(alice_referrer, clinician, coordinator):
    """An accepted referral with Cliff as its clinician and Cora as its coordinator; the patient has an email."""
    referral = ReferralFactory(
        status=Status.ACCEPTED, referrer=alice_referrer, assigned_clinician=clinician, assigned_coordinator=coordinator
    )
    referral.patient.email = "pat@example.test"
    referral.patient.save()
    return referral
