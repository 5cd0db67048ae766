"""Scores: a PHQ-9 or GAD-7 saved with its alert when item 9 is above 0, and one recorded outside a session (staff
entry or import). Callers import these from liaison.care.services."""

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from liaison.accounts.access import roles_for
from liaison.care.alerts import _publish, _raise_alert, _require, item9_summary
from liaison.care.choices import AlertKind, Published, ScoreSource
from liaison.care.instruments import spec
from liaison.care.models import Assessment
from liaison.care.scoring import CleanScore, ScoreInput, alerts, check_score
from liaison.care.stored_outcomes import outcome_refresh
from liaison.core.audit import audit_log
from liaison.referrals.models import Referral


def _date_errors(referral: Referral, on: date | None, field: str, at: datetime) -> dict:
    if not isinstance(on, date):
        return {field: ["Give the date."]}
    received = timezone.localdate(referral.received_at)
    if on < received:
        return {field: [f"The date {on:%b %-d, %Y} is before the referral was received ({received:%b %-d, %Y})."]}
    if on > timezone.localdate(at):
        return {field: [f"The date {on:%b %-d, %Y} is in the future."]}
    return {}


def _save_score(*, referral, clean: CleanScore, taken_on, source, by, at, session=None) -> Assessment:
    assessment = Assessment.objects.create(
        referral=referral,
        session=session,
        instrument=clean.instrument,
        loinc=spec(clean.instrument).panel_loinc,
        items=clean.items,
        total=clean.total,
        item9=clean.item9,
        difficulty=clean.difficulty,
        taken_on=taken_on,
        source=source,
        recorded_by=by if getattr(by, "is_authenticated", False) else None,
    )
    audit_log(actor=by, action="create", obj=assessment, patient_id=referral.patient_id, detail={"source": source})
    if alerts(clean):
        _raise_alert(
            referral=referral,
            kind=AlertKind.ITEM9,
            summary=item9_summary(item9=clean.item9, total=clean.total, on=taken_on, answered=assessment.answered),
            at=at,
            by=by,
            assessment=assessment,
            session=session,
        )
    return assessment


def assessment_record(
    *,
    referral: Referral,
    by,
    instrument: str,
    score: ScoreInput,
    taken_on: date,
    source: str = ScoreSource.STAFF,
    at: datetime | None = None,
) -> Assessment:
    """One PHQ-9 or GAD-7 outside a session: entered by staff or imported (a total alone is allowed)."""
    _require(by, roles_for("care.score.record"), "Recording scores")
    at = at or timezone.now()
    clean, errors = check_score(instrument, score) if instrument in ("phq9", "gad7") else (None, {})
    if instrument not in ("phq9", "gad7"):
        errors = {"instrument": [f"Unknown instrument {instrument!r}; use phq9 or gad7."]}
    elif clean is None and not errors:
        errors = {f"{instrument}_total": ["Give the items or the total."]}
    errors |= _date_errors(referral, taken_on, "taken_on", at)
    if source not in ScoreSource.values:
        errors["source"] = [f"Unknown source {source!r}."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        assessment = _save_score(referral=referral, clean=clean, taken_on=taken_on, source=source, by=by, at=at)
        outcome_refresh(referral)
        _publish(Published.SCORE_RECORDED, referral, at=at, assessment_id=assessment.pk)
    return assessment
