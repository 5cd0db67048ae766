"""In a real browser (Debian's chromium through Playwright): a clinician chooses their notifications on the account
page (safety alerts stay ticked), and a coordinator sends the questionnaire link by text message, a wrong number
first. Screenshots go to the `shots` folder for review."""

import pytest

from liaison.care.models import QuestionnaireLink
from liaison.core.testing.browser import chromium_available, signed_in_page
from liaison.notify import sms
from liaison.notify.models import Notice, Preference

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed (CI installs it)"),
]


def test_a_clinician_chooses_what_they_receive(browser, live_server, clinician, shots):
    page = signed_in_page(browser, live_server, clinician)
    page.goto(f"{live_server.url}/accounts/me/")
    page.get_by_role("link", name="Choose what you receive").click()
    safety = page.get_by_label("Safety alerts")
    assert safety.is_checked() and safety.is_disabled()
    page.get_by_label("The daily digest").uncheck()
    shots(page, "notify-account-choices")
    page.get_by_role("button", name="Save my choices").click()
    page.wait_for_selector("text=Your notification choices are saved.")
    assert page.get_by_label("Safety alerts").is_checked() and not page.get_by_label("The daily digest").is_checked()
    saved = Preference.objects.get(user=clinician)
    assert saved.safety_alert and not saved.digest and saved.urgent_referral


def test_a_coordinator_texts_the_link_after_a_wrong_number(browser, live_server, coordinator, treated, shots, settings):
    settings.SMS_BACKEND = "locmem"
    page = signed_in_page(browser, live_server, coordinator)
    page.goto(f"{live_server.url}/referrals/{treated.pk}/")
    page.get_by_role("link", name="Send the questionnaire").click()
    page.get_by_label("Text message").check()
    page.get_by_label("Patient's mobile number").fill("12345")
    page.get_by_role("button", name="Send the link").click()
    page.wait_for_selector("text=cannot be used for a text message")
    shots(page, "notify-send-link-wrong-number")
    assert not QuestionnaireLink.objects.exists()
    page.get_by_label("Patient's mobile number").fill("(917) 555-0187")
    page.get_by_role("button", name="Send the link").click()
    page.wait_for_selector("text=is on its way")
    assert Notice.objects.filter(kind="questionnaire_link", channel="sms", address="+19175550187").exists()
    assert sms.outbox == []  # sent by the worker, not by the page
