"""Sessions: one recorded with its scores and blood pressures, the acute series and maintenance started by the
first session of each, in one transaction. Callers import these from liaison.care.services."""

from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from liaison.accounts.access import roles_for
from liaison.care.alerts import _publish, _raise_alert, _require
from liaison.care.assessments import _date_errors, _save_score
from liaison.care.bookings import booking_attach_session
from liaison.care.choices import AdverseEffect, AlertKind, Published, ScoreSource, SessionKind
from liaison.care.models import CareSettings, Session
from liaison.care.queries import care_settings
from liaison.care.scoring import ScoreInput, check_score
from liaison.care.stored_outcomes import outcome_refresh
from liaison.core.audit import audit_log
from liaison.referrals.choices import Status
from liaison.referrals.models import Referral
from liaison.referrals.services import referral_transition

CLINICAL_ROLES = roles_for("care.session.record")  # the role table: liaison/accounts/access.py
BP_FIELDS = ("bp_before", "bp_after")
# Which referral statuses each kind of session may be recorded in, and the move it makes from which status.
SESSION_STATUSES = {
    SessionKind.EVALUATION: {
        Status.RECEIVED,
        Status.ACKNOWLEDGED,
        Status.INFO_REQUESTED,
        Status.EVAL_SCHEDULED,
        Status.EVALUATED,
        Status.ACCEPTED,
    },
    SessionKind.ACUTE: {Status.ACCEPTED, Status.ACUTE},
    SessionKind.MAINTENANCE: {Status.ACUTE_COMPLETE, Status.MAINTENANCE},
}
SESSION_MOVES = {
    SessionKind.ACUTE: (Status.ACCEPTED, Status.ACUTE),
    SessionKind.MAINTENANCE: (
        Status.ACUTE_COMPLETE,
        Status.MAINTENANCE,
    ),
}


# ---------------------------------------------------------------- sessions


@dataclass(frozen=True)
class SessionInput:
    kind: str
    held_on: date | None
    clinician: object = None
    route: str = ""
    dose: object = None
    dose_unit: str = ""
    bp_before_systolic: int | None = None
    bp_before_diastolic: int | None = None
    bp_after_systolic: int | None = None
    bp_after_diastolic: int | None = None
    adverse_effects: tuple = ()
    adverse_other: str = ""
    notes: str = ""
    planned: int | None = None


def _bp_errors(data: SessionInput) -> dict:
    errors = {}
    for prefix in BP_FIELDS:
        sys_, dia = getattr(data, f"{prefix}_systolic"), getattr(data, f"{prefix}_diastolic")
        when = prefix.removeprefix("bp_")
        if (sys_ is None) != (dia is None):
            missing = f"{prefix}_diastolic" if dia is None else f"{prefix}_systolic"
            errors[missing] = [f"Give both numbers of the blood pressure {when}, or neither."]
            continue
        if sys_ is None:
            continue
        if not 50 <= sys_ <= 300:
            errors[f"{prefix}_systolic"] = [f"A systolic pressure {when} of {sys_} mmHg is not possible; check it."]
        if not 20 <= dia <= 200:
            errors[f"{prefix}_diastolic"] = [f"A diastolic pressure {when} of {dia} mmHg is not possible; check it."]
        elif 50 <= sys_ <= 300 and dia >= sys_:
            errors[f"{prefix}_diastolic"] = [f"The diastolic pressure {when} must be lower than the systolic."]
    return errors


def _treatment_errors(data: SessionInput) -> dict:
    errors = {}
    if data.kind != SessionKind.EVALUATION and not data.route:
        errors["route"] = ["Choose the route of the treatment."]
    if (data.dose is None) != (not data.dose_unit):
        errors["dose" if data.dose is None else "dose_unit"] = ["Give the dose with its unit, or neither."]
    elif data.dose is not None and data.dose <= 0:
        errors["dose"] = ["The dose must be more than zero."]
    unknown = [e for e in data.adverse_effects if e not in AdverseEffect.values]
    if unknown:
        errors["adverse_effects"] = [f"Unknown adverse effect: {', '.join(map(str, unknown))}."]
    if data.planned is not None and not 1 <= data.planned <= 30:
        errors["planned"] = ["Plan between 1 and 30 sessions."]
    return errors


