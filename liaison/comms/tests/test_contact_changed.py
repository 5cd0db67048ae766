"""A referrer's address corrected on their contact page: the letters held up for want of one leave the work queue's
problems at once, in the same transaction; a correction that still leaves no way to reach them keeps the reason."""

import pytest

from liaison.comms.seed import seed_protocol
from liaison.comms.tests.helpers import keys, referral_for, staff
from liaison.directory.choices import Channel
from liaison.directory.services import referrer_contact_update

pytestmark = pytest.mark.django_db


def _held():
    seed_protocol()
    coordinator, clinician = staff()
    referral = referral_for(coordinator=coordinator, clinician=clinician, channel=Channel.FHIR, email="", fax="")
    assert keys(referral)["ack"].problem.startswith("No usable channel"), "no email, fax or portal: held up"
    return referral, coordinator


def test_adding_the_missing_email_releases_the_held_acknowledgment():
    referral, coordinator = _held()
    due_at = keys(referral)["ack"].due_at
    referrer_contact_update(
        referrer=referral.referrer,
        by=coordinator,
        email="dr.new@practice.example",
        fax="",
        preferred_channel=Channel.EMAIL,
    )
    ack = keys(referral)["ack"]
    assert ack.problem == "" and ack.status == "owed" and ack.due_at == due_at  # its deadline is not moved


def test_a_fax_number_without_a_fax_gateway_still_says_why():
    referral, coordinator = _held()
    referrer_contact_update(
        referrer=referral.referrer, by=coordinator, email="", fax="2125550100", preferred_channel=Channel.FAX
    )
    assert "no fax gateway set up for the practice" in keys(referral)["ack"].problem
