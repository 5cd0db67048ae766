"""The ICD-10 look-up: by code or by words, on the public and the staff referral forms. Words that fit one code are
kept as that code; words that fit several, or none, are sent back with a message on the code field that says which
codes fit (or that none does), and nothing is written."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from liaison.referrals import icd10
from liaison.referrals.models import Diagnosis, Referral
from liaison.referrals.tests.test_intake_forms import form_data


@pytest.fixture(autouse=True)
def _fresh_rate_limit(db):
    cache.clear()


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("F33.2", "F33.2"),
        ("f332", "F33.2"),
        ("  f32.a ", "F32.A"),
        ("F33.2 Major depressive disorder, recurrent, severe, without psychotic features", "F33.2"),
        ("major depression recurrent severe without psychotic", "F33.2"),
        ("Major depressive disorder, recurrent, severe, with psychotic features", "F33.3"),
        ("PTSD chronic", "F43.12"),
        ("generalised anxiety", "F41.1"),
        ("GAD", "F41.1"),
        ("dysthymia", "F34.1"),
        ("F99.1", "F99.1"),  # shaped like a code: kept, though not on our short list
    ],
)
def test_a_code_or_words_that_fit_one_code_resolve_to_it(typed, code):
    assert icd10.resolve(typed) == code


def test_major_depression_is_found_by_words_and_offers_its_codes():
    found = [code for code, _ in icd10.search("major depression")]
    assert "F33.2" in found and "F32.1" in found and "F41.1" not in found
    with pytest.raises(icd10.NoMatch, match=r"“major depression” fits \d+ ICD-10 codes \(F32\.0 Major depressive"):
        icd10.resolve("major depression")


def test_words_that_fit_nothing_say_so():
    with pytest.raises(icd10.NoMatch, match="No ICD-10 code matches “broken leg”"):
        icd10.resolve("broken leg")
    with pytest.raises(icd10.NoMatch, match="“F3.2” is not an ICD-10-CM code. Enter an ICD-10-CM code such as"):
        icd10.resolve("F3.2")


def test_the_look_up_answers_codes_and_words(anonymous_client):
    by_code = anonymous_client.get(reverse("intake:icd10"), {"q": "F43"}).json()["codes"]
    assert [c["code"] for c in by_code] == ["F43.10", "F43.11", "F43.12", "F43.21", "F43.23", "F43.8"]
    by_words = anonymous_client.get(reverse("intake:icd10"), {"q": "major depression"}).json()["codes"]
    assert by_words and all("Major depressive" in c["description"] for c in by_words)


@pytest.mark.django_db
def test_the_public_form_keeps_the_code_for_words_that_fit_one(anonymous_client):
    data = form_data(**{"diagnoses-0-code": "recurrent severe without psychotic"})
    assert anonymous_client.post(reverse("intake:refer"), data).status_code == 302
    diagnosis = Diagnosis.objects.get()
    assert (diagnosis.code, diagnosis.description) == ("F33.2", icd10.describe("F33.2"))


@pytest.mark.django_db
def test_the_public_form_accepts_a_description_typed_in_the_description_box(anonymous_client):
    data = form_data(**{"diagnoses-0-code": "", "diagnoses-0-description": "Generalized anxiety disorder"})
    assert anonymous_client.post(reverse("intake:refer"), data).status_code == 302
    assert Diagnosis.objects.get().code == "F41.1"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("major depression", "“major depression” fits"),
        ("broken leg", "No ICD-10 code matches “broken leg”"),
    ],
)
def test_the_public_form_sends_back_words_that_fit_several_codes_or_none(anonymous_client, typed, message):
    response = anonymous_client.post(reverse("intake:refer"), form_data(**{"diagnoses-0-code": typed}))
    assert response.status_code == 400 and not Referral.objects.exists()
    form = response.context["diagnoses"].forms[0]
    assert message in form.errors["code"][0]
    assert "at most 8 characters" not in response.content.decode()


@pytest.mark.django_db
def test_the_staff_form_looks_codes_up_by_words_too(client_for, coordinator, alice_referrer):
    page = client_for(coordinator).get(reverse("referrals:new")).content.decode()
    assert 'data-icd10-url="/refer/icd10/"' in page and 'id="icd10-options"' in page and "referrals/icd10.js" in page
    data = {"diagnoses-TOTAL_FORMS": "1", "diagnoses-INITIAL_FORMS": "0", "diagnoses-0-code": "major depression",
            "trials-TOTAL_FORMS": "0", "trials-INITIAL_FORMS": "0"}  # fmt: skip
    response = client_for(coordinator).post(reverse("referrals:new"), data)
    assert "“major depression” fits" in response.context["diagnoses"].forms[0].errors["code"][0]
