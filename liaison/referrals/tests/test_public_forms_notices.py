"""The public forms say what is collected, who sees it and how it is kept; the self-referral form and its
confirmation promise only what the practice does: it reads requests during opening hours, and in an emergency
the patient calls 988 or 911 rather than waiting."""

from datetime import time

import pytest
from django.core.cache import cache
from django.urls import reverse

from liaison.core.models import Clinic
from liaison.referrals.opening import opening_hours

SELF = {
    "patient-first_name": "Lee",
    "patient-last_name": "Self",
    "patient-date_of_birth": "1990-01-01",
    "patient-phone": "7185550102",
    "self-reason": "Nothing has helped for two years.",
    "self-prescriber_name": "Dr Rita Jones, Park Slope Family Medicine",
}


@pytest.fixture(autouse=True)
def _fresh_rate_limit(db):
    cache.clear()


def _sent_page(client, **extra) -> str:
    response = client.post(reverse("intake:self_refer"), {**SELF, **extra})
    assert response.status_code == 302
    return client.get(response["Location"]).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "says"),
    [("intake:refer", "the patient's name, date of birth"), ("intake:self_refer", "your name, date of birth")],
)
def test_both_public_forms_carry_a_privacy_notice(anonymous_client, name, says):
    html = anonymous_client.get(reverse(name)).content.decode()
    assert 'aria-labelledby="privacy-h"' in html and "Your privacy" in html
    assert says in html and "Only our practice's care team sees" in html  # what, and who sees it
    assert "audit trail" in html and "as long as the law requires" in html  # how it is kept
    assert "We do not sell it" in html


@pytest.mark.django_db
def test_the_self_referral_form_says_when_it_is_read(anonymous_client):
    html = anonymous_client.get(reverse("intake:self_refer")).content.decode()
    assert "not watched around the clock" in html and "Monday to Friday, 9 AM to 5 PM" in html
    assert "988" in html and "911" in html


@pytest.mark.django_db
def test_an_urgent_self_referral_is_not_promised_a_clinician_now(anonymous_client):
    html = _sent_page(anonymous_client, **{"self-suicidal_ideation_current": "on"})
    assert "looks at it now" not in html and " now</strong>" not in html
    assert "Our team reads your request during opening hours" in html and "a clinician reads it first" in html
    assert 'role="alert"><h2>If you are in danger right now' in html and "988" in html and "911" in html


@pytest.mark.django_db
def test_a_routine_self_referral_is_told_when_it_is_read_and_what_to_do_in_an_emergency(anonymous_client):
    html = _sent_page(anonymous_client)
    assert "Our team reads your request during opening hours" in html and "a clinician reads it first" not in html
    assert "If you are in danger right now" in html and "not watched around the clock" in html


@pytest.mark.django_db
def test_the_opening_hours_are_the_clinics():
    assert opening_hours() == "Monday to Friday, 9 AM to 5 PM, except public holidays"  # no clinic row yet
    Clinic.objects.create(name="Park Slope Ketamine", business_day_start=time(8, 30), business_day_end=time(18))
    assert opening_hours() == "Monday to Friday, 8:30 AM to 6 PM, except public holidays"
