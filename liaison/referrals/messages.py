"""Messages between the practice and the referrer about one referral (decision 0039): the referrer's reply in the
portal (a message, PDF files, the missing history in the referral form's own fields), the practice's message from
the referral page, and the practice reading the replies.

A reply lands on the referral's timeline (EventKind.REPLY) and in its coordinator's inbox: the referral's next
action becomes "Read the referrer's reply", owned by its coordinator, until someone reads it or takes the referral a
step on; reading it puts back the next action the referral's status gives, with its original due time. History a
reply adds is checked as the referral form checks it, written to the referral, and the referral is screened again:
a new safety-critical answer (PHQ-9 item 9 above 0) reaches a clinician the same way as at intake."""

import copy
import hashlib
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from liaison.core import events
from liaison.core.audit import audit_log
from liaison.referrals import icd10, intake, plausibility, safety, screening, services
from liaison.referrals.choices import URGENCY_RANK, EventKind, MessageDirection, Published, Urgency
from liaison.referrals.intake_models import Attachment, SafetyReview, ScreeningResult
from liaison.referrals.message_models import MAX_MESSAGE_CHARS, ReferralMessage
from liaison.referrals.models import Diagnosis, MedicationTrial, Referral, ReferralEvent

REPLY_NEXT_ACTION = "Read the referrer's reply"
REPLY_DUE_WITHIN = timedelta(hours=24)
# The referral form's history fields a reply may give; a PHQ-9 given replaces the referral's as a whole.
HISTORY_FIELDS = (
    "episode_months", "prior_episodes", "current_medications", "psychotherapy_type", "psychotherapy_months",
    "psychotherapy_ongoing",
)  # fmt: skip
PHQ9_FIELDS = ("phq9_total", "phq9_items", "phq9_item9", "phq9_date")
NOTHING = "Write a message, attach a PDF or add some of the missing history before sending."
CLOSED = "This referral is closed, so replies are no longer taken here; please call the practice."
TOO_LONG = f"A message is at most {MAX_MESSAGE_CHARS:,} characters."
EMPTY = "Write the message before sending it."
SELF_REFERRAL = "This is a self-referral: there is no referring clinician to write to."
LABELS = {
    "episode_months": "length of the current episode",
    "prior_episodes": "prior episodes",
    "current_medications": "current medications",
    "psychotherapy_type": "psychotherapy",
    "psychotherapy_months": "psychotherapy duration",
    "psychotherapy_ongoing": "whether psychotherapy is ongoing",
}


def _label(user) -> str:
    return user.get_username() if user is not None else "system"


# ---------------------------------------------------------------- the referrer's reply


def reply_receive(
    *,
    referral: Referral,
    by,
    body: str = "",
    attachments: list[dict] = (),
    diagnoses: list[dict] = (),
    trials: list[dict] = (),
    history: dict | None = None,
    at: datetime | None = None,
) -> ReferralMessage:
    """The referrer's answer, written whole or not at all: the message, its PDF files (checked and cleaned as at
    intake), the diagnoses and trials it adds, the history fields it gives, the event on the timeline, the screening
    done again, and the next action for the coordinator. Bad input raises ValidationError naming every field at
    fault (`body`, `attachments.0`, `diagnoses.0.code`, `trials.1.weeks_at_dose`, `history.phq9_total`)."""
    at = at or timezone.now()
    body = (body or "").strip()
    attachments = [dict(a) for a in attachments]
    history = dict(history or {})
    confirmed = bool(history.pop(plausibility.CONFIRM, False))  # the referrer confirms unusual doses or weeks
    changes = _history_changes(history)
    new_diagnoses = [Diagnosis(**{**d, "description": d.get("description") or icd10.describe(d.get("code"))})
                     for d in diagnoses]  # fmt: skip
    new_trials = [MedicationTrial(**t) for t in trials]
    errors = _reply_errors(referral, body, attachments, changes, new_diagnoses, new_trials)
    _plausible(errors, referral, new_trials, confirmed=confirmed, at=at)
    if errors:
        raise ValidationError(errors)
    added = _added_lines(changes, new_diagnoses, new_trials)
    with transaction.atomic():
        message = ReferralMessage.objects.create(
            referral=referral, direction=MessageDirection.FROM_REFERRER, at=at, author=by, author_label=_label(by),
            body=body, added=added,
        )  # fmt: skip
        if changes:
            Referral.objects.filter(pk=referral.pk).update(**changes, updated_at=timezone.now())
            for field, value in changes.items():
                setattr(referral, field, value)
        for item in (*new_diagnoses, *new_trials):
            item.referral = referral
        Diagnosis.objects.bulk_create(new_diagnoses)
        MedicationTrial.objects.bulk_create(new_trials)
        _attach(referral, message, attachments, at=at)
        if changes or new_diagnoses or new_trials:
            _screen_again(referral, by=by, at=at)
        event = ReferralEvent.objects.create(
            referral_id=referral.pk, at=at, actor=by, actor_label=_label(by), kind=EventKind.REPLY, reason=body,
            detail={"message": message.pk, "added": added, "files": [a.get("filename") or "" for a in attachments]},
        )  # fmt: skip
        _reply_waiting(referral, at=at)
        audit_log(
            actor=by, action="reply", obj=referral, patient_id=referral.patient_id, detail={"message": message.pk}
        )
        events.publish(
            Published.REPLIED, referral_id=referral.pk, event_id=event.pk,
            context={"referral": referral, "message": message}, at=at, message_id=message.pk,
        )  # fmt: skip
    return message


