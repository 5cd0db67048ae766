"""The public referral form, the self-referral form, the confirmation page, the portal, duplicates,
attachments: what a first-time referrer, a returning one, an outsider and the staff can do."""

import re

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from liaison.core.models import AuditEvent
from liaison.directory.models import Referrer
from liaison.directory.tests.factories import npi_from
from liaison.referrals import icd10
from liaison.referrals.intake_models import Attachment, DuplicateFlag, ScreeningResult
from liaison.referrals.models import Patient, Referral
from liaison.referrals.tests import pdfs
from liaison.referrals.tests.factories import PatientDataFactory, ReferralDataFactory, receive_referral

PDF = pdfs.plain()  # a real one-page PDF: attachments are opened and checked
NEW_NPI = npi_from("199999999")


@pytest.fixture(autouse=True)
def _fresh_rate_limit(db):  # the shared counters live in the database cache
    cache.clear()


def form_data(**over):
    data = {
        "me-npi": NEW_NPI,
        "me-first_name": "Nora",
        "me-last_name": "Newcomer",
        "me-credential": "MD",
        "me-specialty": "family",
        "me-email": "nora@clinic.test",
        "patient-first_name": "Sam",
        "patient-last_name": "Quinn",
        "patient-date_of_birth": "1985-04-12",
        "patient-phone": "(718) 555-0101",
        "referral-urgency": "routine",
        "referral-suicide_attempt_history": "none",
        "referral-substance_use": "none",
        "referral-episode_months": "14",
        "referral-psychotherapy_ongoing": "unknown",
        "diagnoses-TOTAL_FORMS": "1",
        "diagnoses-INITIAL_FORMS": "0",
        "diagnoses-0-code": "F33.2",
        "trials-TOTAL_FORMS": "2",
        "trials-INITIAL_FORMS": "0",
        "trials-0-drug": "sertraline",
        "trials-0-daily_dose_mg": "150",
        "trials-0-weeks_at_dose": "8",
        "trials-0-response": "none",
        "trials-0-reason_stopped": "inefficacy",
        "trials-1-drug": "",
        "trials-1-response": "none",
        "trials-1-reason_stopped": "inefficacy",
    }
    data.update(over)
    return data


def counts():
    return Referral.objects.count(), Patient.objects.count(), Referrer.objects.count(), Attachment.objects.count()


