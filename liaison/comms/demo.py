"""Demo communications, for the demo generator: call `populate()` after the referrals exist.

    from liaison.comms import demo as comms_demo
    comms_demo.populate(seed=7)

It computes what every open referral owes its referrer, then for a share of the letters already due it
drafts, signs and delivers them as the clinic would have, at believable past times (some late), so the
work queue, the referral timelines and the on-time figures have something to show. Synthetic, like the
rest of the demo network."""

import random
from datetime import timedelta

from django.utils import timezone

from liaison.accounts.choices import Role
from liaison.accounts.models import User
from liaison.comms import letter_days, letters, services
from liaison.comms.choices import ADMINISTRATIVE_LETTERS, DueStatus, LetterType, OutboxStatus
from liaison.comms.models import DueCommunication, Outbox
from liaison.comms.seed import seed_protocol
from liaison.referrals.models import Referral

DEMO_FILL = "Discussed with the patient; see the attached plan."
SENT_TYPES = (LetterType.ACKNOWLEDGMENT, LetterType.FIRST_REFERRAL_THANKS, LetterType.EVALUATION_SUMMARY)


def populate(*, seed: int = 7, delivered_share: float = 0.6, limit: int | None = None) -> dict:
    """Due letters for open referrals (up to `limit`), and delivered letters for `delivered_share` of those
    already due. Returns counts. Safe to run again (recompute is idempotent; delivered letters stay)."""
    seed_protocol()
    # The demo's history (liaison.demo.practice) wrote its letters in bulk, around the services: their days first.
    letter_days.rebuild_letter_days()
    rng = random.Random(seed)
    now = timezone.now()
    referrals = Referral.objects.filter(is_open=True).exclude(referrer=None).order_by("id")
    count = 0
    for referral in referrals[:limit] if limit else referrals.iterator(chunk_size=500):
        services.communications_recompute(referral=referral, at=now)
        count += 1
    coordinator = User.objects.filter(role=Role.COORDINATOR, is_active=True).order_by("id").first()
    clinician = User.objects.filter(role=Role.CLINICIAN, is_active=True).order_by("id").first()
    due = DueCommunication.objects.filter(status=DueStatus.OWED, due_at__lt=now, letter_type__in=SENT_TYPES, problem="")
    delivered = 0
    for item in due.select_related("referral").order_by("id")[:2000]:
        if rng.random() < delivered_share and _deliver(item, coordinator, clinician, rng, now):
            delivered += 1
    return {"referrals": count, "delivered": delivered}


def _deliver(item: DueCommunication, coordinator, clinician, rng: random.Random, now) -> bool:
    signer = coordinator if item.letter_type in ADMINISTRATIVE_LETTERS else clinician
    if signer is None:
        return False
    letter = services.letter_draft(due=item, by=signer)
    body = letters.PLACEHOLDER_RE.sub(DEMO_FILL, letter.body)
    services.letter_edit(letter=letter, by=signer, subject=letter.subject, body=body)
    span = (item.due_at - item.triggered_at).total_seconds() or 3600
    sent_at = min(item.triggered_at + timedelta(seconds=span * rng.uniform(0.2, 1.4)), now - timedelta(minutes=5))
    outbox = services.letter_approve(letter=letter, by=signer, at=sent_at - timedelta(minutes=3))
    worker = "demo"
    Outbox.objects.filter(pk=outbox.pk, status=OutboxStatus.QUEUED).update(
        status=OutboxStatus.SENDING, leased_by=worker
    )
    services._finish(outbox.pk, worker=worker, at=sent_at, confirmed=True)
    return True
