"""In Debian's chromium: a coordinator finds a patient by a misspelt surname from the box at the top of the inbox,
reaching the box with the "/" key, and opens the referral. Under the strict CSP: any refusal in the console fails."""

import datetime
import os

import pytest
from django.urls import reverse

from liaison.core.testing.browser import chromium_available, signed_in_page
from liaison.referrals.tests.factories import PatientDataFactory, receive_referral

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed (.ci/run installs it)"),
    pytest.mark.django_db(transaction=True),
]


def test_a_coordinator_finds_a_patient_by_a_misspelt_surname(live_server, browser, coordinator, alice_referrer, shots):
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    olivia = PatientDataFactory(first_name="Olivia", last_name="Brennan", date_of_birth=datetime.date(1962, 3, 14))
    referral = receive_referral(patient=olivia, referral={"referrer": alice_referrer})
    receive_referral(patient=PatientDataFactory(first_name="Maria", last_name="Bauer"))

    page = signed_in_page(browser, live_server, coordinator)
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.goto(live_server.url + reverse("referrals:inbox"))
    page.locator("main h1").first.click()  # the page has the focus, not the box
    page.keyboard.press("/")
    box = page.get_by_role("searchbox", name="Search patients, referrals, referrers and practices")
    assert box.evaluate("el => el === document.activeElement")
    page.keyboard.type("Brenan")
    page.keyboard.press("Enter")
    page.wait_for_url("**/search/?q=Brenan")

    patients = page.get_by_role("region", name="Patients")
    assert patients.get_by_text("Olivia Brennan").is_visible()
    assert "Bauer" not in patients.inner_text()
    shots(page, "search-misspelt-surname")
    patients.get_by_role("link", name=f"R-{referral.pk:06d}").click()
    page.wait_for_url(f"**{reverse('referrals:detail', args=[referral.pk])}")
    assert "Brennan" in page.locator("main").inner_text()
    assert not [m for m in console if "Content Security Policy" in m], console
