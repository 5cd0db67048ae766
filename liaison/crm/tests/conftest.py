"""Helpers for building hand-made referral histories with known answers."""

from datetime import UTC, datetime, timedelta

import pytest

from liaison.crm.models import ClinicLocation
from liaison.crm.services import clinic_location_save
from liaison.referrals.tests.factories import ReferralFactory

T0 = datetime(2025, 1, 6, 15, 0, tzinfo=UTC)


def history(referrer, *days, start=T0, **extra):
    """Referrals from `referrer` on these day offsets from `start` (written directly, as history)."""
    return [ReferralFactory(referrer=referrer, received_at=start + timedelta(days=d), **extra) for d in days]


@pytest.fixture
def manhattan(db, admin):
    return clinic_location_save(location=ClinicLocation(name="Chelsea", zip_code="10001"), by=admin)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The target list checks for new ZIP codes once a minute and keeps the specialty list: start clean."""
    from django.core.cache import cache

    cache.clear()
