"""Delivery from the outbox, used by the workers (worker.py): claim with a lease, send with an idempotency
key, record every outcome, retry with back-off (decisions 0008 and 0013). Callers import these from
liaison.comms.services."""

import logging
import smtplib
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import DatabaseError, transaction
from django.db.models import F, Q
from django.utils import timezone

from liaison.comms import delivery, letter_days, letters, next_action
from liaison.comms.choices import (
    PENDING,
    DeliveryChannel,
    DueStatus,
    OutboxStatus,
    SendPhase,
)
from liaison.comms.models import CommsSettings, DueCommunication, Outbox
from liaison.core.audit import audit_log
from liaison.core.validators import control_characters
from liaison.referrals.choices import EventKind
from liaison.referrals.models import ReferralEvent

log = logging.getLogger(__name__)

# A claim lasts this long unless renewed: the worker renews it every third of it while it sends a letter
# (worker.lease_kept), so a letter held by a worker that died is back in the queue within a minute.
LEASE_SECONDS = 30
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600


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
        due = DueCommunication.objects.select_for_update().get(pk=letter.due_id)
        DueCommunication.objects.filter(pk=letter.due_id).update(
            status=DueStatus.DELIVERED, delivered_at=at, problem=problem
        )
        # The letters-on-time figures by day, in this transaction (decision 0033).
        before = letter_days.State.of(due)
        letter_days.record([(referral.referrer_id, before, before.delivered(at))])
        if due.key.startswith("month:"):  # the progress update sent: the referral's next one is due later
            next_action.maintenance_due_sync(referral)
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


def outbox_problems_q() -> Q:
    return Q(status__in=PENDING) & ~Q(problem="")
