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


@pytest.fixture
def busy_pages(db, coordinator, liaison):
    """A referral page, the letters owed and the relationship tasks as the demo fills them: long names, a long email
    address, letters owed to three referrers, tasks with long titles due this week."""
    from liaison.comms.seed import seed_protocol
    from liaison.comms.tests.helpers import referral_for
    from liaison.crm import services as crm_services
    from liaison.crm.choices import TaskKind
    from liaison.crm.models import Task

    seed_protocol()
    referrals = [
        referral_for(
            coordinator=coordinator, email=f"maximiliana.vanderberg-oyelaran.{i}@northbrooklynpsychiatry.example",
            first_name="Maximiliana-Josephine", last_name=f"Vanderberg-Oyelaran-{i}", credential="PMHNP-BC",
            patient={"first_name": "Alexandrina-Bartholomea", "last_name": f"Featherstonehaugh-{i}",
                     "email": f"alexandrina.featherstonehaugh.{i}@longmailprovider.example"},
        )
        for i in range(3)
    ]  # fmt: skip
    rel = crm_services.relationship_ensure(referrer=referrals[0].referrer)
    now = timezone.now()
    for i in range(6):
        Task.objects.create(
            relationship=rel, kind=TaskKind.OTHER, owner=liaison, created_at=now,
            due_at=now + timedelta(days=i % 5 + 1),
            title=f"Drop off the new referral packet and ask about the cardiology colleague's patients ({i})",
        )  # fmt: skip
    return referrals


@pytest.mark.parametrize("role", ["coordinator", "liaison"])
def test_a_referral_the_letters_owed_and_the_tasks_fit_a_phone(request, browser, live_server, shots, busy_pages, role):
    """Pages outside the menu's first screen that grew past a phone with the demo's data: the next-action card and its
    buttons, the letters owed (tables scroll inside themselves), the relationship tasks."""
    user = request.getfixturevalue(role)
    page = signed_in_page(browser, live_server, user, viewport={"width": 390, "height": 844}, is_mobile=True)
    hrefs = [reverse("referrals:detail", args=[busy_pages[0].pk]), "/comms/", "/crm/"]
    too_wide = {}
    for href in hrefs:
        response = page.goto(live_server.url + href)
        if response.status == 403:  # not every role opens every page (a liaison, the letters owed)
            continue
        assert response.status == 200, href
        if href == "/comms/" and role == "coordinator":
            assert page.locator("table.cm-table tbody tr").count() >= 3
        if href == "/crm/" and role == "liaison":
            assert page.get_by_text("Drop off the new referral packet").count() >= 6
        if (width := page.evaluate(WIDTH)) > 390:
            too_wide[href] = width
            shots(page, f"too-wide-{role}{href.replace('/', '-')}")
    assert not too_wide, f"wider than a 390-px phone as {role}: {too_wide}"
