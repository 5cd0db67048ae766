"""Demo communications, for the demo generator: call `populate()` after the referrals exist.

    from liaison.comms import demo as comms_demo
    comms_demo.populate(seed=7)

It computes what every open referral owes its referrer, then drafts, signs and delivers the letters already
due as a practice that runs well would have: most before their deadline, a few late, at believable past times.
Letters that fell due in the last few hours are left for the work queue ("overdue this morning"), and those
due later stay owed. Synthetic, like the rest of the demo network."""

import random
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from liaison.accounts.choices import Role
from liaison.accounts.models import User
from liaison.comms import letter_days, letters, services
from liaison.comms.choices import ADMINISTRATIVE_LETTERS, DueStatus, OutboxStatus
from liaison.comms.models import DueCommunication, Outbox
from liaison.comms.on_time import counts_by
from liaison.comms.seed import seed_protocol
from liaison.referrals.models import Referral

DEMO_FILL = "Discussed with the patient; see the attached plan."
ON_TIME_SHARE = 0.94  # the letters-on-time page of a practice that runs well
LEFT_FOR_TODAY = timedelta(hours=6)  # letters that fell due this recently are still on the work queue


def populate(
    *,
    seed: int = 7,
    delivered_share: float = 1.0,
    on_time_share: float = ON_TIME_SHARE,
    limit: int | None = None,
    now: datetime | None = None,
) -> dict:
    """Due letters for open referrals (up to `limit`), and delivered letters for `delivered_share` of those
    due before the last LEFT_FOR_TODAY, `on_time_share` of them before their deadline. Returns counts. Safe to
    run again (recompute is idempotent; delivered letters stay)."""
    seed_protocol()
    # The demo's history (liaison.demo.practice) wrote its letters in bulk, around the services: their days first.
    letter_days.rebuild_letter_days()
    rng = random.Random(seed)
    now = now or timezone.now()
    referrals = Referral.objects.filter(is_open=True).exclude(referrer=None).order_by("id")
    count = 0
    for referral in referrals[:limit] if limit else referrals.iterator(chunk_size=500):
        services.communications_recompute(referral=referral, at=now)
        count += 1
    coordinator = User.objects.filter(role=Role.COORDINATOR, is_active=True).order_by("id").first()
    clinician = User.objects.filter(role=Role.CLINICIAN, is_active=True).order_by("id").first()
    due = DueCommunication.objects.filter(status=DueStatus.OWED, due_at__lt=now - LEFT_FOR_TODAY, problem="")
    delivered = 0
    for item in due.select_related("referral").order_by("id")[:2000]:
        on_time = rng.random() < on_time_share
        if rng.random() < delivered_share and _deliver(item, coordinator, clinician, rng, now, on_time=on_time):
            delivered += 1
    return {"referrals": count, "delivered": delivered}


def _sent_at(item: DueCommunication, rng: random.Random, now, *, on_time: bool) -> datetime:
    """When the letter went: between a quarter and nine tenths of its allowed time, or one hour to two days late. A
    letter owed immediately (a safety concern, an information request) is allowed the grace of decision 0045."""
    allowed = counts_by(due_at=item.due_at, triggered_at=item.triggered_at)
    span = (allowed - item.triggered_at).total_seconds()
    if on_time:
        at = item.triggered_at + timedelta(seconds=span * rng.uniform(0.25, 0.9))
    else:
        at = allowed + timedelta(hours=rng.uniform(1, 48))
    return min(at, now - timedelta(minutes=5))


def _deliver(item: DueCommunication, coordinator, clinician, rng: random.Random, now, *, on_time: bool) -> bool:
    """Draft, sign and deliver one letter as it happened; False (and nothing sent) if the letter cannot be signed
    as the record stands (no usable channel to its referrer, no longer owed)."""
    signer = coordinator if item.letter_type in ADMINISTRATIVE_LETTERS else clinician
    if signer is None:
        return False
    try:
        letter = services.letter_draft(due=item, by=signer)
        body = letters.PLACEHOLDER_RE.sub(DEMO_FILL, letter.body)
        services.letter_edit(letter=letter, by=signer, subject=letter.subject, body=body)
        sent_at = _sent_at(item, rng, now, on_time=on_time)
        signed_at = max(item.triggered_at, sent_at - timedelta(minutes=3))
        outbox = services.letter_approve(letter=letter, by=signer, at=signed_at)
    except ValidationError:
        return False
    worker = "demo"
    Outbox.objects.filter(pk=outbox.pk, status=OutboxStatus.QUEUED).update(
        status=OutboxStatus.SENDING, leased_by=worker
    )
    services._finish(outbox.pk, worker=worker, at=sent_at, confirmed=True)
    return True
