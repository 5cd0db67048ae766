"""Errors from referral_receive land on the form, and the row, that shows the field at fault."""

import pytest
from django.core.exceptions import ValidationError

from liaison.referrals.forms import PatientForm, StaffReferralForm, TrialFormSet, filled_forms, put_back

pytestmark = pytest.mark.django_db  # the referral form lists the referrers


def test_a_row_error_lands_on_the_row_the_person_filled_in_after_a_blank_one():
    data = {
        "trials-TOTAL_FORMS": "2",
        "trials-INITIAL_FORMS": "0",
        "trials-0-in_current_episode": "on",
        "trials-0-response": "unknown",
        "trials-0-reason_stopped": "inefficacy",
    }  # a blank row, as posted
    data |= {
        "trials-1-drug": "sertraline",
        "trials-1-daily_dose_mg": "150",
        "trials-1-weeks_at_dose": "8",
        "trials-1-response": "none",
        "trials-1-reason_stopped": "inefficacy",
        "trials-1-in_current_episode": "on",
    }
    trials = TrialFormSet(data, prefix="trials")
    assert trials.is_valid()
    sent = filled_forms(trials)
    assert sent == [trials.forms[1]]  # the service numbers only the rows it was sent
    patient, referral = PatientForm({}, prefix="patient"), StaffReferralForm({}, prefix="referral")
    patient.is_valid(), referral.is_valid()
    error = ValidationError({"trials.0.drug": ["Name the drug."], "trials.7": ["A row we were not shown."],
                             "patient.first_name": ["Give the first name."]})  # fmt: skip
    put_back(error, {"patient": patient, "referral": referral}, {"trials": sent})
    assert trials.forms[1].errors["drug"] == ["Name the drug."] and not trials.forms[0].errors
    assert "A row we were not shown." in referral.non_field_errors()
    assert "Give the first name." in patient.errors["first_name"]
