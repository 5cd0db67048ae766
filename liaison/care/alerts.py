"""Safety alerts: raising one (with its audit row; the letter it makes owed follows from the event each public
service publishes), a clinician's acknowledgment, and filling the gap of a PHQ-9 item 9 not asked (decisions
0005 and 0018). Callers import these from liaison.care.services."""

from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from liaison.accounts.access import roles_for
from liaison.care.choices import AlertKind, Published
from liaison.care.models import Assessment, SafetyAlert
from liaison.care.scoring import minimum_item9
from liaison.core import events
from liaison.core.audit import audit_log
from liaison.referrals.models import Referral

ACKNOWLEDGING_ROLES = roles_for("care.alert.acknowledge")


def _require(by, roles, what: str) -> None:
    if by is None or getattr(by, "role", None) not in roles:
        raise PermissionDenied(f"{what} is not part of your role.")


def _publish(kind: str, referral: Referral, **payload) -> None:
    """Tell the event registry what care wrote (comms makes the letters it owes, in this transaction)."""
    events.publish(kind, referral_id=referral.pk, context={"referral": referral}, **payload)


def _raise_alert(*, referral: Referral, kind: str, summary: str, at: datetime, by=None, **links) -> SafetyAlert:
    """The alert and its audit row. The safety letter it makes owed follows from the one event each public
    service publishes at its end (assessment_record, session_record, questionnaire_submit...)."""
    alert = SafetyAlert.objects.create(referral=referral, kind=kind, summary=summary, raised_at=at, **links)
    audit_log(actor=by, action="alert_raised", obj=alert, patient_id=referral.patient_id, detail={"kind": kind})
    return alert


def item9_summary(*, item9: int | None, total: int | None, on: date, answered: int = 0) -> str:
    """The alert's words: the answer, or what the total implies when item 9 was not asked."""
    when = f"on {on:%b %-d, %Y}"
    if item9 is None:
        return (
            f"PHQ-9 total {total} {when} with item 9 not asked: a total of 25 or more means item 9 is at least "
            f"{minimum_item9(None, total)} of 3."
        )
    if total is None:
        return f"PHQ-9 item 9 answered {item9} of 3 {when} (incomplete questionnaire, {answered} of 9 answered)."
    return f"PHQ-9 item 9 answered {item9} of 3 {when} (total {total})."


def alert_acknowledge(*, alert: SafetyAlert, by, note: str, at: datetime | None = None) -> SafetyAlert:
    """A clinician has seen the alert and says what was done; a conditional update, so only once."""
    _require(by, ACKNOWLEDGING_ROLES, "Acknowledging safety alerts")
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": ["Say what was done about the alert before acknowledging it."]})
    if len(note) > 2000:
        raise ValidationError({"note": ["The note is at most 2,000 characters."]})
    at = at or timezone.now()
    with transaction.atomic():
        done = SafetyAlert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=at, acknowledged_by=by, acknowledgement=note
        )
        if not done:
            raise ValidationError({"note": ["Someone else acknowledged this alert first; nothing was changed."]})
        audit_log(actor=by, action="alert_acknowledged", obj=alert, patient_id=alert.referral.patient_id)
    alert.acknowledged_at, alert.acknowledged_by, alert.acknowledgement = at, by, note
    return alert


# ---------------------------------------------------------------- item 9 gaps


def _item9_errors(item9, *, total: int | None) -> dict:
    if not isinstance(item9, int) or isinstance(item9, bool) or not 0 <= item9 <= 3:
        return {"item9": [f"Item 9 is answered 0 to 3, not {item9!r}."]}
    if total is not None and item9 > total:
        return {"item9": [f"Item 9 ({item9}) cannot be more than the total ({total})."]}
    if total is not None and item9 < minimum_item9(None, total):
        return {"item9": [f"A total of {total} means item 9 is at least {minimum_item9(None, total)}, not {item9}."]}
    return {}


def assessment_item9_record(*, assessment: Assessment, by, item9: int, at: datetime | None = None) -> Assessment:
    """A clinician fills the gap of a PHQ-9 whose item 9 was not asked (or left unanswered): once, by a
    conditional update; an answer above 0 raises the alert (unless this score's alert is already raised)."""
    _require(by, ACKNOWLEDGING_ROLES, "Recording a missing item 9")
    errors = _item9_errors(item9, total=assessment.total)
    if not assessment.item9_gap:
        errors.setdefault("item9", []).append("This score's item 9 is already known.")
    if errors:
        raise ValidationError(errors)
    at = at or timezone.now()
    referral = assessment.referral
    with transaction.atomic():
        if not Assessment.objects.filter(pk=assessment.pk, item9__isnull=True).update(item9=item9):
            raise ValidationError({"item9": ["Someone else recorded item 9 first; nothing was changed."]})
        assessment.item9 = item9
        audit_log(actor=by, action="item9_recorded", obj=assessment, patient_id=referral.patient_id)
        already = SafetyAlert.objects.filter(assessment=assessment).exists()
        if item9 > 0 and not already:
            summary = item9_summary(item9=item9, total=assessment.total, on=assessment.taken_on)
            alert = _raise_alert(
                referral=referral, kind=AlertKind.ITEM9, summary=summary, at=at, by=by, assessment=assessment
            )
            _publish(Published.SAFETY_ALERT_RAISED, referral, at=at, alert_id=alert.pk)
    return assessment


def referral_item9_record(*, referral: Referral, by, item9: int, at: datetime | None = None) -> Referral:
    """The same for the PHQ-9 sent with the referral: the answer is kept on the referral, the step is on its
    timeline, and an answer above 0 raises the alert (unless one was raised at intake for this PHQ-9)."""
    from liaison.referrals.choices import EventKind
    from liaison.referrals.models import ReferralEvent

    _require(by, ACKNOWLEDGING_ROLES, "Recording a missing item 9")
    total = referral.phq9_score
    errors = _item9_errors(item9, total=total)
    if not referral.phq9_item9_gap:
        errors.setdefault("item9", []).append("The referral's PHQ-9 item 9 is already known, or there is no PHQ-9.")
    if errors:
        raise ValidationError(errors)
    at = at or timezone.now()
    with transaction.atomic():
        if not Referral.objects.filter(pk=referral.pk, phq9_item9__isnull=True).update(phq9_item9=item9):
            raise ValidationError({"item9": ["Someone else recorded item 9 first; nothing was changed."]})
        referral.phq9_item9 = item9
        ReferralEvent.objects.create(
            referral_id=referral.pk,
            at=at,
            actor=by,
            actor_label=by.get_username(),
            kind=EventKind.PHQ9_ITEM9,
            detail={"item9": item9},
        )
        audit_log(actor=by, action="item9_recorded", obj=referral, patient_id=referral.patient_id)
        if item9 > 0 and minimum_item9(None, total) == 0:  # a total of 25+ raised its alert at intake already
            when = referral.phq9_date or timezone.localdate(referral.received_at)
            answered = sum(v is not None for v in referral.phq9_items or ())
            words = item9_summary(item9=item9, total=total, on=when, answered=answered)
            summary = f"At referral ({referral.reference}): {words}"
            alert = _raise_alert(referral=referral, kind=AlertKind.REFERRAL, summary=summary[:300], at=at, by=by)
            _publish(Published.SAFETY_ALERT_RAISED, referral, at=at, alert_id=alert.pk)
    return referral