def _plausible(errors: dict, referral: Referral, trials: list, *, confirmed: bool, at: datetime) -> None:
    """The intake's rule for doses and weeks (plausibility): those that cannot be right are refused, unusual ones
    until the referrer ticks that they are right, exactly as on the referral form."""
    found = plausibility.check(trials=trials, date_of_birth=referral.patient.date_of_birth, at=at)
    for key, said in [*found.errors.items(), *(() if confirmed else found.unusual.items())]:
        errors.setdefault(key, []).extend(said)
    if found.unusual and not confirmed:
        errors[f"history.{plausibility.CONFIRM}"] = [plausibility.CONFIRM_MESSAGE]


def _history_changes(history: dict) -> dict:
    """The history fields given (a blank field is not an answer), and the PHQ-9 as a whole when one is given."""
    changes = {f: history[f] for f in HISTORY_FIELDS if history.get(f) not in (None, "")}
    phq9 = screening.phq9_as_given({f: history.get(f) for f in PHQ9_FIELDS})
    if phq9["phq9_total"] is not None or phq9["phq9_items"]:
        changes.update(phq9)
    elif phq9["phq9_item9"] is not None:  # item 9 alone: the answer the referral's PHQ-9 lacked
        changes["phq9_item9"] = phq9["phq9_item9"]
    return changes


def _reply_errors(referral, body, attachments, changes, new_diagnoses, new_trials) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not referral.is_open:
        return {"body": [CLOSED]}
    if not (body or attachments or changes or new_diagnoses or new_trials):
        return {"body": [NOTHING]}
    if len(body) > MAX_MESSAGE_CHARS:
        errors["body"] = [TOO_LONG]
    if changes:
        updated = copy.copy(referral)
        for field, value in changes.items():
            setattr(updated, field, value)
        others = [f.name for f in Referral._meta.concrete_fields if f.name not in changes]
        services._collect(errors, "history", updated, exclude=others)
    for i, item in enumerate(new_diagnoses):
        services._collect(errors, f"diagnoses.{i}", item, exclude=("referral",))
    for i, item in enumerate(new_trials):
        services._collect(errors, f"trials.{i}", item, exclude=("referral",))
    errors.update(intake.check_attachments(attachments))  # cleans the good ones (pdf_clean) before anything is written
    return errors


def _added_lines(changes: dict, new_diagnoses, new_trials) -> list[str]:
    """What the reply added, in words, for the timeline and the message panel."""
    lines = [f"Diagnosis {d.code}{f' ({d.description})' if d.description else ''}" for d in new_diagnoses]
    for t in new_trials:
        dose = f" {t.daily_dose_mg:g} mg/day" if t.daily_dose_mg is not None else ""
        weeks = f" for {t.weeks_at_dose} weeks" if t.weeks_at_dose is not None else ""
        lines.append(f"Medication trial: {t.drug}{dose}{weeks}")
    lines += [f"{LABELS[f][0].upper()}{LABELS[f][1:]}" for f in HISTORY_FIELDS if f in changes]
    if any(f in changes for f in PHQ9_FIELDS):
        score = _phq9_words(changes)
        lines.append(f"PHQ-9{score}")
    return lines  # the files are listed with the message, each a link


