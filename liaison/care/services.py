"""Every write of measurement-based care: sessions, scores, safety alerts and questionnaire links.

Keyword-only, one transaction each, an audit row for every write. Bad input raises ValidationError naming
every field at fault, and nothing is written. A PHQ-9 with item 9 above 0, or a blood pressure above the
practice's threshold, raises a SafetyAlert in the same transaction as the answer that caused it.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from liaison.accounts.access import roles_for
from liaison.care.choices import AdverseEffect, AlertKind, Published, ScoreSource, SessionKind
from liaison.care.instruments import spec
from liaison.care.models import Assessment, CareSettings, QuestionnaireLink, SafetyAlert, Session
from liaison.care.queries import care_settings
from liaison.care.scoring import CleanScore, ScoreInput, alerts, check_score, minimum_item9
from liaison.core import events
from liaison.core.audit import audit_log
from liaison.referrals.choices import Status
from liaison.referrals.models import Referral
from liaison.referrals.services import referral_transition

CLINICAL_ROLES = roles_for("care.session.record")  # the role table: liaison/accounts/access.py
ACKNOWLEDGING_ROLES = roles_for("care.alert.acknowledge")
LINK_ROLES = roles_for("care.link.send")
LINK_SALT = "liaison.care.questionnaire"
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


def _require(by, roles, what: str) -> None:
    if by is None or getattr(by, "role", None) not in roles:
        raise PermissionDenied(f"{what} is not part of your role.")


def _date_errors(referral: Referral, on: date | None, field: str, at: datetime) -> dict:
    if not isinstance(on, date):
        return {field: ["Give the date."]}
    received = timezone.localdate(referral.received_at)
    if on < received:
        return {field: [f"The date {on:%b %-d, %Y} is before the referral was received ({received:%b %-d, %Y})."]}
    if on > timezone.localdate(at):
        return {field: [f"The date {on:%b %-d, %Y} is in the future."]}
    return {}


# ---------------------------------------------------------------- scores and alerts


def _publish(kind: str, referral: Referral, **payload) -> None:
    """Tell the event registry what care wrote (comms makes the letters it owes, in this transaction)."""
    events.publish(kind, referral_id=referral.pk, context={"referral": referral}, **payload)


def _raise_alert(*, referral: Referral, kind: str, summary: str, at: datetime, by=None, **links) -> SafetyAlert:
    """The alert and its audit row. The safety letter it makes owed follows from the one event each public
    service publishes at its end (assessment_record, session_record, questionnaire_submit...)."""
    alert = SafetyAlert.objects.create(referral=referral, kind=kind, summary=summary, raised_at=at, **links)
    audit_log(actor=by, action="alert_raised", obj=alert, patient_id=referral.patient_id, detail={"kind": kind})
    return alert


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
        _publish(Published.SCORE_RECORDED, referral, at=at, assessment_id=assessment.pk)
    return assessment


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
    _publish(Published.SESSION_RECORDED, referral, at=at, session_id=session.pk)
    return session


# ---------------------------------------------------------------- the patient's questionnaire link


class LinkRefused(Exception):
    """The link is not valid (tampered or unknown), has expired, or has been used."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def questionnaire_link_create(*, referral: Referral, by, at: datetime | None = None) -> tuple[QuestionnaireLink, str]:
    """A new link for the patient; returns the row and the token, which is shown once and never stored."""
    _require(by, LINK_ROLES, "Sending questionnaire links")
    if not referral.is_open:
        raise ValidationError({"referral": ["The referral is closed; no questionnaire can be sent on it."]})
    at = at or timezone.now()
    nonce = secrets.token_urlsafe(24)
    hours = care_settings().questionnaire_link_hours
    with transaction.atomic():
        link = QuestionnaireLink.objects.create(
            referral=referral,
            nonce_hash=_hash(nonce),
            created_by=by,
            created_at=at,
            expires_at=at + timedelta(hours=hours),
        )
        audit_log(actor=by, action="create", obj=link, patient_id=referral.patient_id)
    token = signing.TimestampSigner(salt=LINK_SALT).sign_object({"l": link.pk, "n": nonce})
    return link, token


def questionnaire_link_check(*, token: str, at: datetime | None = None) -> QuestionnaireLink:
    """The link this token opens, or LinkRefused('invalid' | 'expired' | 'used')."""
    try:
        payload = signing.TimestampSigner(salt=LINK_SALT).unsign_object(token)
        pk, nonce = int(payload["l"]), str(payload["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise LinkRefused("invalid") from None
    link = QuestionnaireLink.objects.select_related("referral__patient").filter(pk=pk).first()
    if link is None or not secrets.compare_digest(link.nonce_hash, _hash(nonce)):
        raise LinkRefused("invalid")
    if link.used_at is not None:
        raise LinkRefused("used")
    if link.expires_at <= (at or timezone.now()):
        raise LinkRefused("expired")
    return link


def questionnaire_submit(
    *, token: str, phq9: ScoreInput, gad7: ScoreInput, at: datetime | None = None
) -> list[Assessment]:
    """The patient's answers: both instruments item by item. A question left unanswered (or "not sure") keeps
    that instrument incomplete: its answered items are kept, with no total, and a positive item 9 among them
    alerts. The link is used up in the same transaction (a conditional update, so a second submission of the
    same link writes nothing)."""
    at = at or timezone.now()
    link = questionnaire_link_check(token=token, at=at)
    errors, clean = {}, []
    for name, score in (("phq9", phq9), ("gad7", gad7)):
        count = spec(name).item_count
        items = (list(score.items or []) + [None] * count)[:count]
        found_clean, found = check_score(name, ScoreInput(items=items, difficulty=score.difficulty))
        errors |= found
        if found_clean is not None and found_clean.items:  # a difficulty answer alone is not a questionnaire
            clean.append(found_clean)
    if not clean and not errors:
        errors["phq9_1"] = ["Please answer at least one question before sending."]
    if errors:
        raise ValidationError(errors)
    referral = link.referral
    with transaction.atomic():
        used = QuestionnaireLink.objects.filter(pk=link.pk, used_at__isnull=True, expires_at__gt=at).update(used_at=at)
        if not used:
            raise LinkRefused("used")
        audit_log(actor=None, action="questionnaire_submitted", obj=link, patient_id=referral.patient_id)
        saved = [
            _save_score(
                referral=referral,
                clean=c,
                taken_on=timezone.localdate(at),
                source=ScoreSource.PATIENT_LINK,
                by=None,
                at=at,
            )
            for c in clean
        ]
        _publish(Published.SCORE_RECORDED, referral, at=at, assessment_ids=[a.pk for a in saved])
    return saved


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
