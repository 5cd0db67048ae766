"""Every write of comms: keyword-only functions, one transaction each, an audit row.

- communications_recompute: what a referral owes its referrer, after every lifecycle step;
- communications_sweep: the periodic pass (new maintenance months, escalation of overdue letters);
- letter_draft / letter_edit / letter_approve: the letter's life; approving signs it, freezes it and
  writes one outbox row in the same transaction;
- outbox_*: delivery, used by the workers (see worker.py and docs/decisions/0104-comms-outbox-delivery.md).
"""

import logging
import smtplib
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from liaison.accounts.access import roles_for
from liaison.comms import closed_days, delivery, letters, protocol
from liaison.comms.choices import (
    ADMINISTRATIVE_LETTERS,
    PENDING,
    DeadlineKind,
    DeliveryChannel,
    DueStatus,
    LetterStatus,
    OutboxStatus,
    SendPhase,
    Trigger,
)
from liaison.comms.models import CommsSettings, DueCommunication, Holiday, HolidayYear, Letter, Outbox, ProtocolRule
from liaison.core import events
from liaison.core.audit import audit_log
from liaison.core.validators import control_characters, flatten_to_one_line, refuse_control_characters
from liaison.referrals.choices import EventKind, Status
from liaison.referrals.models import Referral, ReferralEvent

log = logging.getLogger(__name__)

# A claim lasts this long unless renewed: the worker renews it every third of it while it sends a letter
# (worker.lease_kept), so a letter held by a worker that died is back in the queue within a minute.
LEASE_SECONDS = 30
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600
CHANNEL_PROBLEM_PREFIX = "No usable channel"
LETTER_WRITERS = roles_for("comms.letter.draft")  # the role table: liaison/accounts/access.py
CLINICAL_SIGNERS = roles_for("comms.letter.sign_clinical")


# ---------------------------------------------------------------- what is owed


def communications_recompute(
    *, referral: Referral, at: datetime | None = None, snapshot: protocol.Snapshot | None = None
) -> list[DueCommunication]:
    """Bring the referral's owed letters in line with its history: add what became owed, move due times
    and owners of letters not yet approved, and cancel those no longer owed. Safe to run twice.

    Derived data only: the step that caused it (intake, transition, session, alert) wrote the audit row,
    in the same transaction."""
    at = at or timezone.now()
    with transaction.atomic():
        # The referral's row is locked first, so that two recomputes of one referral (a coordinator's step and
        # the worker's follow-up) take turns and the second sees the letters the first added.
        referral = Referral.objects.select_for_update(of=("self",)).select_related("referrer").get(pk=referral.pk)
        wanted = {e.key: e for e in protocol.expected(referral, at=at, snapshot=snapshot)}
        comms = snapshot.comms if snapshot is not None else None
        route = delivery.route_for(referral.referrer, comms) if wanted else None
        problem = route.problem if route and route.problem else ""
        existing = {d.key: d for d in DueCommunication.objects.filter(referral_id=referral.pk)}
        new = [_new_due(referral, e, problem) for key, e in wanted.items() if key not in existing]
        changed = [d for key, d in existing.items() if d.status in PENDING and _refresh(d, wanted.get(key), problem)]
        DueCommunication.objects.bulk_create(new)
        DueCommunication.objects.bulk_update(
            changed, ["due_at", "owner", "status", "problem", "triggered_at", "reason"]
        )
    return new + changed


def _new_due(referral: Referral, e: protocol.Expected, problem: str) -> DueCommunication:
    return DueCommunication(
        referral=referral,
        key=e.key,
        rule=e.rule,
        letter_type=e.rule.letter_type,
        triggered_at=e.triggered_at,
        due_at=e.due_at,
        owner_id=e.owner_id,
        owner_role=e.rule.owner_role,
        problem=problem,
        reason=protocol.reason(e.rule),
    )


