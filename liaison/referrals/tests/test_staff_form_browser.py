"""In a real browser: a coordinator takes a faxed referral, finds the referrer by typing part of the name (the
matches come from the look-up as they type), attaches the faxed PDF and saves; then one from a clinician new to the
directory, added inline. Screenshots go to $LIAISON_SCREENSHOTS (default: the test's tmp_path)."""

import pytest

from liaison.core.testing.browser import chromium_available, signed_in_page
from liaison.directory.tests.factories import ReferrerFactory, npi_from
from liaison.referrals.models import Referral
from liaison.referrals.tests import pdfs

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not chromium_available(), reason="Debian's chromium is not installed (.ci/run installs it)"),
]


def fill_patient(page, last_name):
    page.fill("#id_patient-first_name", "Morgan")
    page.fill("#id_patient-last_name", last_name)
    page.fill("#id_patient-date_of_birth", "1984-07-09")
    page.fill("#id_patient-phone", "(917) 555-0187")
    page.check("#id_referral-channel_1")  # fax


def test_the_coordinator_finds_the_referrer_and_attaches_the_fax(browser, live_server, shots, tmp_path, coordinator):
    wanted = ReferrerFactory(first_name="Olivia", last_name="Brennan", credential="MD")
    ReferrerFactory.create_batch(3, last_name="Brenner")
    fax = tmp_path / "fax.pdf"
    fax.write_bytes(pdfs.plain())
    errors = []
    page = signed_in_page(browser, live_server, coordinator)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/referrals/new/")
    page.get_by_label("Find in the directory by name or NPI").press_sequentially("olivia bren", delay=30)
    choice = page.get_by_label(f"Brennan, Olivia MD — NPI {wanted.npi}", exact=False)
    choice.wait_for()
    assert page.locator("#referrer-matches input[type=radio]").count() == 1
    choice.check()
    fill_patient(page, "Lee")
    page.set_input_files("#id_files-files", str(fax))
    shots(page, "1-staff-form-picker")
    page.get_by_role("button", name="Save referral").click()
    page.wait_for_selector("text=received.")
    referral = Referral.objects.get(patient__last_name="Lee")
    assert referral.referrer == wanted and referral.attachments.get().filename == "fax.pdf"
    assert page.get_by_role("link", name="fax.pdf").count() == 1
    shots(page, "2-staff-form-saved")

    page.goto(f"{live_server.url}/referrals/new/")
    page.locator("summary", has_text="New referrer").click()
    page.get_by_label("The referrer is not in the directory: add them").check()
    page.fill("#id_newref-first_name", "Nadia")
    page.fill("#id_newref-last_name", "Newman")
    page.fill("#id_newref-npi", npi_from("166666666"))
    page.select_option("#id_newref-specialty", "family")
    page.fill("#id_newref-fax", "(212) 555-0199")
    fill_patient(page, "Quist")
    shots(page, "3-staff-form-new-referrer")
    page.get_by_role("button", name="Save referral").click()
    page.wait_for_selector("text=received.")
    assert Referral.objects.get(patient__last_name="Quist").referrer.last_name == "Newman"
    assert not [e for e in errors if "Content Security Policy" in e or "Refused" in e]
