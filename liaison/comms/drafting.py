"""A letter's life before delivery: drafted from the record, edited, signed and frozen; signing writes one
outbox row in the same transaction. Callers import these from liaison.comms.services."""

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from liaison.accounts.access import roles_for
from liaison.comms import delivery, letters
from liaison.comms.choices import (
    ADMINISTRATIVE_LETTERS,
    PENDING,
    DueStatus,
    LetterStatus,
    OutboxStatus,
)
from liaison.comms.models import CommsSettings, DueCommunication, Letter, Outbox
from liaison.core import events
from liaison.core.audit import audit_log
from liaison.core.validators import control_characters, flatten_to_one_line, refuse_control_characters
from liaison.referrals.models import Referral

LETTER_WRITERS = roles_for("comms.letter.draft")  # the role table: liaison/accounts/access.py
CLINICAL_SIGNERS = roles_for("comms.letter.sign_clinical")


# ---------------------------------------------------------------- letters


def _require(by, roles, what: str) -> None:
    if by is None or getattr(by, "role", None) not in roles:
        raise ValidationError({"__all__": [f"{what} is not part of your role."]})


NO_LONGER_OWED = "This letter is no longer owed (the referral's course changed); nothing was drafted or sent."
SIGNED_BAD_SUBJECT = (
    "This letter was signed with a control character in its subject (from a name entered before names were "
    "checked). A signed letter cannot change, so it cannot go by email or fax; send its PDF by hand."
)


def letter_draft(*, due: DueCommunication, by) -> Letter:
    """The letter for an owed communication, drafted from the record on first call (later calls return it).
    A template that names a missing field leaves the reason on the work queue and writes no letter."""
    _require(by, LETTER_WRITERS, "Drafting letters")
    existing = Letter.objects.filter(due=due).first()
    if existing is not None:
        return existing
    if due.status == DueStatus.CANCELLED:
        raise ValidationError({"__all__": [NO_LONGER_OWED]})
    referral = Referral.objects.select_related("patient", "referrer", "referrer__practice").get(pk=due.referral_id)
    try:
        facts = letters.letter_context(referral, due)
        subject, body = letters.draft_words(due.letter_type, facts)
        subject = flatten_to_one_line(subject)  # a name stored before names were checked: the signer sees this
        probe = Letter(letter_type=due.letter_type, subject=subject, body=body, facts=facts)
        letters.render_html(probe)
    except letters.LetterTemplateError as exc:
        DueCommunication.objects.filter(pk=due.pk).update(problem=str(exc)[:300])
        raise ValidationError({"template": [str(exc)]}) from None
    now = timezone.now()
    try:
        with transaction.atomic():
            letter = Letter.objects.create(
                due=due,
                referral=referral,
                letter_type=due.letter_type,
                subject=subject,
                body=body,
                facts=facts,
                drafted_at=now,
                drafted_by=by,
            )
            DueCommunication.objects.filter(pk=due.pk, status=DueStatus.OWED).update(status=DueStatus.DRAFTED)
            audit_log(actor=by, action="letter_draft", obj=letter, patient_id=referral.patient_id)
    except IntegrityError:
        return Letter.objects.get(due=due)
    return letter


