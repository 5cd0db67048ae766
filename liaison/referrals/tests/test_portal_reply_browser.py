"""In a real browser: the practice asks the referrer for missing history; the referrer answers in the portal with a
message, a PDF and a medication trial in the referral form's own fields; the coordinator sees the reply on the
referral (and as their next action in the inbox), marks it read and writes back; the referrer reads the answer.
Screenshots go to $LIAISON_SCREENSHOTS (default: the test's tmp_path)."""

import pytest

from liaison.core.testing.browser import chromium_available, signed_in_page
from liaison.referrals import services
from liaison.referrals.messages import REPLY_NEXT_ACTION
from liaison.referrals.tests import pdfs
from liaison.referrals.tests.factories import ReferralDataFactory, receive_referral

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed (.ci/run installs it)"),
]


@pytest.fixture
def asked(alice, alice_referrer, coordinator, clinician):
    """A referral sent without medication trials, assigned, and moved to 'information requested'."""
    referral = receive_referral(by=alice, referral=ReferralDataFactory(referrer=alice_referrer), trials=[])
    services.referral_assign(referral=referral, by=coordinator, coordinator=coordinator, clinician=clinician)
    services.referral_transition(referral=referral, to="info_requested", by=coordinator, reason="No trials given.")
    return referral


def test_a_referrer_answers_the_information_request_with_a_pdf_and_the_coordinator_sees_it(
    browser, live_server, shots, tmp_path, asked, alice, coordinator
):
    scan = tmp_path / "medication-history.pdf"
    scan.write_bytes(pdfs.plain())
    errors = []

    page = signed_in_page(browser, live_server, alice)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/portal/{asked.pk}/")
    assert page.get_by_role("heading", name="What would help the assessment").count() == 1
    page.get_by_label("Your message").fill("The medication history you asked for; the pharmacy printout is attached.")
    page.get_by_role("link", name="in the referral form's own fields").click()
    page.wait_for_selector("#id_trials-0-drug")
    page.get_by_label("Your message").fill("The medication history you asked for; the pharmacy printout is attached.")
    page.set_input_files("#id_files-files", str(scan))
    page.fill("#id_trials-0-drug", "sertraline")
    page.fill("#id_trials-0-daily_dose_mg", "150")
    page.fill("#id_trials-0-weeks_at_dose", "10")
    shots(page, "1-portal-reply")
    page.get_by_role("button", name="Send to the practice").click()
    page.wait_for_selector("text=Your reply is with the practice")
    assert page.get_by_role("link", name="medication-history.pdf").count() == 1
    shots(page, "2-portal-reply-sent")

    staff = signed_in_page(browser, live_server, coordinator)
    staff.goto(f"{live_server.url}/referrals/?owner=me")
    row = staff.locator("tr", has_text=asked.reference)
    assert row.locator(f"text={REPLY_NEXT_ACTION}").count() == 1
    shots(staff, "3-inbox-reply-waiting")
    row.locator("a").first.click()
    staff.wait_for_selector("#messages-h")
    panel = staff.locator("#messages")
    assert panel.locator("text=Reply from referrer").count() == 1
    assert panel.get_by_role("link", name="medication-history.pdf").count() == 1
    assert "Medication trial: sertraline 150 mg/day for 10 weeks" in panel.inner_text()
    assert staff.locator("#timeline-h + ol").get_by_role("link", name="Reply from the referrer").count() == 1
    shots(staff, "4-referral-reply")

    staff.get_by_role("button", name="Mark the reply read").click()
    staff.wait_for_selector("text=The referrer's reply is marked read.")
    assert "Follow up on the missing information" in staff.locator(".next-text").inner_text()
    staff.get_by_label("Message to the referrer").fill("Thank you: that is everything we need.")
    staff.get_by_role("button", name="Send to the referrer").click()
    staff.wait_for_selector("text=Message sent.")
    shots(staff, "5-referral-answered")

    page.goto(f"{live_server.url}/portal/{asked.pk}/")
    assert "Thank you: that is everything we need." in page.content()
    assert "read by the practice" in page.content()
    shots(page, "6-portal-answer")
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e]
