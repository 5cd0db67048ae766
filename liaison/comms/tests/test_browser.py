"""In a real browser (Debian's chromium through Playwright): the coordinator's morning page, a drafted letter,
the letter as the referrer sees it, its PDF (as PNG through pdftoppm) and the on-time figures, photographed
for review; no console errors (strict CSP)."""

import os
import shutil
import subprocess
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from liaison.care.tests.factories import evaluation_slot
from liaison.comms import letters, services, worker
from liaison.comms.seed import seed_protocol
from liaison.comms.tests.helpers import keys, referral_for
from liaison.core.testing.browser import chromium_available, signed_in_page
from liaison.referrals.services import referral_transition

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed (CI installs it)"),
]
SHOTS = Path(os.environ.get("LIAISON_SCREENSHOTS", Path(tempfile.gettempdir()) / "liaison-screenshots"))


def _morning(coordinator, clinician):
    names = [("Avery", "Stone"), ("Jordan", "Reyes"), ("Sam", "Okafor"), ("Riley", "Chen"), ("Casey", "Novak")]
    now = timezone.now()
    made = []
    for i, (first, last) in enumerate(names):
        with time_machine.travel(now - timedelta(hours=[40, 20, 10, 2, 30][i])):
            made.append(
                referral_for(
                    coordinator=coordinator,
                    clinician=clinician,
                    email=f"{last.lower()}@practice.example" if i != 3 else "",
                    channel="email" if i != 3 else "portal",
                    patient={"first_name": first, "last_name": last},
                    model=["collaborative", "consultation", "integrated", "collaborative", "consultation"][i],
                )
            )
    referral = made[4]
    evaluation_slot(referral)  # "Evaluation scheduled" needs a booked slot (decision 0044)
    for step, by in (("eval_scheduled", coordinator), ("evaluated", clinician)):
        referral = referral_transition(referral=referral, to=step, by=by)
    return made


def test_screenshots_of_the_letters_pages(browser, live_server, clinic, coordinator, clinician, director, smtp_inbox):
    seed_protocol()
    coordinator.lead = director
    coordinator.save()
    made = _morning(coordinator, clinician)
    services.communications_sweep()
    sent = services.letter_draft(due=keys(made[2])["ack"], by=coordinator)
    services.letter_approve(letter=sent, by=coordinator)
    worker.run_once()
    SHOTS.mkdir(parents=True, exist_ok=True)
    errors = []
    page = signed_in_page(browser, live_server, coordinator)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "404" not in m.text else None)
    page.goto(f"{live_server.url}/comms/")
    page.screenshot(path=SHOTS / "comms-work-queue.png", full_page=True)
    page.locator("form[action$='/letter/'] button").first.click()
    page.wait_for_selector("text=Sign and send")
    page.screenshot(path=SHOTS / "comms-letter-draft.png", full_page=True)
    page.goto(f"{live_server.url}/comms/letters/{sent.pk}/preview/")
    page.screenshot(path=SHOTS / "comms-letter-preview.png", full_page=True)
    page.goto(f"{live_server.url}/referrals/{made[4].pk}/")
    page.wait_for_selector(".cm-owed-list")
    page.locator(".cm-owed").screenshot(path=SHOTS / "comms-owed-card.png")
    director_page = signed_in_page(browser, live_server, director)
    director_page.goto(f"{live_server.url}/comms/sla/")
    director_page.screenshot(path=SHOTS / "comms-sla.png", full_page=True)
    sent.refresh_from_db()
    pdf = SHOTS / "comms-letter.pdf"
    pdf.write_bytes(letters.render_pdf(sent))
    if shutil.which("pdftoppm"):
        command = [
            shutil.which("pdftoppm"),
            "-png",
            "-r",
            "70",
            "-singlefile",
            str(pdf),
            str(SHOTS / "comms-letter-pdf"),
        ]
        subprocess.run(command, check=True)  # noqa: S603
    assert not errors, errors
