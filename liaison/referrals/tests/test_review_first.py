"""An urgent referral's safety review comes before care (decision 0021): while it is owed, no move takes the
patient into care, and recording it acknowledges the safety alert raised from the intake findings."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from liaison.care import services as care
from liaison.care.choices import AlertKind, Route, SessionKind
from liaison.care.models import SafetyAlert, Session
from liaison.care.queries import open_alerts
from liaison.care.scoring import ScoreInput
from liaison.care.services import SessionInput
from liaison.care.tests.factories import evaluation_slot
from liaison.core.models import AuditEvent
from liaison.referrals import lifecycle, review
from liaison.referrals.models import Referral, ReferralEvent
from liaison.referrals.services import TransitionNotAllowed, referral_transition
from liaison.referrals.tests.factories import ReferralDataFactory, ReferralFactory, receive_referral

NOTE = "Called the patient; C-SSRS low; safety plan confirmed with her partner."


def _owed(status, clinician):
    referral = ReferralFactory(status=status, assigned_clinician=clinician)
    review.review_owe(referral=referral, rules=["suicidal-ideation"], at=timezone.now())
    return referral


def _written() -> tuple[int, int, int]:
    return ReferralEvent.objects.count(), AuditEvent.objects.count(), Session.objects.count()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "to"), [("evaluated", "accepted"), ("accepted", "acute"), ("acute_complete", "maintenance")]
)
def test_each_move_into_care_is_refused_until_the_review_then_allowed(start, to, clinician):
    assert to in lifecycle.INTO_CARE
    referral = _owed(start, clinician)
    before = _written()
    with pytest.raises(TransitionNotAllowed) as exc:
        referral_transition(referral=referral, to=to, by=clinician)
    assert exc.value.message_dict == {"to": [lifecycle.REVIEW_FIRST]}
    assert "Record the clinician's safety review first" in lifecycle.REVIEW_FIRST
    assert Referral.objects.get(pk=referral.pk).status == start and _written() == before
    review.safety_review_record(referral=referral, by=clinician, decision="safety_plan", note=NOTE)
    referral.refresh_from_db()
    assert referral_transition(referral=referral, to=to, by=clinician).status == to


@pytest.mark.django_db
def test_steps_before_care_and_closing_stay_open_while_the_review_is_owed(coordinator, clinician):
    referral = receive_referral(referral=ReferralDataFactory(suicidal_ideation_current=True))
    evaluation_slot(referral)  # "Evaluation scheduled" needs a booked slot (decision 0044)
    for to, who in (("acknowledged", coordinator), ("eval_scheduled", coordinator), ("evaluated", clinician)):
        referral = referral_transition(referral=referral, to=to, by=who)
    with pytest.raises(TransitionNotAllowed):
        referral_transition(referral=referral, to="accepted", by=clinician)
    referral = referral_transition(referral=referral, to="not_recommended", by=clinician, reason="Crisis care first.")
    assert referral.status == "not_recommended"


@pytest.mark.django_db
def test_the_first_acute_session_cannot_start_the_series_while_the_review_is_owed(clinician):
    referral = _owed("accepted", clinician)
    data = SessionInput(kind=SessionKind.ACUTE, held_on=timezone.localdate(), route=Route.IV)
    before = _written()
    with pytest.raises(ValidationError) as exc:
        care.session_record(referral=referral, by=clinician, data=data, phq9=ScoreInput(total=15, item9=0))
    assert "Record the clinician's safety review first" in str(exc.value)
    assert _written() == before and Referral.objects.get(pk=referral.pk).status == "accepted"


@pytest.mark.django_db
def test_the_session_form_says_the_review_comes_first(client_for, clinician):
    from liaison.care.tests.test_pages import session_post

    referral = _owed("accepted", clinician)
    client = client_for(clinician)
    before = _written()
    data = session_post(held_on=timezone.localdate().isoformat())
    page = client.post(reverse("care:session_new", args=[referral.pk]), data)
    assert page.status_code == 400 and "Record the clinician&#x27;s safety review first" in page.content.decode()
    assert Session.objects.count() == before[2] and Referral.objects.get(pk=referral.pk).status == "accepted"
    review.safety_review_record(referral=referral, by=clinician, decision="continue", note=NOTE)
    assert client.post(reverse("care:session_new", args=[referral.pk]), data).status_code == 302
    assert Referral.objects.get(pk=referral.pk).status == "acute"


@pytest.mark.django_db
def test_the_referral_page_names_the_review_and_the_move_is_refused(client_for, clinician):
    referral = _owed("evaluated", clinician)
    url = reverse("referrals:detail", args=[referral.pk])
    page = client_for(clinician).get(url).content.decode()
    assert "Record the clinician&#x27;s safety review first" in page
    assert 'disabled aria-describedby="review-first">Accept for treatment' in page
    posted = client_for(clinician).post(
        reverse("referrals:transition", args=[referral.pk]), {"to": "accepted", "version": referral.version}
    )
    assert posted.status_code == 400 and "safety review first" in posted.content.decode()
    assert Referral.objects.get(pk=referral.pk).status == "evaluated"


# ---------------------------------------------------------------- the review acknowledges the intake alert


@pytest.mark.django_db
def test_the_review_acknowledges_the_intake_alert_and_not_a_later_one(coordinator, clinician):
    referral = receive_referral(referral=ReferralDataFactory(suicidal_ideation_current=True))
    intake_alert = SafetyAlert.objects.get(referral=referral, kind=AlertKind.REFERRAL)
    care.assessment_record(
        referral=referral,
        by=coordinator,
        instrument="phq9",
        score=ScoreInput(total=14, item9=1),
        taken_on=datetime.date.today(),
    )
    later = SafetyAlert.objects.get(referral=referral, kind=AlertKind.ITEM9)
    assert {a.pk for a in open_alerts(user=clinician)} >= {intake_alert.pk, later.pk}
    review.safety_review_record(referral=referral, by=clinician, decision="safety_plan", note=NOTE)
    intake_alert.refresh_from_db()
    later.refresh_from_db()
    assert intake_alert.acknowledged_by == clinician and intake_alert.acknowledged_at is not None
    assert intake_alert.acknowledgement == f"Safety review: Patient contacted: safety plan made or confirmed. {NOTE}"
    assert later.is_open
    shown = {a.pk for a in open_alerts(user=clinician)}
    assert intake_alert.pk not in shown and later.pk in shown
    row = AuditEvent.objects.get(action="alert_acknowledged", object_id=str(intake_alert.pk))
    assert row.actor == clinician and row.detail == {"by": "safety_review", "decision": "safety_plan"}
    assert not AuditEvent.objects.filter(action="alert_acknowledged", object_id=str(later.pk)).exists()


@pytest.mark.django_db
def test_a_refused_review_acknowledges_nothing(clinician):
    referral = receive_referral(referral=ReferralDataFactory(suicidal_ideation_current=True))
    with pytest.raises(ValidationError):
        review.safety_review_record(referral=referral, by=clinician, decision="safety_plan", note="  ")
    assert SafetyAlert.objects.get(referral=referral, kind=AlertKind.REFERRAL).is_open
