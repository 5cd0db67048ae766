"""The email that tells a referrer a message waits in the portal (decision 0039): sent by the worker after the
message commits, holding the practice's name and a link and nothing about the patient; once per message."""

import email

import pytest
from django.conf import settings
from django.urls import reverse

from liaison.core import events
from liaison.core.models import PendingReaction
from liaison.referrals import messages
from liaison.referrals.models import ReferralMessage

pytestmark = pytest.mark.django_db


def test_the_referrer_is_told_by_email_without_patient_details(
    clinic, smtp_inbox, alice, alices_referral, coordinator, client_for
):
    alice.referrer.email = "alice@riverside.test"
    alice.referrer.save()
    response = client_for(coordinator).post(
        reverse("intake:message", args=[alices_referral.pk]), {"message-body": "The evaluation is on Monday."}
    )
    assert response.status_code == 302
    assert not smtp_inbox.messages  # nothing leaves inside the request
    assert PendingReaction.objects.filter(kind="referral.messaged").exists()

    events.pending_run()
    (raw,) = smtp_inbox.messages
    sent = email.message_from_bytes(raw)
    body = sent.get_payload(decode=True).decode()
    assert sent["To"] == "alice@riverside.test" and "Harbor Ketamine Clinic" in sent["Subject"]
    assert f"{settings.SITE_URL}/portal/{alices_referral.pk}/" in body
    patient = alices_referral.patient
    for private in (patient.first_name, patient.last_name, alices_referral.reference, "Monday"):
        assert private not in body and private not in sent["Subject"]
    assert ReferralMessage.objects.get().notified_at is not None

    from liaison.comms.portal_notices import message_notice

    assert (
        message_notice(
            events.Event(
                "referral.messaged", alices_referral.pk, payload={"message_id": ReferralMessage.objects.get().pk}
            )
        )
        is False
    )
    assert len(smtp_inbox.messages) == 1


def test_a_referrer_without_an_email_address_gets_no_email(clinic, smtp_inbox, alice, alices_referral, coordinator):
    alice.referrer.email = ""
    alice.referrer.save()
    messages.message_send(referral=alices_referral, by=coordinator, body="Please call us.")
    events.pending_run()
    assert not smtp_inbox.messages and ReferralMessage.objects.get().notified_at is None
