"""The portal's list, read per referrer and open/closed and merged (portal_queries.portal_list on PostgreSQL; one
sorted query on SQLite): the same rows in the same order, a page at a time, as one sort of everything in scope."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from liaison.directory.tests.factories import ReferrerFactory
from liaison.referrals.choices import Status
from liaison.referrals.models import Referral
from liaison.referrals.portal_queries import PORTAL_PAGE_SIZE
from liaison.referrals.tests.factories import ReferralFactory

pytestmark = pytest.mark.django_db


def _pages(client) -> list[int]:
    listed, after = [], 0
    while True:
        response = client.get(reverse("intake:portal"), {"after": after} if after else {})
        assert response.status_code == 200
        listed += [r["id"] for r in response.context["referrals"]]
        if response.context["next_after"] is None:
            return listed
        after = response.context["next_after"]


@pytest.mark.parametrize("who", ["alice", "practice_admin"])
def test_the_portal_lists_open_first_then_newest_across_pages(
    who, request, client_for, alice_referrer, colleague_referrer
):
    now = timezone.now()
    elsewhere = ReferrerFactory()  # another practice's referrer: never listed
    for i in range(2 * PORTAL_PAGE_SIZE + 7):
        referrer = (alice_referrer, colleague_referrer, elsewhere)[i % 3]
        status = Status.RETURNED if i % 4 == 0 else Status.ACKNOWLEDGED
        ReferralFactory(referrer=referrer, status=status, received_at=now - timedelta(hours=i % 50))
    user = request.getfixturevalue(who)
    scope = [alice_referrer.pk] if who == "alice" else [alice_referrer.pk, colleague_referrer.pk]
    expected = Referral.objects.filter(referrer_id__in=scope).order_by("-is_open", "-received_at", "-id")
    assert _pages(client_for(user)) == list(expected.values_list("id", flat=True))
