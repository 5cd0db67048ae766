"""In a real browser: a first-time referrer sends a referral through the public form, and a
coordinator then sees it in the inbox with its screening result; the referrer's portal shows it.
Screenshots go to $LIAISON_SCREENSHOTS (default: the test's tmp_path)."""

import os

import pytest

from liaison.accounts.tests.factories import PASSWORD
from liaison.core.testing.browser import chromium_available, launch
from liaison.directory.tests.factories import npi_from

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed (.ci/run installs it)"),
]


@pytest.fixture
def page(live_server):
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        yield context.new_page()
        browser.close()


def sign_in(page, live_server, username):
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], form button")


def test_a_first_time_referrer_sends_a_referral_and_the_coordinator_sees_it(page, live_server, shots, coordinator):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/refer/")
    page.fill("#id_me-npi", npi_from("188888888"))
    page.fill("#id_me-first_name", "Nora")
    page.fill("#id_me-last_name", "Newcomer")
    page.select_option("#id_me-specialty", "family")
    page.fill("#id_me-email", "nora@clinic.test")
    page.fill("#id_patient-first_name", "Sam")
    page.fill("#id_patient-last_name", "Quinn")
    page.fill("#id_patient-date_of_birth", "1985-04-12")
    page.fill("#id_patient-phone", "7185550101")
    page.fill("#id_diagnoses-0-code", "F33.2")
    page.fill("#id_trials-0-drug", "sertraline")
    page.fill("#id_trials-0-daily_dose_mg", "150")
    page.fill("#id_trials-0-weeks_at_dose", "8")
    page.fill("#id_trials-1-drug", "escitalopram")
    page.fill("#id_trials-1-daily_dose_mg", "20")
    page.fill("#id_trials-1-weeks_at_dose", "10")
    page.click("#add-trial")
    page.fill("#id_trials-2-drug", "bupropion")
    page.fill("#id_trials-2-daily_dose_mg", "300")
    page.check("#id_referral-uncontrolled_hypertension")
    shots(page, "1-public-form")
    page.click("text=Send referral")
    page.wait_for_selector("text=What happens next")
    assert "is with us" in page.content()
    shots(page, "2-confirmation")

    sign_in(page, live_server, coordinator.username)
    page.goto(f"{live_server.url}/referrals/")
    row = page.locator("tr", has_text="Quinn")
    assert row.locator("text=TRD likely").count() == 1
    assert row.locator("text=Safety: review").count() == 1
    shots(page, "3-inbox-with-screening")
    row.locator("a").first.click()
    page.wait_for_selector("#screening-h")
    assert "rule: Uncontrolled hypertension" in page.content()
    shots(page, "4-referral-screening-panel")
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e]


def test_the_referrer_sees_their_referral_in_the_portal(page, live_server, shots, alice, alices_referral):
    sign_in(page, live_server, alice.username)
    page.goto(f"{live_server.url}/portal/")
    assert alices_referral.reference in page.content()
    shots(page, "5-portal")
    page.click(f"text={alices_referral.reference}")
    page.wait_for_selector("text=Next step at the practice")
    shots(page, "6-portal-detail")
    page.goto(f"{live_server.url}/referrals/{alices_referral.pk}/")  # the practice's own page of it
    assert "This page is not part of your role" in page.content()
    assert page.get_by_role("link", name="Referrals", exact=True).count() == 0  # the inbox is not in its menu
    shots(page, "7-staff-page-refused")
