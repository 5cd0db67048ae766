"""In a real browser (Debian's chromium through Playwright): on the work queue a coordinator sorts by patient,
ticks every letter not drafted yet with the box above the lists, confirms once, and is back on the queue as they
left it, told which letters were drafted; no console errors (strict CSP) and nothing wider than a desktop screen."""

import re

import pytest

from liaison.comms.models import Letter
from liaison.comms.tests.helpers import keys, referral_for
from liaison.core.testing.browser import chromium_available, signed_in_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed (CI installs it)"),
]


def test_drafting_the_selected_letters_after_one_confirmation(
    browser, live_server, protocol, clinic, coordinator, shots
):
    referrals = [
        referral_for(coordinator=coordinator, patient={"first_name": first, "last_name": last})
        for first, last in (("Avery", "Stone"), ("Jordan", "Reyes"))
    ]
    acks = [keys(r)["ack"] for r in referrals]
    errors = []
    page = signed_in_page(browser, live_server, coordinator, viewport={"width": 1366, "height": 900})
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "404" not in m.text else None)
    page.goto(f"{live_server.url}/comms/?sort=patient")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    page.get_by_label("Select every letter on this page not drafted yet").check()
    for ack in acks:
        assert page.locator(f'input[name="ids"][value="{ack.pk}"]').first.is_checked()
    page.get_by_role("button", name="Draft the letters of the selected rows…").click()
    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text().startswith("Draft ") and not Letter.objects.exists()
    shots(page, "comms-queue-bulk-confirm-1366")
    page.get_by_role("button", name=re.compile(r"^Draft \d+ letters?$")).click()
    assert page.url.endswith("/comms/?sort=patient")
    assert page.get_by_text("Drafted ", exact=False).first.is_visible()
    assert set(Letter.objects.values_list("due_id", flat=True)) >= {ack.pk for ack in acks}
    shots(page, "comms-queue-bulk-done-1366")
    assert errors == []
