"""Every write to a referral goes through here: one function per business action,
keyword-only arguments, one transaction, an event on the timeline and a row in the audit trail."""

import contextlib
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from liaison.core import events
from liaison.core.audit import audit_log
from liaison.directory.choices import SourceType
from liaison.directory.validators import normalize_phone
from liaison.referrals import intake, lifecycle, plausibility, screening
from liaison.referrals.choices import URGENCY_RANK, EventKind, IntakeChannel, Published, Status
from liaison.referrals.models import Diagnosis, MedicationTrial, Patient, Referral, ReferralEvent


class TransitionNotAllowed(ValidationError):
    """The move is not in the lifecycle table, or not this person's to make."""


# "Evaluation scheduled" is taken by booking the evaluation (decision 0040): the move is refused unless the referral
# has an open evaluation booking. Care answers that question (it registers its check in apps.py: referrals imports
# nothing of care); with no check registered the move is refused, so no path schedules an evaluation without a slot.
BOOK_FIRST = "Book the evaluation to schedule it: choose its date, time, clinician and place on the booking form."
EVALUATION_BOOKED: list = []  # callables (referral) -> bool
# "No-show" waits for the booked time (a patient cannot miss what has not come): care registers a check that says
# when the open evaluation is, if it is still to come (callables (referral, at) -> the booked time's words, or "").
EVALUATION_NOT_YET: list = []
NOT_YET = "The evaluation is booked for {when}: a no-show is recorded once that time has come, or move the booking."


def _slot_booked(referral: Referral) -> bool:
    return any(check(referral) for check in EVALUATION_BOOKED)


class TransitionConflict(Exception):
    """Someone else changed the referral first; nothing was written."""

    def __init__(self, referral_id: int, current_status: str):
        self.current_status = current_status
        label = Status(current_status).label if current_status in Status.values else current_status
        super().__init__(
            f"Someone else changed this referral while you were looking at it (it is now “{label}”). "
            "Nothing was changed; reload the page to see the latest."
        )


def _label(user) -> str:
    return user.get_username() if user is not None else "system"


