"""Doses and durations that cannot be right are refused, and unusual ones are refused until the sender confirms
them: the same rule in the intake service, and so on the public form, the staff form and the JSON API."""

import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from liaison.referrals import plausibility, services
from liaison.referrals.choices import IntakeChannel
from liaison.referrals.models import MedicationTrial, Referral
from liaison.referrals.tests.factories import (
    PatientDataFactory,
    ReferralDataFactory,
    TrialDataFactory,
    staff_form_post,
)
from liaison.referrals.tests.test_intake_forms import form_data

NOW = timezone.now()
DOSE, WEEKS, CONFIRM = "trials.0.daily_dose_mg", "trials.0.weeks_at_dose", "referral.confirm_unusual"


@pytest.fixture(autouse=True)
def _fresh_rate_limit(db):
    cache.clear()


def _trial(drug="sertraline", dose="150", weeks=8):
    return MedicationTrial(drug=drug, daily_dose_mg=Decimal(dose), weeks_at_dose=weeks)


@pytest.mark.parametrize(
    ("drug", "dose", "weeks", "errors", "unusual"),
    [
        ("sertraline", "200", 12, set(), set()),  # the usual maximum
        ("sertraline", "300", 12, set(), set()),  # one and a half times: a high dose, not an unusual one
        ("sertraline", "350", 12, set(), {DOSE}),
        ("Zoloft", "5000", 12, {DOSE}, set()),  # a brand name is the drug
        ("Venlafaxine XR", "600", 12, set(), {DOSE}),
        ("sertraline", "5000", 400, {DOSE}, {WEEKS}),
        ("sertraline", "150", 0, {WEEKS}, set()),
        ("sertraline", "150", 104, set(), set()),
        ("sertraline", "150", 105, set(), {WEEKS}),
        ("an unlisted drug", "5000", 8, set(), set()),  # no maximum known: nothing said
    ],
)
def test_what_cannot_be_right_and_what_is_unusual(drug, dose, weeks, errors, unusual):
    found = plausibility.check(trials=[_trial(drug, dose, weeks)], date_of_birth=datetime.date(1980, 1, 1), at=NOW)
    assert (set(found.errors), set(found.unusual)) == (errors, unusual)


def test_more_weeks_than_a_lifetime_cannot_be_right():
    born = (NOW - datetime.timedelta(weeks=300)).date()
    found = plausibility.check(trials=[_trial(weeks=400)], date_of_birth=born, at=NOW)
    assert "longer than the patient has been alive (5 years)" in found.errors[WEEKS][0]


def _receive(trial: dict, **referral):
    return services.referral_receive(
        by=None,
        patient=PatientDataFactory(),
        referral={**ReferralDataFactory(), **referral},
        trials=[TrialDataFactory(**trial)],
        channel=IntakeChannel.WEB,
    )


@pytest.mark.django_db
def test_sertraline_5000_mg_for_400_weeks_is_refused_even_when_confirmed():
    for confirmed in (False, True):
        with pytest.raises(ValidationError) as exc:
            _receive({"drug": "sertraline", "daily_dose_mg": Decimal("5000"), "weeks_at_dose": 400},
                     confirm_unusual=confirmed)  # fmt: skip
        errors = exc.value.message_dict
        assert "5,000 mg a day of sertraline is more than 5 times its usual maximum (200 mg a day)" in errors[DOSE][0]
        assert (WEEKS in errors, CONFIRM in errors) == (not confirmed, not confirmed)
    assert not Referral.objects.exists()


@pytest.mark.django_db
def test_an_unusual_dose_is_written_once_confirmed():
    unusual = {"drug": "sertraline", "daily_dose_mg": Decimal("400"), "weeks_at_dose": 200}
    with pytest.raises(ValidationError) as exc:
        _receive(unusual)
    assert set(exc.value.message_dict) == {DOSE, WEEKS, CONFIRM} and not Referral.objects.exists()
    assert "“These unusual figures are right”" in exc.value.message_dict[CONFIRM][0]
    referral = _receive(unusual, confirm_unusual=True)
    assert referral.trials.get().daily_dose_mg == Decimal("400")


@pytest.mark.django_db
def test_the_public_form_refuses_the_impossible_and_asks_to_confirm_the_unusual(anonymous_client):
    impossible = form_data(**{"trials-0-daily_dose_mg": "5000", "trials-0-weeks_at_dose": "400"})
    response = anonymous_client.post(reverse("intake:refer"), impossible)
    assert response.status_code == 400 and not Referral.objects.exists()
    trial = response.context["trials"].forms[0]
    assert "cannot be right" in trial.errors["daily_dose_mg"][0] and "unusual" in trial.errors["weeks_at_dose"][0]
    html = response.content.decode()
    assert 'class="confirmbox"' in html and 'name="referral-confirm_unusual"' in html

    unusual = form_data(**{"trials-0-daily_dose_mg": "400", "trials-0-weeks_at_dose": "8"})
    assert anonymous_client.post(reverse("intake:refer"), unusual).status_code == 400
    confirmed = {**unusual, "referral-confirm_unusual": "on"}
    assert anonymous_client.post(reverse("intake:refer"), confirmed).status_code == 302
    assert Referral.objects.get().trials.get().daily_dose_mg == Decimal("400")


@pytest.mark.django_db
def test_the_form_does_not_offer_the_confirmation_before_anything_is_unusual(anonymous_client):
    assert 'name="referral-confirm_unusual"' not in anonymous_client.get(reverse("intake:refer")).content.decode()


@pytest.mark.django_db
def test_the_staff_form_applies_the_same_rule(client_for, coordinator, alice_referrer):
    data = staff_form_post(referrer=alice_referrer, **{"trials-0-drug": "sertraline", "trials-0-daily_dose_mg": "5000"})
    response = client_for(coordinator).post(reverse("referrals:new"), data)
    assert response.status_code == 400 and not Referral.objects.exists()
    assert "cannot be right" in response.context["trials"].forms[0].errors["daily_dose_mg"][0]

    unusual = {**data, "trials-0-daily_dose_mg": "400"}
    response = client_for(coordinator).post(reverse("referrals:new"), unusual)
    assert "well above its usual maximum" in response.context["trials"].forms[0].errors["daily_dose_mg"][0]
    assert response.context["referral_form"].errors["confirm_unusual"]
    confirmed = {**unusual, "referral-confirm_unusual": "on"}
    assert client_for(coordinator).post(reverse("referrals:new"), confirmed).status_code == 302