def _phq9_words(changes: dict) -> str:
    items = changes.get("phq9_items")
    if items and None not in items:
        return f" (total {sum(items)})"
    if changes.get("phq9_total") is not None:
        return f" (total {changes['phq9_total']})"
    if items:
        return " (incomplete)"
    return f" item 9 ({changes['phq9_item9']})" if changes.get("phq9_item9") is not None else ""


def _attach(referral, message, attachments, *, at) -> None:
    Attachment.objects.bulk_create(
        [
            Attachment(
                referral=referral,
                message=message,
                filename=(a.get("filename") or "attachment.pdf")[:200],
                size=len(a["content"]),
                sha256=hashlib.sha256(a["content"]).hexdigest(),
                content=a["content"],
                uploaded_at=at,
            )  # fmt: skip
            for a in attachments
        ]
    )
    intake._note_cleaned(referral, attachments, at=at)


def _screen_again(referral: Referral, *, by, at) -> None:
    """Screen the referral with what the reply added, as at intake: the stored result is replaced; a safety-critical
    finding it did not have before reaches the safety alert; an urgent one owes a clinician's review, if none is
    owed or recorded yet, and routes the next action to the clinician (decision 0006)."""
    diagnoses = list(Diagnosis.objects.filter(referral_id=referral.pk))
    trials = list(MedicationTrial.objects.filter(referral_id=referral.pk))
    out = screening.screen(referral=referral, patient=referral.patient, diagnoses=diagnoses, trials=trials)
    before = ScreeningResult.objects.filter(referral_id=referral.pk).values_list("findings", flat=True).first() or []
    known = {(f.get("rule"), f.get("text")) for f in before}
    safety.findings_raise(
        referral=referral, findings=[f for f in out.findings if (f["rule"], f["text"]) not in known], by=by, at=at
    )
    ScreeningResult.objects.update_or_create(
        referral=referral,
        defaults={
            "screened_at": at, "resistance": out.resistance, "adequate_failed": out.adequate_failed,
            "unclear_trials": out.unclear_trials, "safety": out.safety, "missing_count": len(out.missing),
            "findings": out.findings,
            "information_request": screening.information_request(out, reference=referral.reference),
        },
    )  # fmt: skip
    if out.urgent and not SafetyReview.objects.filter(referral_id=referral.pk).exists():
        urgent = [f["rule"] for f in out.findings if f["outcome"] == "urgent"]
        SafetyReview.objects.create(
            referral=referral, owed_since=at, due_at=at + intake.URGENT_REVIEW_WITHIN, rules=urgent
        )
        referral.urgency, referral.urgency_rank = Urgency.URGENT, URGENCY_RANK[Urgency.URGENT]
        intake.route(referral, intake.Prepared(out, []), at=at)
        Referral.objects.filter(pk=referral.pk).update(
            urgency=referral.urgency, urgency_rank=referral.urgency_rank, next_action=referral.next_action,
            next_action_role=referral.next_action_role, next_action_owner_id=referral.next_action_owner_id,
            next_action_due_at=referral.next_action_due_at,
        )  # fmt: skip


def _reply_waiting(referral: Referral, *, at) -> None:
    """The referral's next action becomes reading the reply, for its coordinator, due within a day (or sooner, if
    what it replaces was due sooner). An owed safety review stays first."""
    if referral.next_action in (intake.URGENT_REVIEW_TEXT, REPLY_NEXT_ACTION):
        return
    due = at + REPLY_DUE_WITHIN
    if referral.next_action_due_at is not None:
        due = min(due, referral.next_action_due_at)
    fields = {
        "next_action": REPLY_NEXT_ACTION, "next_action_role": "coordinator",
        "next_action_owner_id": referral.assigned_coordinator_id, "next_action_due_at": due,
    }  # fmt: skip
    if (
        Referral.objects.filter(pk=referral.pk, is_open=True)
        .exclude(next_action=intake.URGENT_REVIEW_TEXT)
        .update(**fields, updated_at=timezone.now())
    ):
        for field, value in fields.items():
            setattr(referral, field, value)