def _refresh(due: DueCommunication, e: protocol.Expected | None, problem: str) -> bool:
    before = (due.due_at, due.owner_id, due.status, due.problem, due.triggered_at, due.reason)
    if e is None:
        due.status = DueStatus.CANCELLED
    else:
        due.due_at, due.owner_id, due.triggered_at = e.due_at, e.owner_id, e.triggered_at
        due.reason = protocol.reason(e.rule)
        if not due.problem or due.problem.startswith(CHANNEL_PROBLEM_PREFIX) or "self-referral" in due.problem:
            due.problem = problem
    return before != (due.due_at, due.owner_id, due.status, due.problem, due.triggered_at, due.reason)


def protocol_rule_save(*, rule: ProtocolRule, by) -> ProtocolRule:
    """The practice's change to one line of the protocol (how often updates go out, a deadline, on or off),
    checked field by field first. Letters already owed keep their rule; recomputed ones follow the new one."""
    rule.full_clean()
    with transaction.atomic():
        rule.save()
        audit_log(
            actor=by,
            action="comms_protocol_rule_save",
            obj=rule,
            detail={"every_n_sessions": rule.every_n_sessions, "deadline_hours": rule.deadline_hours},
        )
    return rule


def communications_sweep(*, at: datetime | None = None) -> dict:
    """The periodic pass: start the letters of maintenance months that have begun, then escalate overdue
    letters to their owner's lead. Reads only open referrals and pending letters (both indexed)."""
    at = at or timezone.now()
    holidays = holidays_refresh(at=at)
    recomputed, snapshot = 0, protocol.Snapshot.load()
    for referral in _months_to_start(at):
        communications_recompute(referral=referral, at=at, snapshot=snapshot)
        recomputed += 1
    return {"recomputed": recomputed, "escalated": communications_escalate(at=at), "holidays": holidays}


def holidays_refresh(*, at: datetime | None = None) -> int:
    """This year's and next year's public holidays, each year loaded once (a day the practice removed stays
    removed). One query when both are there. Returns how many days were added."""
    at = at or timezone.now()
    year = timezone.localdate(at).year
    if HolidayYear.objects.filter(year__in=[year, year + 1]).count() == 2:
        return 0
    with transaction.atomic():
        added, _ = closed_days.load_years(
            Holiday, HolidayYear, years=[year, year + 1], state=settings.CLINIC_STATE, at=at
        )
        audit_log(actor=None, action="comms_holidays_load", object_type="comms.holiday", detail={"added": added})
    return added


def _months_to_start(at: datetime):
    monthly = ProtocolRule.objects.filter(
        trigger=Trigger.MAINTENANCE_MONTH, deadline_kind=DeadlineKind.MONTHLY, active=True
    ).values_list("shared_care_model", flat=True)
    current = DueCommunication.objects.filter(referral_id=OuterRef("pk"), key__startswith="month:", due_at__gt=at)
    return (
        Referral.objects.filter(is_open=True, status=Status.MAINTENANCE, referrer__shared_care_model__in=list(monthly))
        .exclude(Exists(current))
        .only("pk")
        .iterator(chunk_size=500)
    )


def communications_escalate(*, at: datetime | None = None) -> int:
    """Overdue letters not yet escalated go to their owner's lead (or stay with the practice when the owner
    has none); each is counted once. Returns how many were escalated now."""
    at = at or timezone.now()
    delay = timedelta(hours=CommsSettings.current().escalate_after_hours)
    rows = list(
        DueCommunication.objects.filter(status__in=PENDING, due_at__lt=at - delay, escalated_at__isnull=True)
        .order_by("due_at")
        .values_list("pk", "owner__lead_id")[:5000]
    )
    by_lead: dict[int | None, list[int]] = {}
    for pk, lead_id in rows:
        by_lead.setdefault(lead_id, []).append(pk)
    with transaction.atomic():
        for lead_id, ids in by_lead.items():
            DueCommunication.objects.filter(pk__in=ids, escalated_at__isnull=True).update(
                escalated_at=at, escalated_to_id=lead_id
            )
        if rows:
            audit_log(
                actor=None,
                action="comms_escalate",
                object_type="comms.duecommunication",
                detail={"count": len(rows), "ids": [pk for pk, _ in rows[:500]]},
            )
    return len(rows)


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


