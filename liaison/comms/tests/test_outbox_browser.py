"""In a real browser (Debian's chromium through Playwright): the outbox at a desktop's width and a phone's, the
chosen failed letters sent again after one confirmation; photographed for review; no console errors (strict CSP)
and nothing wider than the phone's screen."""

import pytest

from liaison.comms import services
from liaison.comms.models import Outbox
from liaison.comms.tests.helpers import keys, referral_for
from liaison.core.testing.browser import chromium_available, signed_in_page
from liaison.core.tests.test_axe_browser import AXE_JS, violations

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed (CI installs it)"),
]


def _signed(coordinator, **referrer):
    referral = referral_for(coordinator=coordinator, **referrer)
    letter = services.letter_draft(due=keys(referral)["ack"], by=coordinator)
    return services.letter_approve(letter=letter, by=coordinator)


def test_the_outbox_at_both_widths_and_sending_the_chosen_again(
    browser, live_server, protocol, clinic, coordinator, shots
):
    names = [("Avery", "Stone"), ("Jordan", "Reyes"), ("Sam", "Okafor"), ("Riley", "Chen")]
    rows = [_signed(coordinator, last_name=f"Doc{i}", patient={"first_name": f, "last_name": la})
            for i, (f, la) in enumerate(names)]  # fmt: skip
    Outbox.objects.filter(pk=rows[1].pk).update(attempts=2, last_error="The mail server could not be reached")
    for row in rows[2:]:
        Outbox.objects.filter(pk=row.pk).update(
            status="failed", attempts=1, last_error="The mail server answered 550: mailbox unavailable"
        )
    for _ in range(2):
        referral_for(coordinator=coordinator, email="", fax="", channel="portal", last_name="Nofax")
    errors = []
    for width, height in ((1366, 900), (390, 844)):
        page = signed_in_page(browser, live_server, coordinator, viewport={"width": width, "height": height})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "404" not in m.text else None)
        page.goto(f"{live_server.url}/comms/outbox/")
        assert page.get_by_role("heading", name="Outbox", exact=True).is_visible()
        shots(page, f"comms-outbox-{width}")
        wide = page.evaluate(
            "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth + 1)"
            ".map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).slice(0, 8)"
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= width, wide
    if AXE_JS.exists():  # the accessibility checker, on the page with every kind of row (CI installs it)
        checked = signed_in_page(browser, live_server, coordinator, bypass_csp=True)
        checked.goto(f"{live_server.url}/comms/outbox/")
        assert violations(checked) == []
    page.check(f"#choose-{rows[2].pk}")
    page.check(f"#choose-{rows[3].pk}")
    page.get_by_role("button", name="Send the selected letters again…").click()
    assert page.get_by_role("heading", name="Send 2 letters again?").is_visible()
    assert page.locator("nav a[aria-current=page]").inner_text() == "Outbox"
    shots(page, "comms-outbox-confirm-390")
    page.get_by_role("button", name="Send 2 again").click()
    assert page.get_by_text("2 letters back in the outbox, to be sent again:").is_visible()
    shots(page, "comms-outbox-sent-390")
    assert set(Outbox.objects.filter(pk__in=[rows[2].pk, rows[3].pk]).values_list("status", flat=True)) == {"queued"}
    assert errors == []