# ---------------------------------------------------------------- the practice's side


def replies_read(*, referral: Referral, by, at: datetime | None = None) -> int:
    """The practice has read the referrer's replies: each is marked read, and the referral's next action is again
    the one its status gives, due when it was due before the reply came. Returns how many were unread."""
    at = at or timezone.now()
    with transaction.atomic():
        done = ReferralMessage.objects.filter(
            referral_id=referral.pk, direction=MessageDirection.FROM_REFERRER, read_at__isnull=True
        ).update(read_at=at, read_by=by)
        _next_action_back(referral)
        if done:
            audit_log(actor=by, action="replies_read", obj=referral, patient_id=referral.patient_id)
    return done


def _next_action_back(referral: Referral) -> None:
    if referral.next_action != REPLY_NEXT_ACTION:
        return
    entered = (
        ReferralEvent.objects.filter(referral_id=referral.pk, kind=EventKind.TRANSITION)
        .order_by("-at", "-id")
        .values_list("at", flat=True)
        .first()
    ) or referral.received_at
    due = services.next_action_for(referral, status=referral.status, at=entered)
    fields = {"next_action": due.text, "next_action_role": due.role, "next_action_owner_id": due.owner_id,
              "next_action_due_at": due.due_at}  # fmt: skip
    if Referral.objects.filter(pk=referral.pk, next_action=REPLY_NEXT_ACTION).update(
        **fields, updated_at=timezone.now()
    ):
        for field, value in fields.items():
            setattr(referral, field, value)


def message_send(*, referral: Referral, by, body: str, at: datetime | None = None) -> ReferralMessage:
    """The practice's message to the referrer, read in the portal. Answering reads the referrer's replies. After
    commit the worker emails the referrer a notice that holds no patient details, only a link to the portal page."""
    at = at or timezone.now()
    body = (body or "").strip()
    if referral.referrer_id is None:
        raise ValidationError({"body": [SELF_REFERRAL]})
    if not body or len(body) > MAX_MESSAGE_CHARS:
        raise ValidationError({"body": [EMPTY if not body else TOO_LONG]})
    with transaction.atomic():
        message = ReferralMessage.objects.create(
            referral=referral, direction=MessageDirection.TO_REFERRER, at=at, author=by, author_label=_label(by),
            body=body,
        )  # fmt: skip
        event = ReferralEvent.objects.create(
            referral_id=referral.pk, at=at, actor=by, actor_label=_label(by), kind=EventKind.MESSAGE, reason=body,
            detail={"message": message.pk},
        )  # fmt: skip
        replies_read(referral=referral, by=by, at=at)
        audit_log(
            actor=by, action="message", obj=referral, patient_id=referral.patient_id, detail={"message": message.pk}
        )
        # Email leaves from the worker, after commit, whatever the follow-up setting (slow I/O stays outside).
        events.publish(
            Published.MESSAGED, referral_id=referral.pk, event_id=event.pk, context={"referral": referral},
            mode=events.WORKER, at=at, message_id=message.pk,
        )  # fmt: skip
    return message


def messages_seen(*, referral: Referral, by, at: datetime | None = None) -> int:
    """The referrer opened the referral in the portal: the practice's messages to them are read."""
    return ReferralMessage.objects.filter(
        referral_id=referral.pk, direction=MessageDirection.TO_REFERRER, read_at__isnull=True
    ).update(read_at=at or timezone.now(), read_by=by)


# ---------------------------------------------------------------- reads


def messages_of(referral: Referral) -> list[ReferralMessage]:
    """The referral's messages, oldest first, each with its files (not their content). Callers have checked that
    the asker may see the referral (queries.referral_get, portal_queries.portal_get)."""
    files = Attachment.objects.only("id", "message_id", "filename", "size").order_by("id")
    return list(
        ReferralMessage.objects.filter(referral_id=referral.pk)
        .select_related("author", "read_by")
        .prefetch_related(Prefetch("attachments", queryset=files))
        .order_by("at", "id")
    )
