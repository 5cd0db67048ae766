"""A new referral's follow-up: the referrer's relationship (the first-referral protocol once, a fresh
health score) and the letters the referral makes owed (the acknowledgment first).

By default the intake transaction only records that the follow-up is owed (an IntakeFollowUp row) and,
after commit, wakes the worker, which runs `followup_run`; the intake request stays quick and a crash in
between loses nothing, because the row stays until the work is done. LIAISON_INTAKE_FOLLOWUP=inline runs it
inside the intake transaction instead (no worker needed; the test suite and the demo's history use it).
Running a follow-up twice is harmless: each step is written to be repeated. Decision 0010."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from liaison.comms import services as comms_services
from liaison.comms.protocol import Snapshot
from liaison.crm import services as crm_services
from liaison.crm.health import health_refresh_one
from liaison.referrals.models import IntakeFollowUp, Referral

log = logging.getLogger(__name__)
INLINE, WORKER = "inline", "worker"
RETRY_FIRST = timedelta(minutes=1)  # after a failure; doubling each time
RETRY_LONGEST = timedelta(hours=6)


def followup_apply(
    referral: Referral, *, at: datetime | None = None, refresh_health: bool = True, snapshot: Snapshot | None = None
) -> None:
    """Everything a new referral starts beyond itself. Callers hold a transaction; a batch shares one
    `snapshot` of the communication protocol."""
    crm_services.relationship_referral_received(referral=referral, refresh_health=refresh_health)
    comms_services.communications_recompute(referral=referral, at=at, snapshot=snapshot)


def followup_owe(referral: Referral) -> None:
    """Inside the intake transaction: record the follow-up and wake the worker once the referral commits.
    Waking is a courtesy: if it fails (the broker is down), the referral is saved all the same and the next
    drain of the outbox runs the follow-up, so the error is logged, never shown to the referrer."""
    IntakeFollowUp.objects.create(referral=referral, created_at=timezone.now())
    transaction.on_commit(notify, robust=True)


def notify() -> None:
    """Wake the built-in worker, or queue the Celery task when that is the mode."""
    if settings.WORKER == "celery":
        from liaison.referrals.tasks import run_followups

        run_followups.delay()
    else:
        from liaison.comms import worker

        worker.wake()


def retry_delay(attempts: int) -> timedelta:
    """How long a follow-up that has failed `attempts` times waits before the next try."""
    return min(RETRY_FIRST * 2 ** max(attempts - 1, 0), RETRY_LONGEST)


def followups_stuck(*, now: datetime | None = None, older_than: timedelta = timedelta(minutes=10)) -> int:
    """Follow-ups that have failed, or have waited longer than a worker would let them: the work queue warns."""
    now = now or timezone.now()
    return IntakeFollowUp.objects.filter(Q(attempts__gt=0) | Q(created_at__lt=now - older_than)).count()


def followup_run(*, limit: int = 200) -> dict:
    """One batch of owed follow-ups, oldest first and those that never failed before those that did: each
    referral's steps in its own savepoint (one that fails keeps its row, with the error, and is tried again
    after retry_delay), then each referrer's health once for the whole batch. Rows are locked (SKIP LOCKED)
    so that two workers share a backlog without overlap."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            IntakeFollowUp.objects.select_for_update(skip_locked=True)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .order_by("attempts", "created_at", "referral_id")
            .values_list("referral_id", flat=True)[:limit]
        )
        if not ids:
            return {"done": 0, "failed": 0}
        referrals = Referral.objects.select_related("referrer").in_bulk(ids)
        snapshot = Snapshot.load()
        done, failed, latest = [], 0, {}
        for pk in ids:
            referral = referrals[pk]
            try:
                with transaction.atomic():
                    followup_apply(referral, refresh_health=False, snapshot=snapshot)
            except Exception as exc:
                log.exception("follow-up of referral %s failed; it stays owed", pk)
                row = IntakeFollowUp.objects.get(pk=pk)
                row.attempts += 1
                row.last_error, row.next_attempt_at = repr(exc)[:2000], now + retry_delay(row.attempts)
                row.save(update_fields=["attempts", "last_error", "next_attempt_at"])
                failed += 1
                continue
            done.append(pk)
            if referral.referrer_id:
                latest[referral.referrer_id] = max(latest.get(referral.referrer_id, now), referral.received_at)
        for referrer_id, at in sorted(latest.items()):
            try:
                with transaction.atomic():
                    health_refresh_one(referrer_id=referrer_id, now=at)
            except Exception:
                log.exception("health refresh of referrer %s failed; the nightly refresh will catch up", referrer_id)
        IntakeFollowUp.objects.filter(pk__in=done).delete()
    return {"done": len(done), "failed": failed}
