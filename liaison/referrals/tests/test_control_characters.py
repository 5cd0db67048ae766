"""A line break (or any control character) in a name never gets in: the public referral form, the
self-referral form and the staff form refuse it with the field named, and write nothing."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from liaison.directory.models import Referrer
from liaison.referrals.models import Patient, Referral
from liaison.referrals.tests.factories import staff_form_post
from liaison.referrals.tests.test_intake_forms import form_data

BROKEN = "Sam\nBcc: everyone@example.test"


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()


def counts():
    return Referral.objects.count(), Patient.objects.count(), Referrer.objects.count()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "form", "name"),
    [
        ("patient-first_name", "patient_form", "first_name"),
        ("patient-last_name", "patient_form", "last_name"),
        ("patient-phone", "patient_form", "phone"),
        ("me-last_name", "referrer_form", "last_name"),
        ("me-email", "referrer_form", "email"),
        ("referral-coordination_name", "referral_form", "coordination_name"),
    ],
)
def test_the_public_referral_form_refuses_a_line_break_and_names_the_field(anonymous_client, field, form, name):
    before = counts()
    response = anonymous_client.post(reverse("intake:refer"), form_data(**{field: BROKEN}))
    assert response.status_code == 400
    assert list(response.context[form].errors) == [name]
    assert "single line of plain text" in response.content.decode()
    assert counts() == before


@pytest.mark.django_db
def test_the_public_form_keeps_line_breaks_in_its_text_areas(anonymous_client):
    response = anonymous_client.post(
        reverse("intake:refer"), form_data(**{"referral-reason": "Two years.\r\nNo help."})
    )
    assert response.status_code == 302
    assert Referral.objects.get().reason.splitlines() == ["Two years.", "No help."]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "form", "name"),
    [
        ("patient-first_name", "patient_form", "first_name"),
        ("self-prescriber_name", "form", "prescriber_name"),
        ("self-reason", "form", "reason"),  # a text area: line breaks yes, an escape character no
    ],
)
def test_the_self_referral_form_refuses_control_characters(anonymous_client, field, form, name):
    data = {
        "patient-first_name": "Lee",
        "patient-last_name": "Self",
        "patient-date_of_birth": "1990-01-01",
        "patient-phone": "7185550102",
        "self-reason": "Nothing has helped.",
        "self-prescriber_name": "Dr Rita Jones",
    }
    data[field] = "Lee\x1b[2J" if name == "reason" else "Lee\r\nSelf"
    before = counts()
    response = anonymous_client.post(reverse("intake:self_refer"), data)
    assert response.status_code == 400
    assert list(response.context[form].errors) == [name]
    assert counts() == before


@pytest.mark.django_db
def test_the_staff_form_refuses_a_line_break_in_the_patients_name(client_for, coordinator, alice_referrer):
    before = counts()
    data = staff_form_post(referrer=alice_referrer, **{"patient-last_name": "Lee\nSmith"})
    response = client_for(coordinator).post(reverse("referrals:new"), data)
    assert response.status_code == 400
    assert list(response.context["patient_form"].errors) == ["last_name"]
    assert counts() == before
