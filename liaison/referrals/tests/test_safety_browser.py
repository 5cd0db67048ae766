"""In a real browser, as a new user would (decision 0018): a referrer sends a referral with PHQ-9 item 9 = 2
and it appears on the open-alert list; a coordinator acknowledges it but cannot clear the clinician's review;
a clinician records the review."""

import pytest

from liaison.core.testing.browser import chromium_available, signed_in_page
from liaison.directory.tests.factories import npi_from
from liaison.referrals.intake_models import SafetyReview
from liaison.referrals.models import Referral

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed (.ci/run installs it)"),
]


def test_an_item9_referral_alerts_and_only_a_clinician_clears_its_review(
    browser, live_server, shots, coordinator, clinician
):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{live_server.url}/refer/")
    page.fill("#id_me-npi", npi_from("177777777"))
    page.fill("#id_me-first_name", "Nora")
    page.fill("#id_me-last_name", "Newcomer")
    page.select_option("#id_me-specialty", "family")
    page.fill("#id_me-email", "nora@clinic.test")
    page.fill("#id_patient-first_name", "Sam")
    page.fill("#id_patient-last_name", "Quinn")
    page.fill("#id_patient-date_of_birth", "1985-04-12")
    page.fill("#id_patient-phone", "7185550101")
    page.fill("#id_diagnoses-0-code", "F33.2")
    page.click("text=6. A recent PHQ-9")
    page.fill("#id_referral-phq9_total", "12")
    page.select_option("#id_referral-phq9_item9", "2")
    shots(page, "safety-1-public-form-item9")
    page.get_by_role("button", name="Send referral").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/refer/sent/**")
    referral = Referral.objects.get()
    assert referral.urgency == "urgent"

    staff = signed_in_page(browser, live_server, clinician)
    staff.goto(f"{live_server.url}/referrals/")
    alerts = staff.locator(".inbox-alerts")
    assert alerts.locator(f"text={referral.reference}").count() == 1
    shots(staff, "safety-2-open-alert-list")

    desk = signed_in_page(browser, live_server, coordinator)
    desk.goto(f"{live_server.url}/referrals/{referral.pk}/")
    desk.get_by_role("button", name="Acknowledge", exact=True).click()
    desk.wait_for_selector("text=is now “Acknowledged”")
    assert desk.locator("#safety-review").get_by_text("Only a clinician or the medical director").is_visible()
    assert desk.locator("#safety-review form").count() == 0
    assert "review the safety flags now" in desk.locator(".next-text").inner_text()
    shots(desk, "safety-3-acknowledged-review-still-owed")
    assert SafetyReview.objects.get().is_owed

    staff.goto(f"{live_server.url}/referrals/{referral.pk}/")
    staff.select_option("#review-decision", "safety_plan")
    staff.fill("#review-note", "Called Sam; C-SSRS screen low risk; safety plan confirmed with the referrer.")
    staff.get_by_role("button", name="Record the safety review").click()
    staff.wait_for_selector("text=Safety review recorded.")
    assert staff.locator("#safety-review").get_by_text("Patient contacted: safety plan made or confirmed").is_visible()
    shots(staff, "safety-4-review-recorded")
    review = SafetyReview.objects.get()
    assert review.decided_by == clinician and not review.is_owed
    staff.goto(f"{live_server.url}/referrals/")  # the review acknowledged the intake alert: off the open list
    assert staff.locator(".inbox-alerts").locator(f"text={referral.reference}").count() == 0
