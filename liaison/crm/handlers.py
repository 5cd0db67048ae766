"""What the CRM does when a referral arrives: the relationship (the first-referral protocol, once) and the
referrer's health. Subscribed in crm/apps.py through the event registry (liaison.core.events), after commit:
the referrer gets their answer without waiting for either (decision 0010)."""

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from liaison.core.events import Event
from liaison.crm import services
from liaison.crm.health.refresh import health_refresh_referrers
from liaison.crm.health.scoring import WINDOW
from liaison.crm.models import Health
from liaison.referrals.queries import referral_of

log = logging.getLogger(__name__)
# A busy referrer (this many referrals or more: past their first referral, their stage set by their history)
# whose health was worked out this recently only has new referrals counted; everyone else is refreshed in full.
FRESH = timedelta(minutes=5)
BUSY = 100


def relationship(event: Event) -> None:
    """A referrer's first referral moves their relationship and starts the first-referral protocol; a unique
    constraint makes that happen once however often this runs. Health is the batch handler's."""
    referral = referral_of(event)
    if referral is not None:
        services.relationship_referral_received(referral=referral, refresh_health=False)


def health(events: list[Event]) -> None:
    """The health of every referrer of a batch of referrals, refreshed together: one set of aggregate queries for
    the whole batch (an upsert). For a busy referrer (BUSY referrals or more: the refresh aggregates their whole
    history, seconds for tens of thousands) refreshed within FRESH, only the referrals it has not counted yet are
    added to its count and last date, and its score waits for the next refresh (their next referral after FRESH,
    or the nightly one). Safe twice: a referral already counted (no later than the stored last referral) is not
    counted again. Should the batch's refresh fail, each referrer is tried on its own; a refresh that still fails
    is logged and left to the nightly refresh."""
    now, received = timezone.now(), {}
    for event in events:
        referral = referral_of(event)
        if referral is not None and referral.referrer_id:
            received.setdefault(referral.referrer_id, []).append(referral.received_at)
            now = max(now, referral.received_at)
    if not received:
        return
    busy = Health.objects.filter(referrer_id__in=received, total_referrals__gte=BUSY, last_referral_at__isnull=False)
    fresh = dict(busy.filter(computed_at__gte=now - FRESH).values_list("referrer_id", "last_referral_at"))
    for referrer_id, last_at in fresh.items():
        _count_new(referrer_id, last_at, received[referrer_id], now)
    _refresh([r for r in received if r not in fresh], now)


def _count_new(referrer_id: int, last_at, received: list, now) -> None:
    new = [at for at in received if at > last_at]
    if new:  # conditional on the last date read: a second worker that counted them first wins
        Health.objects.filter(referrer_id=referrer_id, last_referral_at=last_at).update(
            total_referrals=F("total_referrals") + len(new),
            last_90=F("last_90") + sum(at > now - WINDOW for at in new),
            last_referral_at=max(new),
            days_since_last=0,
        )


def _refresh(referrer_ids: list[int], now) -> None:
    if not referrer_ids:
        return
    try:
        with transaction.atomic():
            health_refresh_referrers(referrer_ids=referrer_ids, now=now)
        return
    except Exception:
        log.exception("health refresh of %s referrers failed; trying each on its own", len(referrer_ids))
    for referrer_id in sorted(referrer_ids):
        try:
            with transaction.atomic():
                health_refresh_referrers(referrer_ids=[referrer_id], now=now)
        except Exception:
            log.exception("health refresh of referrer %s failed; the nightly refresh will catch up", referrer_id)
