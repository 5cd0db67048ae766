"""What the CRM does when a referral arrives: the relationship (the first-referral protocol, once) and the
referrer's health. Subscribed in crm/apps.py through the event registry (liaison.core.events), after commit:
the referrer gets their answer without waiting for either (decision 0010)."""

import logging

from django.db import transaction
from django.utils import timezone

from liaison.core.events import Event
from liaison.crm import services
from liaison.crm.health import health_refresh_one
from liaison.referrals.queries import referral_of

log = logging.getLogger(__name__)


def relationship(event: Event) -> None:
    """A referrer's first referral moves their relationship and starts the first-referral protocol; a unique
    constraint makes that happen once however often this runs. Health is the batch handler's."""
    referral = referral_of(event)
    if referral is not None:
        services.relationship_referral_received(referral=referral, refresh_health=False)


def health(events: list[Event]) -> None:
    """Each referrer's health, refreshed once for a whole batch of their referrals (an upsert: safe twice).
    A refresh that fails is logged and left to the nightly refresh; it never holds back the batch."""
    latest = {}
    for event in events:
        referral = referral_of(event)
        if referral is not None and referral.referrer_id:
            at = max(latest.get(referral.referrer_id, timezone.now()), referral.received_at)
            latest[referral.referrer_id] = at
    for referrer_id, at in sorted(latest.items()):
        try:
            with transaction.atomic():
                health_refresh_one(referrer_id=referrer_id, now=at)
        except Exception:
            log.exception("health refresh of referrer %s failed; the nightly refresh will catch up", referrer_id)
