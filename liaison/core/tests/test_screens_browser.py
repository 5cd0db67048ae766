"""In a real browser: every page in each role's menu fits a 390-px phone without sideways scroll (a wide list
scrolls inside itself, the menu wraps), and the referral inbox fits a 1366-px laptop screen."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from liaison.accounts.tests.factories import CoordinatorFactory
from liaison.core.testing.browser import chromium_available, signed_in_page
from liaison.directory.tests.factories import ReferrerFactory
from liaison.referrals.choices import IntakeChannel, Status, Urgency
from liaison.referrals.tests.factories import PatientFactory, ReferralFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed (.ci/run installs it)"),
]
WIDTH = "document.documentElement.scrollWidth"
ROLES = ["coordinator", "clinician", "liaison", "director", "admin", "alice", "practice_admin"]


@pytest.fixture
def busy_inbox(db):
    """Referrals as the demo's inbox shows them: long names from a referrer with a long name, in statuses with long
    labels, urgent and soon, from the self-referral channel (the longest label), each with a long next action owned
    by someone with a long name and overdue by days (the coordinator sees each row's box for the bulk bar too)."""
    referrer = ReferrerFactory(
        first_name="Maximiliana-Josephine", last_name="Vanderberg-Oyelaran", credential="PMHNP-BC"
    )
    owner = CoordinatorFactory(username="owner", first_name="Konstantina", last_name="Papadopoulou-Whitfield")
    statuses = [Status.RECEIVED, Status.INFO_REQUESTED, Status.EVAL_SCHEDULED, Status.ACUTE_COMPLETE, Status.ACCEPTED]
    urgencies = [Urgency.URGENT, Urgency.SOON, Urgency.ROUTINE]
    for i in range(25):
        patient = PatientFactory(first_name="Alexandrina-Bartholomea", last_name=f"Featherstonehaugh-{i:02d}")
        ReferralFactory(
            patient=patient, referrer=referrer, status=statuses[i % len(statuses)], urgency=urgencies[i % 3],
            channel=IntakeChannel.SELF if i % 2 else IntakeChannel.WEB, next_action_owner=owner,
            next_action="Call the patient back about the evaluation slot and confirm the ride home afterwards",
            next_action_due_at=timezone.now() - timedelta(days=4, hours=i),
        )  # fmt: skip


def _menu(page) -> list[str]:
    return page.eval_on_selector_all("header nav a", "links => links.map(a => a.getAttribute('href'))")


@pytest.mark.parametrize("role", ROLES)
def test_every_page_in_the_menu_fits_a_phone(request, browser, live_server, shots, busy_inbox, role):
    user = request.getfixturevalue(role)
    page = signed_in_page(browser, live_server, user, viewport={"width": 390, "height": 844}, is_mobile=True)
    page.goto(live_server.url + reverse("core:home"))
    links = _menu(page)
    assert links, f"no menu for {role}"
    too_wide = {}
    for href in [*links, reverse("accounts:account")]:
        response = page.goto(live_server.url + href)
        assert response.status == 200, href
        if (width := page.evaluate(WIDTH)) > 390:
            too_wide[href] = width
            shots(page, f"too-wide-{role}{href.replace('/', '-')}")
    assert not too_wide, f"wider than a 390-px phone as {role}: {too_wide}"


def test_the_inbox_fits_a_laptop_screen(browser, live_server, shots, busy_inbox, coordinator):
    page = signed_in_page(browser, live_server, coordinator, viewport={"width": 1366, "height": 768})
    page.goto(live_server.url + reverse("referrals:inbox"))
    assert page.locator("text=Featherstonehaugh-00").count() == 1
    assert page.locator("table.inbox td.pick input[type=checkbox]").count() == 25
    assert page.locator("text=overdue by 4 days").count() >= 1
    shots(page, "inbox-1366")
    assert page.evaluate(WIDTH) <= 1366