def _status_errors(referral: Referral, kind: str) -> dict:
    if kind not in SessionKind.values:
        return {"kind": [f"Unknown kind of session {kind!r}."]}
    if not referral.is_open:
        return {"kind": ["The referral is closed; sessions can no longer be recorded on it."]}
    if referral.status not in SESSION_STATUSES[kind]:
        status = Status(referral.status).label
        return {"kind": [f"A {SessionKind(kind).label.lower()} cannot be recorded while the referral is “{status}”."]}
    return {}


def _bp_alerts(session: Session, limits: CareSettings) -> list[str]:
    found = []
    for prefix in BP_FIELDS:
        sys_, dia = getattr(session, f"{prefix}_systolic"), getattr(session, f"{prefix}_diastolic")
        if sys_ is not None and (sys_ > limits.systolic_alert_above or dia > limits.diastolic_alert_above):
            found.append(f"{sys_}/{dia} {prefix.removeprefix('bp_')}")
    return found


def _next_number(referral: Referral, planned: int | None, limits: CareSettings) -> tuple[int, int]:
    last = Session.objects.filter(referral=referral, kind=SessionKind.ACUTE).order_by("-number").first()
    number = last.number + 1 if last else 1
    planned = planned or (last.planned if last else limits.acute_sessions_planned)
    return number, max(planned, number)


def session_record(
    *,
    referral: Referral,
    by,
    data: SessionInput,
    phq9: ScoreInput | None = None,
    gad7: ScoreInput | None = None,
    at: datetime | None = None,
) -> Session:
    """Record a session with its scores. The first acute session of an accepted referral starts the acute
    series, and the first maintenance session starts maintenance, in the same transaction."""
    _require(by, CLINICAL_ROLES, "Recording sessions")
    at = at or timezone.now()
    errors = _status_errors(referral, data.kind) | _date_errors(referral, data.held_on, "held_on", at)
    errors |= _bp_errors(data) | _treatment_errors(data)
    clean = {}
    for name, score in (("phq9", phq9), ("gad7", gad7)):
        clean[name], found = check_score(name, score)
        errors |= found
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            return _session_write(referral=referral, by=by, data=data, clean=clean, at=at)
    except IntegrityError:
        raise ValidationError({"kind": ["Another session was recorded at the same moment; try again."]}) from None


def _session_write(*, referral, by, data: SessionInput, clean: dict, at) -> Session:
    limits = care_settings()
    fields = {k: v for k, v in data.__dict__.items() if k not in ("planned", "clinician")}
    fields["adverse_effects"] = list(data.adverse_effects)
    session = Session(referral=referral, clinician=data.clinician or by, recorded_by=by, **fields)
    if data.kind == SessionKind.ACUTE:
        session.number, session.planned = _next_number(referral, data.planned, limits)
    move = SESSION_MOVES.get(data.kind)
    if move and referral.status == move[0]:
        referral_transition(referral=referral, to=move[1], by=by, at=at)
    session.save()
    audit_log(actor=by, action="create", obj=session, patient_id=referral.patient_id, detail={"kind": data.kind})
    booking_attach_session(session=session, by=by, at=at)
    for score in clean.values():
        if score is not None:
            _save_score(
                referral=referral,
                clean=score,
                taken_on=data.held_on,
                source=ScoreSource.STAFF,
                by=by,
                at=at,
                session=session,
            )
    high = _bp_alerts(session, limits)
    if high:
        summary = f"Blood pressure {', '.join(high)} on {data.held_on:%b %-d, %Y} is above the practice's threshold"
        limit = f"{limits.systolic_alert_above}/{limits.diastolic_alert_above}"
        _raise_alert(
            referral=referral,
            kind=AlertKind.BLOOD_PRESSURE,
            summary=f"{summary} ({limit}).",
            at=at,
            by=by,
            session=session,
        )
    outcome_refresh(referral)  # a treatment session makes the referral treated; its PHQ-9 may be the baseline
    _publish(Published.SESSION_RECORDED, referral, at=at, session_id=session.pk)
    return session