@pytest.mark.django_db
def test_the_form_is_public_and_offers_the_adequate_trial_help(anonymous_client):
    page = anonymous_client.get(reverse("intake:refer"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "at least 6 weeks at that dose" in html and 'id="trial-template"' in html and "csrfmiddlewaretoken" in html


@pytest.mark.django_db
def test_a_first_time_referrer_sends_a_referral_and_sees_what_happens_next(anonymous_client):
    before = counts()
    upload = SimpleUploadedFile("letter.pdf", PDF, content_type="application/pdf")
    response = anonymous_client.post(reverse("intake:refer"), {**form_data(), "files-files": [upload]})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert counts() == (before[0] + 1, before[1] + 1, before[2] + 1, before[3] + 1)
    referral = Referral.objects.latest("id")
    assert referral.referrer.npi == NEW_NPI and referral.referrer.taxonomy_id == "207Q00000X"
    assert referral.source_type == "primary_care" and referral.channel == "web"
    assert referral.diagnoses.get().description.startswith("Major depressive disorder, recurrent, severe")
    assert ScreeningResult.objects.get(referral=referral).resistance == "review"
    confirmation = anonymous_client.get(response["Location"])
    html = confirmation.content.decode()
    assert referral.reference in html and "What happens next" in html
    assert referral.next_action_due_at.astimezone().strftime("%B") in html
    assert "Quinn" not in html  # the confirmation page shows no patient details


@pytest.mark.django_db
def test_a_known_npi_is_matched_to_the_directory(anonymous_client, alice_referrer):
    before = Referrer.objects.count()
    response = anonymous_client.post(reverse("intake:refer"), form_data(**{"me-npi": alice_referrer.npi}))
    assert response.status_code == 302
    assert Referrer.objects.count() == before
    assert Referral.objects.latest("id").referrer == alice_referrer


@pytest.mark.django_db
def test_bad_input_names_every_field_and_writes_nothing(anonymous_client):
    before = counts()
    bad = form_data(
        **{
            "me-npi": "1234567890",
            "patient-date_of_birth": "",
            "trials-0-weeks_at_dose": "-3",
            "diagnoses-0-code": "X99.999999",
            "referral-phq9_total": "20",
        }
    )
    response = anonymous_client.post(reverse("intake:refer"), bad)
    assert response.status_code == 400
    html = response.content.decode()
    assert "check digit" in html and "This field is required" in html
    assert "ICD-10" in html and "give item 9 (0 to 3) or choose “Not asked”" in html
    assert counts() == before


@pytest.mark.django_db
def test_a_non_pdf_attachment_is_refused(anonymous_client):
    before = counts()
    upload = SimpleUploadedFile("notes.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = anonymous_client.post(reverse("intake:refer"), {**form_data(), "files-files": [upload]})
    assert response.status_code == 400
    assert "is not a PDF" in response.content.decode()
    assert counts() == before


@pytest.mark.django_db
def test_an_oversized_attachment_is_refused(anonymous_client, settings):
    before = counts()
    upload = SimpleUploadedFile("big.pdf", PDF + b"0" * (10 * 1024 * 1024), content_type="application/pdf")
    response = anonymous_client.post(reverse("intake:refer"), {**form_data(), "files-files": [upload]})
    assert response.status_code == 400 and "larger than 10 MB" in response.content.decode()
    assert counts() == before


@pytest.mark.django_db
def test_a_signed_in_referrer_is_prefilled(client_for, alice, alice_referrer):
    client = client_for(alice)
    page = client.get(reverse("intake:refer")).content.decode()
    assert "Referring as" in page and alice_referrer.npi in page and 'name="me-npi"' not in page
    data = {k: v for k, v in form_data().items() if not k.startswith("me-")}
    response = client.post(reverse("intake:refer"), data)
    assert response.status_code == 302
    referral = Referral.objects.latest("id")
    assert referral.referrer == alice_referrer and referral.created_by == alice


@pytest.mark.django_db
def test_staff_are_sent_to_their_own_form(client_for, coordinator):
    assert client_for(coordinator).get(reverse("intake:refer"))["Location"] == reverse("referrals:inbox")


@pytest.mark.django_db
def test_the_public_form_is_rate_limited(anonymous_client, settings):
    settings.FORM_RATE_LIMIT = 3
    responses = [anonymous_client.post(reverse("intake:refer"), {"x": "1"}) for _ in range(4)]
    assert [r.status_code for r in responses] == [400, 400, 400, 429]
    assert 1 <= int(responses[-1]["Retry-After"]) <= settings.FORM_RATE_WINDOW
    assert (
        anonymous_client.post(reverse("intake:self_refer"), {"x": "1"}).status_code == 429
    )  # one count for both forms


@pytest.mark.django_db
def test_csrf_is_enforced_on_the_public_form():
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(reverse("intake:refer"), form_data())
    assert response.status_code == 403


@pytest.mark.django_db
def test_a_patient_refers_themselves(anonymous_client):
    data = {
        "patient-first_name": "Lee",
        "patient-last_name": "Self",
        "patient-date_of_birth": "1990-01-01",
        "patient-phone": "7185550102",
        "self-reason": "Nothing has helped for two years.",
        "self-prescriber_name": "Dr Rita Jones, Park Slope Family Medicine",
        "self-suicidal_ideation_current": "on",
    }
    response = anonymous_client.post(reverse("intake:self_refer"), data)
    assert response.status_code == 302
    referral = Referral.objects.latest("id")
    assert (referral.source_type, referral.channel, referral.referrer) == ("self", "self", None)
    assert referral.prescriber_name.startswith("Dr Rita Jones") and referral.urgency == "urgent"
    assert "988" in anonymous_client.get(response["Location"]).content.decode()


@pytest.mark.django_db
def test_a_self_referral_needs_the_prescriber(anonymous_client):
    before = counts()
    response = anonymous_client.post(reverse("intake:self_refer"), {"patient-first_name": "Lee"})
    assert response.status_code == 400 and "Who prescribes" in response.content.decode()
    assert counts() == before


@pytest.mark.django_db
def test_an_old_or_forged_confirmation_link_shows_nothing(anonymous_client, alices_referral):
    assert anonymous_client.get(reverse("intake:sent", args=[f"{alices_referral.pk}:forged"])).status_code == 404


@pytest.mark.django_db
def test_icd10_lookup(anonymous_client):
    codes = anonymous_client.get(reverse("intake:icd10"), {"q": "recurrent severe"}).json()["codes"]
    assert {"code": "F33.2", "description": icd10.describe("F33.2")} in codes
    assert "F41.1" not in {c["code"] for c in codes}


# ---------------------------------------------------------------- the portal


@pytest.mark.django_db
def test_the_portal_shows_a_referrer_their_own(client_for, alice, alices_referral, bobs_referral):
    html = client_for(alice).get(reverse("intake:portal")).content.decode()
    assert alices_referral.reference in html and bobs_referral.reference not in html
    detail = client_for(alice).get(reverse("intake:portal_detail", args=[alices_referral.pk]))
    assert detail.status_code == 200 and "We confirm to you that we have the referral" in detail.content.decode()
    assert AuditEvent.objects.filter(action="view", object_id=str(alices_referral.pk)).exists()


@pytest.mark.django_db
def test_a_practice_admin_sees_the_practice(
    client_for, practice_admin, alices_referral, colleagues_referral, bobs_referral
):
    html = client_for(practice_admin).get(reverse("intake:portal")).content.decode()
    assert alices_referral.reference in html and colleagues_referral.reference in html
    assert bobs_referral.reference not in html


@pytest.mark.django_db
def test_the_portal_timeline_leaves_out_internal_notes(client_for, alice, alices_referral, coordinator):
    from liaison.referrals import services

    services.referral_add_note(referral=alices_referral, by=coordinator, text="Internal: patient sounded low.")
    services.referral_transition(referral=alices_referral, to="acknowledged", by=coordinator)
    html = client_for(alice).get(reverse("intake:portal_detail", args=[alices_referral.pk])).content.decode()
    assert "Acknowledged" in html and "Internal" not in html


def _attached(referral):
    return Attachment.objects.create(
        referral=referral,
        filename="a.pdf",
        size=len(PDF),
        sha256="0" * 64,
        content=PDF,
        uploaded_at=referral.received_at,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["bob", "anonymous", "liaison"])
def test_outsiders_reach_nothing_of_alices(who, request, alices_referral, client_for):
    user = None if who == "anonymous" else request.getfixturevalue(who)
    client = client_for(user)
    item = _attached(alices_referral)
    urls = [
        reverse("intake:portal_detail", args=[alices_referral.pk]),
        reverse("intake:attachment", args=[alices_referral.pk, item.pk]),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code in (302, 403, 404), url
        assert b"%PDF" not in response.content
    flag_url = reverse("intake:duplicate", args=[alices_referral.pk, 1])
    assert client.post(flag_url, {"decision": "merge"}).status_code in (302, 403, 404)
    if user is not None and who != "liaison":
        assert client.get(urls[0]).status_code == 404
    if user is None:
        assert client.get(reverse("intake:portal"))["Location"].startswith(reverse("accounts:login"))


@pytest.mark.django_db
def test_staff_cannot_use_the_portal_pages(client_for, coordinator):
    assert client_for(coordinator).get(reverse("intake:portal")).status_code == 403


@pytest.mark.django_db
def test_the_referrer_and_staff_download_the_attachment(client_for, alice, coordinator, alices_referral):
    item = _attached(alices_referral)
    for user in (alice, coordinator):
        response = client_for(user).get(reverse("intake:attachment", args=[alices_referral.pk, item.pk]))
        assert response.status_code == 200 and response.content == PDF


# ---------------------------------------------------------------- duplicates and the inbox


@pytest.mark.django_db
def test_a_duplicate_is_flagged_and_merged_only_when_a_person_confirms(client_for, coordinator, bob, alices_referral):
    patient = alices_referral.patient
    again = PatientDataFactory(
        first_name=patient.first_name, last_name=patient.last_name + "e", date_of_birth=patient.date_of_birth
    )
    second = receive_referral(patient=again, referral=ReferralDataFactory(referrer=bob.referrer))
    flag = DuplicateFlag.objects.get(referral=second)
    assert flag.existing_id == alices_referral.pk and flag.status == "open"
    second.refresh_from_db()
    assert second.is_open and second.screening.possible_duplicate
    page = client_for(coordinator).get(reverse("referrals:detail", args=[second.pk])).content.decode()
    assert "Possible duplicate" in page and "Same patient: merge" in page
    assert (
        client_for(bob).post(reverse("intake:duplicate", args=[second.pk, flag.pk]), {"decision": "merge"}).status_code
        == 403
    )
    response = client_for(coordinator).post(
        reverse("intake:duplicate", args=[second.pk, flag.pk]), {"decision": "merge"}
    )
    assert response.status_code == 302
    second.refresh_from_db()
    flag.refresh_from_db()
    assert (second.status, second.is_open, flag.status) == ("cancelled", False, "merged")


def test_a_duplicate_decision_must_be_one_of_the_two_and_is_taken_once(client_for, coordinator, bob, alices_referral):
    patient = alices_referral.patient
    again = PatientDataFactory(
        first_name=patient.first_name, last_name=patient.last_name + "e", date_of_birth=patient.date_of_birth
    )
    second = receive_referral(patient=again, referral=ReferralDataFactory(referrer=bob.referrer))
    flag = DuplicateFlag.objects.get(referral=second)
    url = reverse("intake:duplicate", args=[second.pk, flag.pk])
    client = client_for(coordinator)
    for bad in ({}, {"decision": "maybe"}):
        page = client.post(url, bad, follow=True).content.decode()
        assert "Choose “Same patient: merge” or “Different patient”" in page
        flag.refresh_from_db()
        assert flag.status == "open"
    client.post(url, {"decision": "dismiss"})
    flag.refresh_from_db()
    assert flag.status == "dismissed"
    page = client.post(url, {"decision": "merge"}, follow=True).content.decode()
    assert "already been decided" in page
    second.refresh_from_db()
    assert second.is_open  # the late "merge" cancelled nothing


@pytest.mark.django_db
def test_a_different_patient_is_not_flagged(alices_referral):
    other = PatientDataFactory(
        first_name="Zed", last_name="Xylophone", date_of_birth=alices_referral.patient.date_of_birth
    )
    assert not DuplicateFlag.objects.filter(referral=receive_referral(patient=other)).exists()


@pytest.mark.django_db
def test_the_inbox_shows_screening_with_a_constant_number_of_queries(
    client_for, coordinator, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(coordinator)
    receive_referral(referral=ReferralDataFactory(suicidal_ideation_current=True))
    with CaptureQueriesContext(connection) as few:
        html = client.get(reverse("referrals:inbox")).content.decode()
    assert "Safety: urgent" in html
    for _ in range(6):
        receive_referral()
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("referrals:inbox"))
    assert len(many) == len(few)


@pytest.mark.django_db
def test_the_referral_page_shows_the_rule_behind_each_finding(client_for, coordinator):
    referral = receive_referral(referral=ReferralDataFactory(pregnancy=True))
    html = client_for(coordinator).get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert "rule: Pregnancy (pregnancy)" in html
    assert re.search(r"decision support, never a decline", html)
