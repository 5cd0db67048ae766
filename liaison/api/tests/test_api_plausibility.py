"""The API refuses a trial's dose or weeks that cannot be right, and unusual ones until `confirm_unusual` is sent:
the intake service's rule (referrals/plausibility.py), as on the forms."""

import pytest

from liaison.api.tests.test_api_referrals import body, post
from liaison.referrals.models import Referral


@pytest.mark.django_db
def test_the_api_applies_the_forms_rule_for_doses_and_weeks(api_client, token_for, alice):
    client = api_client(token_for(alice))
    unusual = body(trials=[{"drug": "sertraline", "daily_dose_mg": 400, "weeks_at_dose": 8}])
    response = post(client, unusual)
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"trials.0.daily_dose_mg", "confirm_unusual"}
    impossible = body(
        trials=[{"drug": "sertraline", "daily_dose_mg": 5000, "weeks_at_dose": 400}], confirm_unusual=True
    )
    response = post(client, impossible)
    assert response.status_code == 422 and set(response.json()["errors"]) == {"trials.0.daily_dose_mg"}
    assert "cannot be right" in response.json()["errors"]["trials.0.daily_dose_mg"][0]
    assert not Referral.objects.exists()
    assert post(client, {**unusual, "confirm_unusual": True}).status_code == 201


@pytest.mark.django_db
def test_zero_weeks_at_a_dose_is_refused_by_the_schema(api_client, token_for, alice):
    response = post(api_client(token_for(alice)), body(trials=[{"drug": "sertraline", "weeks_at_dose": 0}]))
    assert response.status_code == 422 and "trials.0.weeks_at_dose" in response.json()["errors"]
