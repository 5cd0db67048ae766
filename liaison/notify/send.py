"""Sending notices, from the worker (decision 0041, on comms' outbox pattern, decisions 0008 and 0013): claim a
due row with a conditional update and a lease, build the message, record the phase before handing it over, and
record every outcome. Before the hand-over nothing reached anyone, so a failure is tried again with a growing
delay; from the hand-over on it may have, so it is never sent again. Exactly once, at most one worker a row."""

import logging
import smtplib
from datetime import datetime, timedelta

from django.core.mail import EmailMessage
from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone

from liaison.comms import delivery
from liaison.comms.worker import worker_name
from liaison.core.audit import audit_log
from liaison.notify import appointments, compose, links, sms
from liaison.notify.choices import PATIENT_KINDS, Channel, NoticeKind, NoticeStatus, SendPhase
from liaison.notify.models import Notice
from liaison.referrals.choices import EventKind
from liaison.referrals.models import Referral, ReferralEvent

log = logging.getLogger(__name__)
LEASE_SECONDS = 300  # longer than any one conversation (EMAIL_TIMEOUT, LIAISON_SMS_TIMEOUT): no heartbeat needed
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_LONGEST = timedelta(hours=1)
GIVE_UP_AFTER = timedelta(hours=24)  # a notice a day late is no news: it fails, and the digest has what it said
WORKER_STOPPED = "The worker sending this stopped before handing it over; it was tried again."


class LeaseLost(Exception):
    """Another worker took this row back: stop before handing anything over."""


def deliver_due(*, limit: int = 20, worker: str | None = None) -> dict:
    """The worker's pass: put back rows whose worker vanished, then claim and send due notices one at a time.
    Returns counts by outcome."""
    worker = worker or worker_name()
    notices_resolve_stale()
    results: dict[str, int] = {}
    for _ in range(limit):
        claimed = notice_claim(worker=worker)
        if claimed is None:
            break
        try:
            status = notice_deliver(notice_id=claimed, worker=worker)
        except Exception:
            log.exception("notice %s: sending stopped; it goes back when its lease runs out", claimed)
            status = "error"
        results[status] = results.get(status, 0) + 1
    return results


def notice_claim(*, worker: str, at: datetime | None = None) -> int | None:
    """The next due row, won by a conditional update (two workers never hold the same row)."""
    at = at or timezone.now()
    due = Notice.objects.filter(status=NoticeStatus.QUEUED, next_attempt_at__lte=at).order_by("next_attempt_at", "id")
    for pk in due.values_list("pk", flat=True)[:10]:
        if Notice.objects.filter(pk=pk, status=NoticeStatus.QUEUED).update(
            status=NoticeStatus.SENDING,
            phase=SendPhase.CONNECT,
            leased_by=worker,
            lease_until=at + timedelta(seconds=LEASE_SECONDS),
        ):
            return pk
    return None


def notices_resolve_stale(*, at: datetime | None = None) -> int:
    """Rows whose worker vanished: before the hand-over back to the queue; after it, sent (unconfirmed)."""
    at = at or timezone.now()
    stale = list(
        Notice.objects.filter(status=NoticeStatus.SENDING, lease_until__lt=at).values_list("pk", "phase", "leased_by")
    )
    for pk, phase, holder in stale:
        if phase == SendPhase.COMMIT:
            _finish(pk, worker=holder, at=at, confirmed=False)
        else:
            Notice.objects.filter(pk=pk, status=NoticeStatus.SENDING, leased_by=holder).update(
                status=NoticeStatus.QUEUED, phase=SendPhase.NONE, leased_by="", lease_until=None,
                next_attempt_at=at, last_error=WORKER_STOPPED,
            )  # fmt: skip
    return len(stale)


def notice_deliver(*, notice_id: int, worker: str, at: datetime | None = None) -> str:
    """Send one claimed notice and record the outcome; returns its new status. Only a database error propagates."""
    at = at or timezone.now()
    notice = Notice.objects.select_related("link").get(pk=notice_id)
    if notice.status != NoticeStatus.SENDING or notice.leased_by != worker:
        return notice.status
    if reason := _not_needed(notice, at):
        return _settle(notice, worker, NoticeStatus.CANCELLED, reason)
    try:
        message = compose.build(notice)
    except DatabaseError:
        raise
    except (compose.Undeliverable, links.Unreadable, sms.Refused) as exc:
        return _fail(notice, worker, str(exc), permanent=True)
    try:
        _attempt(notice, worker)
        _hand_over(notice, worker, message)
    except LeaseLost:
        return NoticeStatus.QUEUED
    except (delivery.Ambiguous, sms.Ambiguous):
        _finish(notice.pk, worker=worker, at=at, confirmed=False)
        return NoticeStatus.SENT
    except DatabaseError:
        raise
    except Exception as exc:  # noqa: BLE001 - sorted below into "try again" and "a person must look"
        reason, permanent = _problem(exc)
        return _fail(notice, worker, reason, permanent=permanent or at - notice.created_at > GIVE_UP_AFTER)
    _finish(notice.pk, worker=worker, at=at, confirmed=True)
    return NoticeStatus.SENT


