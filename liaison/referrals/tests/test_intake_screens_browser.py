"""In a real browser on a 390-px phone: both public forms fit the screen (no sideways scroll), the medication trials
are stacked cards with a visible label on every field, and the form still fits once its errors are shown."""

import pytest

from liaison.core.testing.browser import chromium_available, signed_in_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed (.ci/run installs it)"),
]
PHONE = {"width": 390, "height": 844}
WIDTH = "document.documentElement.scrollWidth"


def phone(browser):
    return browser.new_context(viewport=PHONE, device_scale_factor=1, is_mobile=True).new_page()


def test_the_referral_form_fits_a_phone_with_the_trials_as_cards(browser, live_server, shots):
    page = phone(browser)
    page.goto(f"{live_server.url}/refer/")
    assert page.evaluate(WIDTH) <= 390
    # The column heads are left to screen readers: each card labels its own fields.
    assert page.locator("#trials-table thead").bounding_box()["width"] <= 1
    for label in ("Highest daily dose (mg)", "Weeks at that dose", "Response", "Stopped because"):
        assert page.locator(".trial-row").first.get_by_text(label, exact=True).is_visible()
    first, second = (page.locator(".trial-row").nth(i).bounding_box() for i in (0, 1))
    assert second["y"] >= first["y"] + first["height"]  # stacked, one card under the other
    assert first["width"] <= 390
    page.click("#add-trial")
    assert page.locator(".trial-row").count() == 3 and page.evaluate(WIDTH) <= 390
    shots(page, "refer-phone")


def test_the_referral_form_with_its_errors_still_fits_a_phone(browser, live_server, shots):
    page = phone(browser)
    page.goto(f"{live_server.url}/refer/")
    page.fill("#id_trials-0-drug", "sertraline")
    page.fill("#id_trials-0-daily_dose_mg", "5000")
    page.fill("#id_trials-0-weeks_at_dose", "400")
    page.click("text=Send referral")
    page.wait_for_selector("text=The referral was not sent yet")
    assert page.evaluate(WIDTH) <= 390
    shots(page, "refer-phone-errors")


def test_the_self_referral_form_fits_a_phone(browser, live_server, shots):
    page = phone(browser)
    page.goto(f"{live_server.url}/refer/self/")
    assert page.get_by_role("heading", name="Ask about ketamine therapy for yourself").is_visible()
    assert page.evaluate(WIDTH) <= 390
    page.click("button:has-text('Send')")
    page.wait_for_selector("text=Not sent yet")
    assert page.evaluate(WIDTH) <= 390
    shots(page, "self-refer-phone")


def test_a_signed_in_referrer_sees_the_form_and_the_menu_within_a_phone(browser, live_server, alice):
    page = signed_in_page(browser, live_server, alice, viewport=PHONE)
    page.goto(f"{live_server.url}/refer/")
    assert page.get_by_text("Referring as").is_visible()
    assert page.evaluate(WIDTH) <= 390


def test_the_diagnosis_look_up_suggests_codes_for_words_and_the_keyboard_chooses_one(browser, live_server, shots):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{live_server.url}/refer/")
    box = page.get_by_role("combobox", name="ICD-10 code")
    box.fill("major depression recurrent")
    page.wait_for_selector("#id_diagnoses-0-code-suggestions [role=option]")
    assert box.get_attribute("aria-expanded") == "true"
    options = page.locator("#id_diagnoses-0-code-suggestions [role=option]")
    assert options.count() > 1 and options.first.text_content().startswith("F33.0 Major depressive disorder, recurrent")
    shots(page, "icd10-suggestions")
    box.press("ArrowDown")
    box.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == "id_diagnoses-0-code-suggestions-1"
    box.press("Enter")
    assert box.input_value() == "F33.1" and box.get_attribute("aria-expanded") == "false"
    assert page.locator("#id_diagnoses-0-description").input_value() == "Major depressive disorder, recurrent, moderate"