# ---------------------------------------------------------------- the outbox


class LeaseLost(Exception):
    """Another worker resolved this row's lease: stop before the message is committed."""


WORKER_STOPPED = "The worker sending this letter stopped before the mail server took it; it is back in the queue."


class Undeliverable(Exception):
    """A reason no retry can fix (a header no email may carry, no or a malformed address): the row fails at
    once, with the reason on the work queue, before any connection is made."""


def outbox_claim(
    *, worker: str, at: datetime | None = None, limit: int = 20, lease_seconds: int = LEASE_SECONDS
) -> list[int]:
    """Claim up to `limit` due rows for this worker: a conditional UPDATE per row, so two workers never
    hold the same row (healthchecks sendalerts style). A row another worker won meanwhile is skipped for the
    next one. Claiming is not an attempt: `attempts` counts only conversations with the server."""
    at = at or timezone.now()
    candidates = Outbox.objects.filter(status=OutboxStatus.QUEUED, next_attempt_at__lte=at).order_by(
        "next_attempt_at", "id"
    )
    claimed = []
    for pk in candidates.values_list("pk", flat=True)[: limit + 10]:
        won = Outbox.objects.filter(pk=pk, status=OutboxStatus.QUEUED).update(
            status=OutboxStatus.SENDING,
            phase=SendPhase.CONNECT,
            leased_by=worker,
            lease_until=at + timedelta(seconds=lease_seconds),
        )
        if won:
            claimed.append(pk)
            if len(claimed) == limit:
                break
    return claimed


def outbox_renew(*, outbox_id: int, worker: str, lease_seconds: int = LEASE_SECONDS) -> bool:
    """Extend this worker's lease on a row it is sending (its heartbeat). False: the lease is no longer its."""
    until = timezone.now() + timedelta(seconds=lease_seconds)
    return bool(
        Outbox.objects.filter(pk=outbox_id, status=OutboxStatus.SENDING, leased_by=worker).update(lease_until=until)
    )


def outbox_resolve_stale(*, at: datetime | None = None) -> int:
    """Rows whose worker vanished (lease passed). Before the final step nothing reached the recipient, so
    the row goes back to the queue; after it the server had the whole message, so the row is marked sent
    (unconfirmed) and never sent again. See the decision record."""
    at = at or timezone.now()
    stale = list(
        Outbox.objects.filter(status=OutboxStatus.SENDING, lease_until__lt=at).values_list("pk", "phase", "leased_by")
    )
    for pk, phase, holder in stale:
        mine = Outbox.objects.filter(pk=pk, status=OutboxStatus.SENDING, leased_by=holder, lease_until__lt=at)
        if phase == SendPhase.COMMIT:
            if mine.update(leased_by=f"resolver:{holder}"[:100]):
                _finish(pk, worker=f"resolver:{holder}"[:100], at=at, confirmed=False)
        else:
            mine.update(
                status=OutboxStatus.QUEUED,
                phase=SendPhase.NONE,
                leased_by="",
                lease_until=None,
                next_attempt_at=at,
                last_error=WORKER_STOPPED,
            )
    return len(stale)


