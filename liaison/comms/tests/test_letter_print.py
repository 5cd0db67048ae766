"""Letters a clinician would sign: greeted by title and surname, numbers written for people, one page when the
letter is short, and the PHQ-9 trajectory in the letters that report a course of treatment."""

import io
from types import SimpleNamespace

import pytest
from pypdf import PdfReader

from liaison.comms import letters, services
from liaison.comms.tests.helpers import keys, referral_for, staff
from liaison.comms.tests.test_outcome_words import _course
from liaison.core.models import Clinic


def _referrer(first="Olivia", last="Brennan", credential="", taxonomy="1041C0700X"):
    return SimpleNamespace(first_name=first, last_name=last, credential=credential, taxonomy_id=taxonomy)


@pytest.mark.parametrize(
    ("credential", "taxonomy", "greeting"),
    [
        ("MD", "2084P0800X", "Dr. Brennan"),
        ("M.D.", "2084P0800X", "Dr. Brennan"),
        ("DO", "207Q00000X", "Dr. Brennan"),
        ("MD, PhD", "2084P0800X", "Dr. Brennan"),
        ("PsyD", "103TC0700X", "Dr. Brennan"),
        ("PhD", "103TC0700X", "Dr. Brennan"),
        ("", "207R00000X", "Dr. Brennan"),  # no credential typed: a physician's specialty says it
        ("LCSW", "1041C0700X", "Olivia Brennan"),
        ("PMHNP-BC", "363LP0808X", "Olivia Brennan"),
        ("NP", "363LP0808X", "Olivia Brennan"),
        ("", "1041C0700X", "Olivia Brennan"),
    ],
)
def test_the_greeting_is_by_title_and_surname_for_a_doctor_and_by_name_otherwise(credential, taxonomy, greeting):
    assert letters.salutation(_referrer(credential=credential, taxonomy=taxonomy)) == greeting


def test_a_drafted_letter_greets_a_doctor_by_title_and_surname(protocol, clinic):
    coordinator, clinician = staff()
    referral = referral_for(
        coordinator=coordinator, clinician=clinician, first_name="Olivia", last_name="Brennan", credential="MD"
    )
    letter = services.letter_draft(due=keys(referral)["ack"], by=coordinator)
    assert letter.body.startswith("Dear Dr. Brennan,\n")
    assert "Olivia Brennan, MD" in letters.render_html(letter)  # the address line keeps the whole name


def test_a_drafted_letter_greets_a_counsellor_by_name(protocol, clinic):
    coordinator, clinician = staff()
    referral = referral_for(
        coordinator=coordinator, clinician=clinician, first_name="Alex", last_name="Kim", credential="LCSW"
    )
    referral.referrer.taxonomy_id = "1041C0700X"
    referral.referrer.save(update_fields=["taxonomy"])
    letter = services.letter_draft(due=keys(referral)["ack"], by=coordinator)
    assert letter.body.startswith("Dear Alex Kim,\n")


def test_phone_and_fax_numbers_are_written_for_people(protocol, db):
    Clinic.objects.create(name="Harbor Ketamine Clinic", phone="+12125550100", fax="+12125550199")
    coordinator, clinician = staff()
    letter = services.letter_draft(
        due=keys(referral_for(coordinator=coordinator, clinician=clinician))["ack"], by=coordinator
    )
    assert "call us on (212) 555-0100." in letter.body and "+1212" not in letter.body
    html = letters.render_html(letter)
    assert "Phone (212) 555-0100" in html and "Fax (212) 555-0199" in html and "+1212" not in html


def test_a_number_that_is_not_one_is_printed_as_typed(protocol, db):
    Clinic.objects.create(name="Harbor Ketamine Clinic", phone="ask for the front desk")
    coordinator, clinician = staff()
    letter = services.letter_draft(
        due=keys(referral_for(coordinator=coordinator, clinician=clinician))["ack"], by=coordinator
    )
    assert "Phone ask for the front desk" in letters.render_html(letter)


