"""The referrers page: by name, a page at a time, with each referrer's own referral count."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from liaison.crm import referrer_list
from liaison.directory.tests.factories import ReferrerFactory
from liaison.referrals.tests.factories import ReferralFactory

pytestmark = pytest.mark.django_db


def test_referrers_are_paged_by_name_with_their_own_counts(client_for, liaison, monkeypatch):
    monkeypatch.setattr(referrer_list, "PAGE_SIZE", 2)
    adams, baker, carter = (ReferrerFactory(last_name=n) for n in ("Adams", "Baker", "Carter"))
    for day in (3, 9):
        ReferralFactory(referrer=carter, received_at=datetime(2026, 5, day, 15, tzinfo=UTC))
    ReferralFactory(referrer=adams)
    first = client_for(liaison).get(reverse("directory:referrers"))
    assert [(r.last_name, r.referral_count) for r in first.context["referrers"]] == [("Adams", 1), ("Baker", 0)]
    assert "Page 1 of 2" in first.content.decode()
    second = client_for(liaison).get(reverse("directory:referrers"), {"page": 2})
    (row,) = second.context["referrers"]
    assert (row.last_name, row.referral_count, row.last_referral_at.day) == ("Carter", 2, 9)
    assert client_for(liaison).get(reverse("directory:referrers"), {"page": "x"}).status_code == 200  # first page