def outbox_deliver(*, outbox_id: int, worker: str, at: datetime | None = None) -> str:
    """Deliver one claimed row and record the result. Returns the row's new status. Whatever goes wrong with
    this letter is recorded on its row: a reason no retry can fix fails it at once; a server away or busy puts
    it back with a backoff. Only a database error (nothing could be recorded) propagates."""
    outbox = Outbox.objects.select_related("letter", "letter__referral__referrer").get(pk=outbox_id)
    if outbox.status != OutboxStatus.SENDING or outbox.leased_by != worker:
        return outbox.status
    try:
        message = _prepare(outbox)
    except DatabaseError:
        raise
    except Exception as exc:  # noqa: BLE001 - anything that stops a letter being built is this letter's problem
        return _fail(outbox, worker, _build_problem(exc), permanent=True)
    try:
        _mark_attempt(outbox, worker)
        if message is not None:
            delivery.smtp_send(message, before_commit=lambda: _mark_commit(outbox, worker))
    except LeaseLost:
        return OutboxStatus.QUEUED
    except delivery.Ambiguous:
        _finish(outbox.pk, worker=worker, at=at, confirmed=False)
        return OutboxStatus.SENT
    except DatabaseError:
        raise
    except Exception as exc:  # noqa: BLE001 - sorted into "retry later" and "a person must look" below
        reason, permanent = _send_problem(exc)
        return _fail(outbox, worker, reason, permanent=permanent)
    _finish(outbox.pk, worker=worker, at=at, confirmed=True)
    return OutboxStatus.SENT


def _prepare(outbox: Outbox) -> EmailMultiAlternatives | None:
    """The email for this row, with every header built and checked now, before any connection is made.
    None for the portal: the signed letter is on the referrer's portal from the moment it is approved."""
    if outbox.channel == DeliveryChannel.PORTAL:
        return None
    problem = _header_problem(outbox)
    if problem:
        raise Undeliverable(problem)
    message = _email(outbox)
    message.message()  # Django refuses a header it cannot write safely: find out here, not mid-conversation
    return message


def _header_problem(outbox: Outbox) -> str:
    """Why this row cannot become an email, whatever a retry does; "" when it can."""
    letter = outbox.letter
    if found := control_characters(letter.subject):
        return f"The letter's subject holds a control character ({', '.join(found)}), which no email may carry"
    if not outbox.address:
        return "There is no recipient address for this letter"
    if control_characters(outbox.address) or not _valid_email(outbox.address):
        return f"The recipient address {outbox.address!r} is not a valid email address"
    sender = CommsSettings.current().from_email or settings.DEFAULT_FROM_EMAIL
    if control_characters(sender):
        return "The practice's sender address holds a control character"
    return ""


def _valid_email(address: str) -> bool:
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


def _build_problem(exc: Exception) -> str:
    if isinstance(exc, Undeliverable | letters.LetterTemplateError):
        return str(exc)
    return f"The letter could not be made into an email ({type(exc).__name__}: {exc})"


def _send_problem(exc: Exception) -> tuple[str, bool]:
    """(reason, permanent) for a failure during the conversation with the server."""
    if isinstance(exc, smtplib.SMTPResponseException):
        text = f"The mail server answered {exc.smtp_code}: {_reply_text(exc.smtp_error)}"
        return text, 500 <= exc.smtp_code < 600
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return f"The mail server refused the address: {exc.recipients}", True
    if isinstance(exc, smtplib.SMTPException | OSError):
        return f"The mail server could not be reached: {exc or type(exc).__name__}", False
    return f"Sending stopped on an unexpected error ({type(exc).__name__}: {exc})", True


def _reply_text(reply) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _mark_attempt(outbox: Outbox, worker: str) -> None:
    """Count a real attempt (the conversation with the server starts now), conditionally on the lease."""
    if not Outbox.objects.filter(pk=outbox.pk, status=OutboxStatus.SENDING, leased_by=worker).update(
        attempts=F("attempts") + 1
    ):
        raise LeaseLost()


def _mark_commit(outbox: Outbox, worker: str) -> None:
    if not Outbox.objects.filter(pk=outbox.pk, status=OutboxStatus.SENDING, leased_by=worker).update(
        phase=SendPhase.COMMIT
    ):
        raise LeaseLost()


def _email(outbox: Outbox) -> EmailMultiAlternatives:
    letter = outbox.letter
    sender = CommsSettings.current().from_email or settings.DEFAULT_FROM_EMAIL
    message = EmailMultiAlternatives(
        subject=letter.subject,
        body=letters.render_text(letter),
        from_email=sender,
        to=[outbox.address],
        headers={"Message-ID": outbox.message_id, "X-Liaison-Letter": str(letter.pk)},
    )
    message.attach_alternative(letters.render_html(letter, inline=True), "text/html")
    message.attach(
        f"{letter.referral.reference}-{letter.letter_type}.pdf", letters.render_pdf(letter), "application/pdf"
    )
    return message


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS))


