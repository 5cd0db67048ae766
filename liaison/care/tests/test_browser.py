"""In a real browser (Debian's chromium through Playwright): a patient fills in the questionnaire on a phone-sized
screen; the referral page with the care panel and the session form are photographed for review."""

import os
import tempfile
from datetime import date
from pathlib import Path

import pytest

from liaison.care import services
from liaison.care.models import Assessment, SafetyAlert
from liaison.care.tests.conftest import gad7, phq9
from liaison.core.testing.browser import chromium_available, signed_in_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed (CI installs it)"),
]
SHOTS = Path(os.environ.get("LIAISON_SCREENSHOTS", Path(tempfile.gettempdir()) / "liaison-screenshots"))


def phone(browser):
    return browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1, is_mobile=True)


def test_a_patient_fills_in_the_questionnaire_on_a_phone(browser, live_server, accepted, coordinator, clinician):
    _, token = services.questionnaire_link_create(referral=accepted, by=coordinator)
    page = phone(browser).new_page()
    page.goto(f"{live_server.url}/care/q/{token}/")
    assert page.get_by_text("988").first.is_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "care-questionnaire-phone.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the screen
    answers = {**{f"phq9_{n}": 1 for n in range(1, 9)}, "phq9_9": 2, **{f"gad7_{n}": 2 for n in range(1, 8)}}
    for name, value in answers.items():
        page.locator(f"label:has(input[name='{name}'][value='{value}'])").click()
    page.locator("label:has(input[name='phq9_difficulty'][value='1'])").click()
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_selector("text=Thank you")
    page.screenshot(path=SHOTS / "care-questionnaire-done-phone.png", full_page=True)
    assert page.get_by_text("Your clinician has been told").is_visible()
    assert sorted(Assessment.objects.values_list("instrument", "total")) == [("gad7", 14), ("phq9", 10)]
    assert SafetyAlert.objects.get().referral == accepted


def test_a_half_answered_questionnaire_on_the_phone_is_kept_and_alerts(browser, live_server, accepted, coordinator):
    _, token = services.questionnaire_link_create(referral=accepted, by=coordinator)
    page = phone(browser).new_page()
    page.goto(f"{live_server.url}/care/q/{token}/")
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_selector("text=Some answers need another look")
    assert page.locator(".p-has-error").count() == 1 and not Assessment.objects.exists()
    for name, value in {"phq9_1": "2", "phq9_2": "not_sure", "phq9_3": "1", "phq9_9": "3"}.items():
        page.locator(f"label:has(input[name='{name}'][value='{value}'])").click()
    page.get_by_role("button", name="Send my answers").click()
    page.wait_for_selector("text=Thank you")
    phq9 = Assessment.objects.get()
    assert phq9.total is None and phq9.items == [2, None, 1, None, None, None, None, None, 3]
    assert SafetyAlert.objects.get().assessment == phq9


def test_the_referral_page_panel_and_the_session_form(browser, live_server, accepted, record, clinician):
    record(accepted, "evaluation", date(2025, 2, 3), phq9=phq9(21), gad7=gad7(15))
    for n, total in enumerate([18, 15, 12, 9, 6, 4], start=1):
        extra = {"bp_before_systolic": 186, "bp_before_diastolic": 96} if n == 3 else {}
        record(
            accepted,
            "acute",
            date(2025, 2, 10 + 2 * n),
            phq9=phq9(total, item9=1 if n == 2 else 0),
            gad7=gad7(max(0, 14 - 2 * n)),
            **extra,
        )
    page = signed_in_page(browser, live_server, clinician, viewport={"width": 1280, "height": 900})
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/referrals/{accepted.pk}/")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#care").screenshot(path=SHOTS / "care-panel.png")
    assert page.locator("#care svg").count() == 2 and page.locator(".outcome", has_text="Remission").is_visible()
    page.goto(f"{live_server.url}/care/referrals/{accepted.pk}/sessions/new/")
    page.screenshot(path=SHOTS / "care-session-form.png", full_page=True)
    page.goto(f"{live_server.url}/referrals/?status=closed")
    page.screenshot(path=SHOTS / "care-inbox-alerts.png")
    assert page.get_by_text("Open safety alerts (2)").is_visible()
    assert not [e for e in errors if "Content Security Policy" in e]
