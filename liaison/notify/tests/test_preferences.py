"""Each person chooses what they receive, except safety alerts, which always go: proved at the form, the model and
the service, and the page tested as every role."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from liaison.core.models import AuditEvent
from liaison.notify import notices
from liaison.notify.choices import NoticeKind
from liaison.notify.forms import PreferencesForm
from liaison.notify.models import Preference

URL = reverse("notify:preferences")
ALL_OFF = {"urgent_referral": False, "referrer_message": False, "letter_due_soon": False, "digest": False}


# ---------------------------------------------------------------- safety alerts cannot be switched off


def test_the_form_cannot_switch_safety_alerts_off(clinician):
    form = PreferencesForm({"safety_alert": "", "digest": "on"}, instance=Preference(user=clinician))
    assert form.is_valid(), form.errors
    assert form.fields["safety_alert"].disabled and form.cleaned_data["safety_alert"] is True
    assert "safety_alert" not in form.choices()


def test_the_database_refuses_a_row_with_safety_alerts_off(clinician):
    with pytest.raises(IntegrityError), transaction.atomic():
        Preference.objects.create(user=clinician, safety_alert=False)


def test_the_service_refuses_to_switch_safety_alerts_off_and_writes_nothing(clinician):
    with pytest.raises(ValidationError) as exc:
        notices.preferences_update(user=clinician, by=clinician, choices={"safety_alert": False, "digest": False})
    assert "cannot be switched off" in exc.value.message_dict["safety_alert"][0]
    assert not Preference.objects.exists()


def test_with_everything_else_off_a_safety_alert_is_still_wanted(clinician):
    notices.preferences_update(user=clinician, by=clinician, choices=ALL_OFF)
    assert notices.wants(clinician, NoticeKind.SAFETY_ALERT)
    assert not any(notices.wants(clinician, kind) for kind in notices.FIELD)


def test_a_safety_alert_posted_off_on_the_page_stays_on(client_for, clinician):
    response = client_for(clinician).post(URL, {"safety_alert": "", "urgent_referral": "on"})
    assert response.status_code == 302
    saved = Preference.objects.get(user=clinician)
    assert saved.safety_alert and saved.urgent_referral and not saved.digest


# ---------------------------------------------------------------- the choices


def test_the_service_saves_choices_and_audits_them(coordinator):
    notices.preferences_update(user=coordinator, by=coordinator, choices={"digest": False})
    assert not notices.wants(coordinator, NoticeKind.DIGEST) and notices.wants(coordinator, NoticeKind.LETTER_DUE_SOON)
    assert AuditEvent.objects.filter(action="notify_preferences", actor=coordinator).exists()


def test_nobody_chooses_for_someone_else(coordinator, clinician):
    with pytest.raises(ValidationError):
        notices.preferences_update(user=clinician, by=coordinator, choices={"digest": False})
    assert not Preference.objects.exists()


def test_a_bad_choice_is_named(coordinator):
    with pytest.raises(ValidationError) as exc:
        notices.preferences_update(user=coordinator, by=coordinator, choices={"fax": True, "digest": "maybe"})
    assert set(exc.value.message_dict) == {"fax", "digest"}


# ---------------------------------------------------------------- the page, as every role


@pytest.mark.parametrize("who", ["coordinator", "clinician", "director"])
def test_the_clinical_team_sees_and_saves_its_choices(client_for, request, who):
    user = request.getfixturevalue(who)
    client = client_for(user)
    account = client.get(reverse("accounts:account"))
    assert account.status_code == 200
    assert 'id="notifications"' in account.content.decode() and URL in account.content.decode()
    page = client.get(URL).content.decode()
    assert "Safety alerts" in page and "Always sent" in page
    response = client.post(URL, {"urgent_referral": "on", "digest": "on"})
    assert response.status_code == 302 and response["Location"] == URL
    saved = Preference.objects.get(user=user)
    assert (saved.urgent_referral, saved.referrer_message, saved.letter_due_soon, saved.digest) == (
        True, False, False, True,
    )  # fmt: skip
    assert client.get(URL).status_code == 200


@pytest.mark.parametrize("who", ["liaison", "admin", "alice", "practice_admin"])
def test_everyone_else_is_refused_and_sees_no_section(client_for, request, who):
    client = client_for(request.getfixturevalue(who))
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"digest": "on"}).status_code == 403
    assert 'id="notifications"' not in client.get(reverse("accounts:account")).content.decode()
    assert not Preference.objects.exists()


def test_signed_out_goes_to_sign_in(client_for):
    response = client_for(None).get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_account_without_email_is_told(client_for, clinician):
    clinician.email = ""
    clinician.save()
    for url in (reverse("accounts:account"), URL):
        assert "no notification can reach you" in client_for(clinician).get(url).content.decode()
