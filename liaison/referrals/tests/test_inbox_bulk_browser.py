"""In a real browser: a coordinator picks this morning's new referrals in the inbox, assigns them to a coordinator and a
clinician in one go, confirms once, reads the summary, and the rows show their new owner. Screenshots go to
$LIAISON_SCREENSHOTS (default: the test's tmp_path)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from liaison.core.testing.browser import chromium_available, signed_in_page
from liaison.referrals.models import Referral
from liaison.referrals.tests.factories import PatientFactory, ReferralFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed (.ci/run installs it)"),
]


@pytest.fixture
def morning(coordinator):
    """Three referrals that came in this morning, nobody's yet, and yesterday's, already the coordinator's."""
    now = timezone.now()
    new = [
        ReferralFactory(patient=PatientFactory(first_name="Nia", last_name=name), received_at=now - timedelta(hours=h))
        for h, name in ((3, "Okafor"), (2, "Lindqvist"), (1, "Moreau"))
    ]
    older = ReferralFactory(
        patient=PatientFactory(first_name="Ike", last_name="Yesterday"),
        received_at=now - timedelta(days=1),
        assigned_coordinator=coordinator,
    )
    return new, older


def test_bulk_assign(browser, live_server, shots, morning, coordinator, clinician):
    new, older = morning
    errors = []
    page = signed_in_page(browser, live_server, coordinator, viewport={"width": 1366, "height": 768})
    page.on("pageerror", lambda e: errors.append(str(e)))  # a script fault (lists.js)
    page.goto(live_server.url + reverse("referrals:inbox"))
    page.get_by_role("link", name="Unassigned", exact=True).click()
    page.wait_for_url("**owner=unassigned**")
    assert page.locator("#inbox-rows tbody tr").count() == 3  # yesterday's is the coordinator's already

    page.get_by_label("Select every row on this page").check()
    assert page.locator("[data-selected-count=inbox-bulk]").inner_text() == "3 rows selected"
    page.get_by_label("Coordinator", exact=True).select_option(label=str(coordinator))
    page.get_by_label("Clinician", exact=True).select_option(label=str(clinician))
    shots(page, "1-inbox-three-selected")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    page.get_by_role("button", name="Assign selected…").click()

    page.wait_for_selector("text=Assign 3 referrals")
    for r in new:
        assert page.locator(f"text={r.reference} (Nia {r.patient.last_name})").count() == 1
    assert Referral.objects.filter(pk__in=[r.pk for r in new], assigned_coordinator__isnull=False).count() == 0
    shots(page, "2-confirm")
    page.get_by_role("button", name="Assign 3 referrals").click()

    page.wait_for_selector("text=Assigned 3 referrals to")
    assert "owner=unassigned" in page.url  # back where the coordinator was
    assert page.locator("#inbox-rows tbody tr", has_text="R-").count() == 0  # none is unassigned now
    shots(page, "3-summary")
    page.get_by_role("link", name="Mine", exact=True).click()
    page.wait_for_url("**owner=me**")
    for r in [*new, older]:
        row = page.locator("#inbox-rows tbody tr", has_text=r.reference)
        assert row.locator("td", has_text=str(coordinator)).count() == 1
    shots(page, "4-mine")
    assert not errors
