"""In a real browser (Debian's chromium through Playwright): a coordinator books a referral's evaluation from the
referral page ("Schedule evaluation" opens the booking form), drafts the acknowledgment and reads the booked date
in the letter; then sees the booking on the practice's week. No console errors (strict CSP)."""

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from liaison.care.choices import BookingStatus
from liaison.care.models import Booking
from liaison.comms.seed import seed_protocol
from liaison.comms.tests.helpers import referral_for
from liaison.core.models import Clinic
from liaison.core.testing.browser import chromium_available, signed_in_page
from liaison.referrals.choices import Status

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed (CI installs it)"),
]
SHOTS = Path(os.environ.get("LIAISON_SCREENSHOTS", Path(tempfile.gettempdir()) / "liaison-screenshots"))


def test_booking_an_evaluation_and_seeing_its_date_in_the_letter(browser, live_server, coordinator, clinician):
    seed_protocol()
    Clinic.objects.create(name="Harbor Ketamine Clinic", address="12 Pier Street, Brooklyn NY", phone="+17185550100")
    referral = referral_for(coordinator=coordinator, clinician=clinician, patient={"first_name": "Avery"})
    day = timezone.localdate() + timedelta(days=3)
    page = signed_in_page(browser, live_server, coordinator)
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "404" not in m.text else None)
    page.goto(f"{live_server.url}/referrals/{referral.pk}/")
    page.get_by_role("link", name="Schedule evaluation").click()
    page.wait_for_selector("text=Book the evaluation for")
    page.get_by_label("Date").fill(day.isoformat())
    page.get_by_label("Starts").fill("10:30")
    page.get_by_label("Ends").fill("11:30")
    page.get_by_label("Clinician").select_option(str(clinician.pk))
    page.get_by_label("Place").fill("Room 2")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / "care-booking-form.png", full_page=True)
    page.get_by_role("button", name="Book").click()
    page.wait_for_selector("text=Evaluation booked:")
    when = f"{day:%A, %B} {day.day}, {day.year}"
    assert page.locator("#bookings").get_by_text(f"{when}, 10:30 AM to 11:30 AM").is_visible()
    page.screenshot(path=SHOTS / "care-booking-referral-page.png", full_page=True)
    booking = Booking.objects.get()
    assert booking.status == BookingStatus.BOOKED and booking.referral.status == Status.EVAL_SCHEDULED

    # The acknowledgment, drafted now, gives the booked date and does not say the coordinator will call.
    page.locator(".cm-owed form button").first.click()
    page.wait_for_selector("text=Sign and send")
    body = page.locator("textarea").first.input_value()
    assert f"Avery's evaluation is booked for {when} at 10:30 AM, with Cliff Clinician (Room 2)." in body
    assert "will call" not in body
    page.screenshot(path=SHOTS / "care-booking-acknowledgment.png", full_page=True)

    page.goto(f"{live_server.url}/care/schedule/?week={day.isoformat()}")
    assert page.get_by_role("link", name="10:30 AM–11:30 AM").is_visible()
    page.screenshot(path=SHOTS / "care-schedule-week.png", full_page=True)
    assert errors == []