def _fail(outbox: Outbox, worker: str, reason: str, *, permanent: bool) -> str:
    now = timezone.now()
    attempts = Outbox.objects.filter(pk=outbox.pk).values_list("attempts", flat=True).get()
    retry_at = now + _backoff(attempts)
    status = OutboxStatus.FAILED if permanent else OutboxStatus.QUEUED
    with transaction.atomic():
        updated = Outbox.objects.filter(pk=outbox.pk, status=OutboxStatus.SENDING, leased_by=worker).update(
            status=status,
            phase=SendPhase.NONE,
            leased_by="",
            lease_until=None,
            last_error=reason[:500],
            next_attempt_at=retry_at,
        )
        if updated:
            DueCommunication.objects.filter(pk=outbox.letter.due_id).update(
                problem=_failure_text(outbox, reason, attempts=attempts, retry_at=None if permanent else retry_at)
            )
            referral = outbox.letter.referral
            audit_log(
                actor=None,
                action="letter_delivery_failed",
                obj=outbox.letter,
                patient_id=referral.patient_id,
                detail={"reason": reason[:300], "attempt": attempts},
            )
    log.warning("outbox %s: %s", outbox.pk, reason)
    return status


def _failure_text(outbox: Outbox, reason: str, *, attempts: int, retry_at: datetime | None) -> str:
    """What the work queue says: failed for good (a person fixes it and sends it again), or retrying when."""
    by = outbox.get_channel_display().lower()
    if retry_at is None:
        tries = f" after {attempts} tr{'y' if attempts == 1 else 'ies'}" if attempts else ""
        text = f"Failed{tries}, not sent by {by}: {reason}. Fix it, then press Send again."
    else:
        when = f"{timezone.localtime(retry_at):%b %-d %-I:%M %p}"
        text = f"Delivery by {by} failed (try {attempts}): {reason}; retrying at {when}."
    return text[:300]


def _finish(outbox_id: int, *, worker: str, at: datetime | None, confirmed: bool) -> None:
    """Record a delivery: the row, the owed letter, the referral's timeline and the audit trail, together."""
    at = at or timezone.now()
    with transaction.atomic():
        if not Outbox.objects.filter(pk=outbox_id, status=OutboxStatus.SENDING, leased_by=worker).update(
            status=OutboxStatus.SENT, sent_at=at, confirmed=confirmed, lease_until=None, last_error=""
        ):
            return
        outbox = Outbox.objects.select_related("letter__referral").get(pk=outbox_id)
        letter, referral = outbox.letter, outbox.letter.referral
        note = "" if confirmed else " The worker stopped before the server's reply was recorded; it was not sent again."
        problem = "" if confirmed else "Delivered, unconfirmed: the server took the whole message; not resent."
        DueCommunication.objects.filter(pk=letter.due_id).update(
            status=DueStatus.DELIVERED, delivered_at=at, problem=problem
        )
        to = f" to {outbox.address}" if outbox.address else ""
        ReferralEvent.objects.create(
            referral_id=referral.pk,
            at=at,
            actor=None,
            actor_label="liaison",
            kind=EventKind.NOTE,
            reason=f"{letter.get_letter_type_display()} delivered by {outbox.get_channel_display().lower()}{to}.{note}",
            detail={
                "comms": "delivered",
                "letter": letter.pk,
                "channel": outbox.channel,
                "message_id": outbox.message_id,
                "confirmed": confirmed,
            },
        )
        audit_log(
            actor=None,
            action="letter_delivered",
            obj=letter,
            patient_id=referral.patient_id,
            detail={"channel": outbox.channel, "message_id": outbox.message_id},
        )


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


def outbox_problems_q() -> Q:
    return Q(status__in=PENDING) & ~Q(problem="")
