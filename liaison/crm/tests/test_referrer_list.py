"""The referrers page: by name, a page at a time, with each referrer's own referral count from their health row."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from liaison.crm import referrer_list
from liaison.crm.health import health_refresh
from liaison.crm.models import Health
from liaison.directory.tests.factories import PracticeFactory, ReferrerFactory
from liaison.referrals.tests.factories import ReferralFactory

pytestmark = pytest.mark.django_db


def test_referrers_are_paged_by_name_with_their_own_counts(client_for, liaison, monkeypatch):
    monkeypatch.setattr(referrer_list, "PAGE_SIZE", 2)
    adams, baker, carter = (ReferrerFactory(last_name=n) for n in ("Adams", "Baker", "Carter"))
    for day in (3, 9):
        ReferralFactory(referrer=carter, received_at=datetime(2026, 5, day, 15, tzinfo=UTC))
    ReferralFactory(referrer=adams, received_at=datetime(2026, 5, 1, 15, tzinfo=UTC))
    with time_machine.travel(datetime(2026, 6, 1, 12, tzinfo=UTC), tick=False):
        health_refresh()  # what the reaction to each referral and the nightly refresh keep
    first = client_for(liaison).get(reverse("directory:referrers"))
    rows = first.context["referrers"]
    assert [(r["last_name"], r["health__total_referrals"]) for r in rows] == [("Adams", 1), ("Baker", 0)]
    page = first.content.decode()
    assert "Page 1 of 2" in page and page.index("Adams") < page.index("Baker")
    second = client_for(liaison).get(reverse("directory:referrers"), {"page": 2})
    (row,) = second.context["referrers"]
    assert (row["last_name"], row["health__total_referrals"], row["health__last_referral_at"].day) == ("Carter", 2, 9)
    assert '<td class="num">2</td><td>May 9, 2026</td>' in second.content.decode()
    assert client_for(liaison).get(reverse("directory:referrers"), {"page": "x"}).status_code == 200  # first page


def test_a_row_is_the_referrers_health_row_and_every_value_is_escaped(client_for, liaison):
    practice = PracticeFactory(name="Hope & <Care>")
    never = ReferrerFactory(first_name="<b>Ann</b>", last_name="Zed", credential="MD", practice=practice)
    counted = ReferrerFactory(last_name="Young", practice=None)
    Health.objects.create(referrer=counted, computed_at=datetime(2026, 6, 1, tzinfo=UTC), total_referrals=1234)
    page = client_for(liaison).get(reverse("directory:referrers")).content.decode()
    assert "&lt;b&gt;Ann&lt;/b&gt; Zed, MD" in page and "Hope &amp; &lt;Care&gt;" in page and "<b>Ann" not in page
    assert f"NPI {never.npi}" in page
    assert '<td>—</td><td>Consultation</td><td class="num">1234</td><td>—</td><td class="num">0</td></tr>' in page
    assert '<td class="num">0</td><td>—</td><td class="num">—</td></tr>' in page  # Zed: no health row yet
