"""Care's reactions to referral events (liaison.care.handlers), each on its own and run twice."""

import pytest

from liaison.care import handlers
from liaison.care.choices import AlertKind
from liaison.care.models import SafetyAlert
from liaison.core import events
from liaison.referrals.intake_choices import ReviewDecision
from liaison.referrals.tests.factories import ReferralFactory

pytestmark = pytest.mark.django_db
FINDINGS = [{"rule": "suicidal-ideation", "text": "Current suicidal ideation reported."}]


def test_findings_alert_run_twice_raises_one_alert(coordinator):
    referral = ReferralFactory()
    payload = {"at": referral.received_at.isoformat(), "findings": FINDINGS}
    event = events.Event("referrals.safety_findings", referral.pk, payload=payload, context={"by": coordinator})
    assert handlers.findings_alert(event) is not None
    assert handlers.findings_alert(event) is None
    alert = SafetyAlert.objects.get(referral=referral)
    assert alert.kind == AlertKind.REFERRAL and "Current suicidal ideation reported" in alert.summary


def test_intake_refuses_to_run_when_nobody_turns_findings_into_alerts(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setattr(events, "_registry", {})
    with pytest.raises(ImproperlyConfigured, match="referrals.safety_findings"):
        events.publish("referrals.safety_findings", referral_id=1, required=True, findings=FINDINGS)


def test_merged_keep_run_twice_moves_the_alerts_once(coordinator):
    kept, merged = ReferralFactory(), ReferralFactory()
    SafetyAlert.objects.create(
        referral=merged, kind=AlertKind.REFERRAL, summary="At referral.", raised_at=merged.received_at
    )
    event = events.Event("referral.merged", kept.pk, payload={"merged_id": merged.pk}, context={"by": coordinator})
    handlers.merged_keep(event)
    handlers.merged_keep(event)
    assert SafetyAlert.objects.filter(referral=kept).count() == 1
    assert not SafetyAlert.objects.filter(referral=merged).exists()


def test_review_acknowledge_run_twice_closes_the_intake_alert_once(clinician):
    referral = ReferralFactory()
    intake = SafetyAlert.objects.create(
        referral=referral, kind=AlertKind.REFERRAL, summary="At referral.", raised_at=referral.received_at
    )
    later = SafetyAlert.objects.create(
        referral=referral, kind=AlertKind.ITEM9, summary="Item 9 at a session.", raised_at=referral.received_at
    )
    decision = ReviewDecision.values[0]
    payload = {"at": referral.received_at.isoformat(), "decision": decision, "note": "Spoke with the patient."}
    event = events.Event("referral.safety_reviewed", referral.pk, payload=payload, context={"by": clinician})
    assert handlers.review_acknowledge(event) == 1
    assert handlers.review_acknowledge(event) == 0
    intake.refresh_from_db()
    later.refresh_from_db()
    assert intake.acknowledged_by == clinician and "Spoke with the patient." in intake.acknowledgement
    assert later.acknowledged_at is None  # a finding the review did not see stays open