def _collect(errors: dict, prefix: str, instance, exclude=()) -> None:
    """Run a model's own checks and file each problem under `prefix.field`.

    Database constraints are not re-checked here (Django would run a query per constraint): the
    fields' validators and the models' clean() say the same in words, and the database still
    enforces every constraint on write."""
    try:
        instance.full_clean(exclude=list(exclude), validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            key = f"{prefix}.{field}" if field != "__all__" else prefix
            errors.setdefault(key, []).extend(messages)


@dataclass(frozen=True)
class Due:
    text: str
    role: str
    owner_id: int | None
    due_at: datetime | None


def next_action_for(referral: Referral, *, status: str, at: datetime) -> Due:
    """What happens next, who owns it and when it is due, from the lifecycle table."""
    action = lifecycle.NEXT_ACTION.get(Status(status))
    if action is None:
        return Due("", "", None, None)
    owner = referral.assigned_clinician_id if action.role == "clinician" else referral.assigned_coordinator_id
    return Due(action.text, action.role, owner, at + action.due_in)


def _apply_due(referral: Referral, due: Due) -> None:
    referral.next_action = due.text
    referral.next_action_role = due.role
    referral.next_action_owner_id = due.owner_id
    referral.next_action_due_at = due.due_at


# ---------------------------------------------------------------- intake


def referral_receive(
    *,
    by,
    patient: dict,
    referral: dict,
    diagnoses: list[dict] = (),
    trials: list[dict] = (),
    channel: str,
    at: datetime | None = None,
    attachments: list[dict] = (),
    idempotency: dict | None = None,
    followup_mode: str | None = None,
) -> Referral:
    """Validate everything, then write the patient, the referral, its diagnoses and trials, its
    screening result, duplicate flags, attachments (`{"filename", "content"}`, PDF) and API
    idempotency key (`{"token", "key", "fingerprint"}`) and its first event in one transaction, then
    publishes `referral.received`. What follows in other apps (relationship, letters owed) is owed to the
    worker, or run here when `followup_mode` or LIAISON_INTAKE_FOLLOWUP says "inline" (core.events).
    Bad input raises ValidationError naming every field at fault
    (`patient.date_of_birth`, `trials.1.weeks_at_dose`, ...) and writes nothing; so do unusual doses or weeks
    (plausibility) until `referral["confirm_unusual"]` says the sender has checked them."""
    at = at or timezone.now()
    patient = _stripped(_with_phones(patient, "phone"), "first_name", "last_name")
    referral = screening.phq9_as_given(_with_phones(referral, "coordination_phone"))
    confirmed = bool(referral.pop(plausibility.CONFIRM, False))  # the sender confirms unusual doses or weeks
    new_patient = Patient(**patient)
    new_referral = Referral(channel=channel, received_at=at, created_by=by if _is_user(by) else None, **referral)
    if channel == IntakeChannel.SELF:
        new_referral.source_type = SourceType.SELF
    elif new_referral.referrer_id and not new_referral.source_type:
        new_referral.source_type = new_referral.referrer.source_type
    new_referral.urgency_rank = URGENCY_RANK.get(new_referral.urgency, 0)
    new_diagnoses = [Diagnosis(**d) for d in diagnoses]
    new_trials = [MedicationTrial(**t) for t in trials]

    errors: dict[str, list[str]] = {}
    if channel not in IntakeChannel.values:
        errors["channel"] = [f"Unknown intake channel {channel!r}."]
    _collect(errors, "patient", new_patient)
    if new_patient.date_of_birth and new_patient.date_of_birth > timezone.localdate(at):
        errors.setdefault("patient.date_of_birth", []).append("The date of birth is in the future.")
    # With no referrer and no source, "choose the referrer" says it all; skip the second message.
    skip_source = () if new_referral.source_type else ("source_type",)
    _collect(errors, "referral", new_referral, exclude=("patient", "received_at", *skip_source, *_given(new_referral)))
    for i, item in enumerate(new_diagnoses):
        _collect(errors, f"diagnoses.{i}", item, exclude=("referral",))
    for i, item in enumerate(new_trials):
        _collect(errors, f"trials.{i}", item, exclude=("referral",))
    _plausible(errors, plausibility.check(trials=new_trials, date_of_birth=new_patient.date_of_birth, at=at), confirmed)
    errors.update(intake.check_attachments(attachments))
    if errors:
        raise ValidationError(errors)
    prepared = intake.prepare(referral=new_referral, patient=new_patient, diagnoses=new_diagnoses, trials=new_trials)

    with transaction.atomic():
        new_patient.save()
        new_referral.patient = new_patient
        _apply_due(new_referral, next_action_for(new_referral, status=Status.RECEIVED, at=at))
        intake.route(new_referral, prepared, at=at)
        new_referral.save()
        for item in (*new_diagnoses, *new_trials):
            item.referral = new_referral
        Diagnosis.objects.bulk_create(new_diagnoses)
        MedicationTrial.objects.bulk_create(new_trials)
        intake.write(new_referral, prepared, attachments=attachments, idempotency=idempotency, at=at, by=by)
        event = ReferralEvent.objects.create(
            referral=new_referral,
            at=at,
            actor=by if _is_user(by) else None,
            actor_label=_label(by),
            kind=EventKind.RECEIVED,
            to_status=Status.RECEIVED,
            detail={"channel": channel},
        )
        audit_log(actor=by, action="create", obj=new_referral, patient_id=new_patient.pk)
        events.publish(
            Published.RECEIVED, referral_id=new_referral.pk, event_id=event.pk, context={"referral": new_referral},
            mode=followup_mode, at=at, channel=channel,
        )  # fmt: skip
    return new_referral


def _plausible(errors: dict, found: plausibility.Found, confirmed: bool) -> None:
    """Doses and weeks that cannot be right are errors; unusual ones are too until the sender confirms them."""
    for key, messages in [*found.errors.items(), *(() if confirmed else found.unusual.items())]:
        errors.setdefault(key, []).extend(messages)
    if found.unusual and not confirmed:
        errors[f"referral.{plausibility.CONFIRM}"] = [plausibility.CONFIRM_MESSAGE]


def _given(instance) -> list[str]:
    """Relations the caller passed as objects it read from the database: checking that each exists would
    cost a query apiece, and the database's foreign keys hold on write anyway."""
    return [f.name for f in instance._meta.concrete_fields if f.is_relation and f.is_cached(instance)]


def _with_phones(data: dict, *fields: str) -> dict:
    """Phone numbers are kept in E.164; a number that cannot be read is left for the validator to name."""
    data = dict(data)
    for field in fields:
        with contextlib.suppress(ValidationError):
            data[field] = normalize_phone(data.get(field) or "")
    return data


def _stripped(data: dict, *fields: str) -> dict:
    """Names are kept without surrounding spaces, so a name of spaces is a blank name."""
    return {**data, **{f: data[f].strip() for f in fields if isinstance(data.get(f), str)}}


def _is_user(by) -> bool:
    return by is not None and getattr(by, "is_authenticated", False)


# ---------------------------------------------------------------- lifecycle


def referral_transition(
    *,
    referral: Referral,
    to: str,
    by,
    reason: str = "",
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Referral:
    """Move a referral one step along the lifecycle.

    The move must be in lifecycle.TRANSITIONS from the status the caller saw, be this person's to
    make, and carry a reason if it closes the referral. The write is a conditional UPDATE on the
    version the caller saw: if anyone else moved the referral first, TransitionConflict is raised
    and nothing is written.
    """
    at = at or timezone.now()
    from_status = referral.status
    version = referral.version if expected_version is None else expected_version
    reason = (reason or "").strip()
    if version != referral.version:
        raise TransitionConflict(referral.pk, referral.status)
    move = lifecycle.find_move(from_status, to) if to in Status.values else None
    if move is None:
        target = Status(to).label if to in Status.values else to
        raise TransitionNotAllowed(
            {"to": f"A referral that is “{Status(from_status).label}” cannot move to “{target}”."}
        )
    if by is not None and getattr(by, "role", None) not in move.roles:
        raise TransitionNotAllowed({"to": f"“{move.label}” is not a step your role can take."})
    if move.needs_reason and not reason:
        raise ValidationError({"reason": f"Say why the referral is “{Status(to).label}”."})
    if to in lifecycle.INTO_CARE and safety_review_owed(referral):
        raise TransitionNotAllowed({"to": lifecycle.REVIEW_FIRST})
    if move.booked and not _slot_booked(referral):
        raise TransitionNotAllowed({"to": BOOK_FIRST})
    if from_status == Status.EVAL_SCHEDULED and to == Status.NO_SHOW:
        when = next((w for check in EVALUATION_NOT_YET if (w := check(referral, at))), "")
        if when:
            raise TransitionNotAllowed({"to": NOT_YET.format(when=when)})

    closing = to in lifecycle.TERMINAL
    due = _review_first(referral, next_action_for(referral, status=to, at=at), closing=closing)
    changes = {
        "status": to,
        "version": version + 1,
        "is_open": not closing,
        "closed_at": at if to in lifecycle.CLOSING else None,
        "closed_reason": reason if to in lifecycle.CLOSING else "",
        "next_action": due.text,
        "next_action_role": due.role,
        "next_action_owner_id": _owner_column(due.role),
        "next_action_due_at": due.due_at,
        "updated_at": timezone.now(),
    }
    with transaction.atomic():
        updated = Referral.objects.filter(pk=referral.pk, status=from_status, version=version).update(**changes)
        if not updated:
            current = Referral.objects.filter(pk=referral.pk).values_list("status", flat=True).first()
            raise TransitionConflict(referral.pk, current or "")
        event = ReferralEvent.objects.create(
            referral_id=referral.pk,
            at=at,
            actor=by if _is_user(by) else None,
            actor_label=_label(by),
            kind=EventKind.TRANSITION,
            from_status=from_status,
            to_status=to,
            reason=reason,
        )
        audit_log(
            actor=by,
            action="transition",
            obj=referral,
            patient_id=referral.patient_id,
            detail={"from": from_status, "to": to},
        )
        for field, value in changes.items():
            setattr(referral, field, value)
        referral.refresh_from_db(fields=["next_action_owner", "assigned_coordinator", "assigned_clinician"])
        events.publish(
            Published.TRANSITIONED, referral_id=referral.pk, event_id=event.pk, context={"referral": referral},
            at=at, from_status=from_status, to_status=to,
        )  # fmt: skip
    return referral


def safety_review_owed(referral: Referral) -> bool:
    """An urgent finding's clinician review not yet recorded (review.safety_review_record)."""
    from liaison.referrals.intake_models import SafetyReview

    return SafetyReview.objects.filter(referral_id=referral.pk, decided_at__isnull=True).exists()


def _review_first(referral: Referral, due: Due, *, closing: bool) -> Due:
    """An owed safety review stays the next action through every step but closing: only a clinician's
    recorded review clears it (review.safety_review_record, decision 0018)."""
    if closing or referral.next_action != intake.URGENT_REVIEW_TEXT:
        return due
    from liaison.referrals.intake_models import SafetyReview

    owed = SafetyReview.objects.filter(referral_id=referral.pk, decided_at__isnull=True).values_list("due_at")
    found = owed.first()
    return Due(intake.URGENT_REVIEW_TEXT, "clinician", referral.assigned_clinician_id, found[0]) if found else due


def _owner_column(role: str):
    """The next action's owner, read from the row's current assignment inside the UPDATE itself,
    so a move made from a copy loaded before a re-assignment cannot put back the old owner."""
    if role == "clinician":
        return F("assigned_clinician_id")
    if role:
        return F("assigned_coordinator_id")
    return None


def referral_assign(*, referral: Referral, by, coordinator=None, clinician=None) -> Referral:
    """Give the referral a coordinator and a clinician; the next action's owner follows."""
    errors = {}
    if coordinator is not None and coordinator.role not in ("coordinator", "director"):
        errors["coordinator"] = [f"{coordinator} is not a referral coordinator."]
    if clinician is not None and clinician.role not in ("clinician", "director"):
        errors["clinician"] = [f"{clinician} is not a treating clinician."]
    if errors:
        raise ValidationError(errors)
    referral.assigned_coordinator = coordinator
    referral.assigned_clinician = clinician
    # The owner follows the role the current next action needs (screening may have routed it to a clinician).
    role = referral.next_action_role
    owner = (clinician if role == "clinician" else coordinator) if role else None
    with transaction.atomic():
        Referral.objects.filter(pk=referral.pk).update(
            assigned_coordinator=coordinator,
            assigned_clinician=clinician,
            next_action_owner=owner,
            updated_at=timezone.now(),
        )
        referral.next_action_owner = owner
        event = ReferralEvent.objects.create(
            referral_id=referral.pk,
            at=timezone.now(),
            actor=by,
            actor_label=_label(by),
            kind=EventKind.ASSIGNED,
            detail={
                "coordinator": str(coordinator) if coordinator else None,
                "clinician": str(clinician) if clinician else None,
            },
        )
        audit_log(actor=by, action="assign", obj=referral, patient_id=referral.patient_id)
        events.publish(Published.ASSIGNED, referral_id=referral.pk, event_id=event.pk, context={"referral": referral})
    return referral


def referral_add_note(*, referral: Referral, by, text: str) -> ReferralEvent:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": "Write the note before saving it."})
    if len(text) > 5000:
        raise ValidationError({"text": "A note is at most 5,000 characters."})
    with transaction.atomic():
        event = ReferralEvent.objects.create(
            referral_id=referral.pk,
            at=timezone.now(),
            actor=by,
            actor_label=_label(by),
            kind=EventKind.NOTE,
            reason=text,
        )
        audit_log(actor=by, action="note", obj=referral, patient_id=referral.patient_id)
    return event