def letter_edit(*, letter: Letter, by, subject: str, body: str) -> Letter:
    """Change a draft's words. A signed letter is frozen: refused here, and by the database."""
    _require(by, LETTER_WRITERS, "Editing letters")
    subject, body = (subject or "").strip(), (body or "").strip()
    errors = {}
    if not subject:
        errors["subject"] = ["Give the letter a subject."]
    elif len(subject) > 200:
        errors["subject"] = ["A subject is at most 200 characters."]
    errors.update(_control_errors(subject=subject, body=body))
    if not body:
        errors["body"] = ["The letter has no words."]
    elif len(body) > 20000:
        errors["body"] = ["A letter is at most 20,000 characters."]
    if letter.is_frozen:
        errors["__all__"] = ["This letter is signed; a signed letter cannot be changed."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if not Letter.objects.filter(pk=letter.pk, status=LetterStatus.DRAFT).update(subject=subject, body=body + "\n"):
            raise ValidationError({"__all__": ["This letter was signed meanwhile; it cannot be changed."]})
        audit_log(actor=by, action="letter_edit", obj=letter, patient_id=_patient_id(letter))
    letter.subject, letter.body = subject, body + "\n"
    return letter


def _control_errors(*, subject: str, body: str | None = None) -> dict[str, list[str]]:
    """The last line of defence before a header is built: a subject is one line, a body has no control
    characters but line breaks and tabs (liaison.core.validators)."""
    errors = {}
    for name, value, multiline in (("subject", subject, False), ("body", body, True)):
        try:
            refuse_control_characters(value, multiline=multiline)
        except ValidationError as exc:
            errors[name] = exc.messages
    return errors


def _patient_id(letter: Letter) -> int:
    return Referral.objects.filter(pk=letter.referral_id).values_list("patient_id", flat=True).get()


def letter_approve(*, letter: Letter, by, at: datetime | None = None) -> Outbox:
    """Sign the letter, freeze it and put one row in the outbox, in one transaction. Refused, with every
    reason, if gaps are left to fill, the signer may not sign this kind of letter, or there is no way to
    deliver it."""
    at = at or timezone.now()
    referral = Referral.objects.select_related("referrer").get(pk=letter.referral_id)
    signers = LETTER_WRITERS if letter.letter_type in ADMINISTRATIVE_LETTERS else CLINICAL_SIGNERS
    errors: dict[str, list[str]] = {}
    if getattr(by, "role", None) not in signers:
        errors.setdefault("__all__", []).append("A clinician signs this letter.")
    if letter.is_frozen:
        errors.setdefault("__all__", []).append("This letter is already signed.")
    if DueCommunication.objects.filter(pk=letter.due_id, status=DueStatus.CANCELLED).exists():
        errors.setdefault("__all__", []).append(NO_LONGER_OWED)
    gaps = letters.placeholders(letter.body)
    if gaps:
        errors["body"] = [f"Fill in before signing: {'; '.join(gaps)}."]
    errors.update(_control_errors(subject=letter.subject))
    route = delivery.route_for(referral.referrer)
    if route.problem:
        errors["channel"] = [route.problem]
    if errors:
        raise ValidationError(errors)
    signature = f"{by.get_full_name() or by.get_username()}, {by.get_role_display()}"
    with transaction.atomic():
        if not Letter.objects.filter(pk=letter.pk, status=LetterStatus.DRAFT).update(
            status=LetterStatus.SIGNED, signed_at=at, signed_by=by, signature=signature
        ):
            raise ValidationError({"__all__": ["This letter was signed meanwhile."]})
        outbox = Outbox.objects.create(
            letter=letter,
            channel=route.channel,
            address=route.address,
            message_id=f"<letter-{letter.pk}.{referral.pk}@{_mail_domain()}>",
            next_attempt_at=at,
        )
        if not DueCommunication.objects.filter(pk=letter.due_id, status__in=PENDING).update(
            status=DueStatus.APPROVED, problem=""
        ):
            raise ValidationError({"__all__": [NO_LONGER_OWED]})  # cancelled meanwhile: the signature is undone
        audit_log(
            actor=by,
            action="letter_approve",
            obj=letter,
            patient_id=referral.patient_id,
            detail={"channel": route.channel},
        )
        transaction.on_commit(lambda: _notify(outbox.pk), robust=True)  # the drain sends it if this fails
    letter.refresh_from_db()
    return outbox


def _notify(outbox_id: int) -> None:
    """Wake the worker (comms' tasks.wake, registered with core.events: the Celery task or the built-in
    thread); the outbox row is the record, so a wake-up that fails only delays the letter to the next drain."""
    events.wake()


def _mail_domain() -> str:
    sender = CommsSettings.current().from_email or settings.DEFAULT_FROM_EMAIL
    return sender.rsplit("@", 1)[-1].strip(">").strip() or "liaison.local"


def outbox_retry(*, outbox: Outbox, by) -> Outbox:
    """A person puts a failed delivery back in the queue, after fixing what stopped it (the referrer's address,
    say): the route is worked out again from the referrer as they are now."""
    _require(by, LETTER_WRITERS, "Resending letters")
    letter = Letter.objects.select_related("referral__referrer").get(pk=outbox.letter_id)
    if control_characters(letter.subject):
        raise ValidationError({"__all__": [SIGNED_BAD_SUBJECT]})
    route = delivery.route_for(letter.referral.referrer)
    if route.problem:
        raise ValidationError({"channel": [route.problem]})
    with transaction.atomic():
        if not Outbox.objects.filter(pk=outbox.pk, status=OutboxStatus.FAILED).update(
            status=OutboxStatus.QUEUED,
            next_attempt_at=timezone.now(),
            last_error="",
            channel=route.channel,
            address=route.address,
        ):
            raise ValidationError({"__all__": ["Only a failed delivery can be sent again."]})
        DueCommunication.objects.filter(pk=letter.due_id).update(problem="")
        audit_log(actor=by, action="letter_resend", obj=outbox.letter, patient_id=_patient_id(outbox.letter))
    transaction.on_commit(lambda: _notify(outbox.pk), robust=True)
    return outbox