def _pdf(letter) -> PdfReader:
    return PdfReader(io.BytesIO(letters.render_pdf(letter)))


def test_a_short_signed_letter_is_one_page(protocol, clinic):
    coordinator, clinician = staff()
    letter = services.letter_draft(
        due=keys(referral_for(coordinator=coordinator, clinician=clinician))["ack"], by=coordinator
    )
    services.letter_approve(letter=letter, by=coordinator)
    letter.refresh_from_db()
    pdf = _pdf(letter)
    assert len(pdf.pages) == 1
    text = pdf.pages[0].extract_text()
    assert "Signed:" in text and "confidential health information" in text


def test_a_long_letter_runs_on_with_its_footer_on_every_page(protocol, clinic):
    coordinator, clinician = staff()
    letter = services.letter_draft(
        due=keys(referral_for(coordinator=coordinator, clinician=clinician))["ack"], by=coordinator
    )
    long_words = "\n\n".join(f"Paragraph {n}: " + "the course went as planned. " * 12 for n in range(40))
    services.letter_edit(letter=letter, by=coordinator, subject=letter.subject, body=long_words)
    pages = _pdf(letter).pages
    assert len(pages) > 1
    for n, page in enumerate(pages, start=1):
        text = page.extract_text()
        assert "confidential health information" in text and f"Page {n} of {len(pages)}" in text


@pytest.mark.parametrize(("key", "model"), [("outcome", "integrated"), ("update:4", "collaborative")])
def test_the_phq9_trajectory_is_drawn_in_the_html_and_the_pdf(protocol, clinic, key, model):
    referral, clinician = _course([22, 18, 14, 10, 7, 5, 3], model=model)
    letter = services.letter_draft(due=keys(referral)[key], by=clinician)
    assert letter.letter_type in letters.CHART_LETTERS
    assert [total for _, total in letter.facts["care"]["phq9_points"]] == [22, 18, 14, 10, 7, 5, 3]
    html = letters.render_html(letter)
    assert html.count("<svg") == 1 and 'class="score-chart"' in html and "PHQ-9 over time" in html
    text = "".join(page.extract_text() for page in _pdf(letter).pages)
    assert "PHQ-9 score" in text and "Severe 20" in text  # the chart's axis and band labels, drawn in the PDF


def test_two_scores_make_a_chart_one_makes_none_and_other_letters_have_none(protocol, clinic):
    referral, clinician = _course([22, 18])
    owed = keys(referral)
    outcome = services.letter_draft(due=owed["outcome"], by=clinician)
    assert "<svg" in letters.render_html(outcome)
    one_score = {
        **outcome.facts,
        "care": {**outcome.facts["care"], "phq9_points": outcome.facts["care"]["phq9_points"][:1]},
    }
    html = letters.render_html(outcome, facts=one_score)
    assert "<svg" not in html and "22 / 27, severe" in html  # the table still gives the score
    evaluation = services.letter_draft(due=owed["eval"], by=clinician)
    assert evaluation.facts["care"]["phq9_points"] and "<svg" not in letters.render_html(evaluation)


def test_a_letter_drafted_before_scores_were_kept_with_it_renders_without_a_chart(protocol, clinic):
    referral, clinician = _course([22, 18, 14])
    letter = services.letter_draft(due=keys(referral)["outcome"], by=clinician)
    older = {**letter.facts, "care": {k: v for k, v in letter.facts["care"].items() if k != "phq9_points"}}
    assert "<svg" not in letters.render_html(letter, facts=older)


def test_the_practice_page_writes_its_contacts_number_for_people(client_for, liaison):
    from liaison.crm.models import Relationship
    from liaison.directory.tests.factories import PracticeFactory

    practice = PracticeFactory()
    Relationship.objects.create(practice=practice, contact_name="Dana Ruiz", contact_phone="+12125550142")
    body = client_for(liaison).get(f"/crm/practices/{practice.pk}/").content.decode()
    assert "Dana Ruiz · (212) 555-0142" in body  # the form below keeps the number as stored