def _not_needed(notice: Notice, at: datetime) -> str:
    """Why a patient's message need not go any more ("" if it must)."""
    if notice.kind == NoticeKind.APPOINTMENT:
        return appointments.not_needed(notice, at)
    link = notice.link
    if notice.kind not in PATIENT_KINDS or link is None:
        return ""
    if link.used_at is not None:
        return "The patient has answered the questionnaire."
    if link.expires_at <= at:
        return "The link expired before the message could go."
    return ""


def _hand_over(notice: Notice, worker: str, message) -> None:
    def commit() -> None:
        if not Notice.objects.filter(pk=notice.pk, status=NoticeStatus.SENDING, leased_by=worker).update(
            phase=SendPhase.COMMIT
        ):
            raise LeaseLost()

    if isinstance(message, EmailMessage):
        message.extra_headers["Message-ID"] = notice.message_id
        delivery.smtp_send(message, before_commit=commit)
    else:
        sms.backend().send(message, before_commit=commit)


def _attempt(notice: Notice, worker: str) -> None:
    if not Notice.objects.filter(pk=notice.pk, status=NoticeStatus.SENDING, leased_by=worker).update(
        attempts=F("attempts") + 1
    ):
        raise LeaseLost()


def _problem(exc: Exception) -> tuple[str, bool]:
    """(reason, permanent) for a failure while handing over."""
    if isinstance(exc, smtplib.SMTPResponseException):
        reply = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        return f"The mail server answered {exc.smtp_code}: {reply}", 500 <= exc.smtp_code < 600
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return f"The mail server refused the address: {list(exc.recipients)}", True
    if isinstance(exc, sms.Refused):
        return str(exc), True
    if isinstance(exc, sms.Unavailable):
        return str(exc), False
    if isinstance(exc, smtplib.SMTPException | OSError):
        return f"The mail server could not be reached: {exc or type(exc).__name__}", False
    return f"Sending stopped on an unexpected error ({type(exc).__name__}: {exc})", True


def _fail(notice: Notice, worker: str, reason: str, *, permanent: bool) -> str:
    if permanent:
        return _settle(notice, worker, NoticeStatus.FAILED, reason)
    attempts = Notice.objects.filter(pk=notice.pk).values_list("attempts", flat=True).get()
    retry_at = timezone.now() + min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_LONGEST)
    Notice.objects.filter(pk=notice.pk, status=NoticeStatus.SENDING, leased_by=worker).update(
        status=NoticeStatus.QUEUED, phase=SendPhase.NONE, leased_by="", lease_until=None,
        last_error=reason[:500], next_attempt_at=retry_at,
    )  # fmt: skip
    log.warning("notice %s: %s; trying again at %s", notice.pk, reason, retry_at)
    return NoticeStatus.QUEUED


def _settle(notice: Notice, worker: str, status: str, reason: str) -> str:
    """Failed for good, or not needed any more: the kept link is wiped, and a patient's message says so on the
    referral's timeline."""
    with transaction.atomic():
        if (
            Notice.objects.filter(pk=notice.pk, status=NoticeStatus.SENDING, leased_by=worker).update(
                status=status, phase=SendPhase.NONE, leased_by="", lease_until=None, last_error=reason[:500], secret=""
            )
            and status == NoticeStatus.FAILED
        ):
            _timeline(notice, f"could not be sent: {reason.rstrip('.')}.", failed=True)
    if status == NoticeStatus.FAILED:
        log.warning("notice %s failed: %s", notice.pk, reason)
    return status


def _finish(notice_id: int, *, worker: str, at: datetime, confirmed: bool) -> None:
    with transaction.atomic():
        if not Notice.objects.filter(pk=notice_id, status=NoticeStatus.SENDING, leased_by=worker).update(
            status=NoticeStatus.SENT, sent_at=at, confirmed=confirmed, lease_until=None, last_error="", secret=""
        ):
            return
        notice = Notice.objects.get(pk=notice_id)
        _timeline(notice, "sent." if confirmed else "handed over (the worker stopped before the reply; not resent).")


def _timeline(notice: Notice, what: str, *, failed: bool = False) -> None:
    """A patient's message on the referral's timeline and the audit trail (staff notices stay in notify's rows)."""
    appointment = notice.kind == NoticeKind.APPOINTMENT
    if (notice.kind not in PATIENT_KINDS and not appointment) or notice.referral_id is None:
        return
    name = "reminder of the questionnaire link" if notice.kind == NoticeKind.QUESTIONNAIRE_REMINDER else "link"
    how = "text message" if notice.channel == Channel.SMS else "email"
    words = appointments.timeline_words(notice) if appointment else f"The questionnaire {name} by {how}"
    ReferralEvent.objects.create(
        referral_id=notice.referral_id, at=timezone.now(), actor=None, actor_label="liaison", kind=EventKind.NOTE,
        reason=f"{words} {what}"[:500],
        detail={"notify": "failed" if failed else "sent", "notice": notice.pk, "channel": notice.channel},
    )  # fmt: skip
    audit_log(
        actor=None, action="notice_failed" if failed else "notice_sent", obj=notice,
        patient_id=_patient_of(notice), detail={"kind": notice.kind},
    )  # fmt: skip


def _patient_of(notice: Notice) -> int | None:
    if notice.link_id:
        return notice.link.referral.patient_id
    return Referral.objects.filter(pk=notice.referral_id).values_list("patient_id", flat=True).first()
