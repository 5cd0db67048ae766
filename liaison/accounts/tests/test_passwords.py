"""Guessable passwords are refused wherever a password is set (your own change, the admin's forms), with the
field named and nothing saved."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from liaison.accounts.tests.factories import PASSWORD, CoordinatorFactory
from liaison.core.models import AuditEvent

pytestmark = pytest.mark.django_db

CHANGE = reverse("accounts:password_change")
WEAK = {
    "keyboard walk": "qwertyuiop12",
    "repeated characters": "aaaaaaaaaaaa",
    "own names with digits": "olivia.brennan2024",
    "own names turned around": "Brennan!Olivia99",
    "own username": "obrennan-2026!",
    "another keyboard walk": "1qaz2wsx3edc4rfv",
}


@pytest.fixture
def olivia(db):
    return CoordinatorFactory(
        username="obrennan", first_name="Olivia", last_name="Brennan", email="olivia.brennan@clinic.test"
    )


@pytest.mark.parametrize("weak", WEAK.values(), ids=WEAK.keys())
def test_changing_to_a_guessable_password_is_refused_with_the_field_named(client_for, olivia, weak):
    response = client_for(olivia).post(CHANGE, {"old_password": PASSWORD, "new_password1": weak, "new_password2": weak})
    assert response.status_code == 200
    errors = response.context["form"].errors["new_password2"]
    assert any("guess" in e or "your own name" in e for e in errors), errors
    olivia.refresh_from_db()
    assert olivia.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(action="password_change").exists()


@pytest.mark.parametrize(
    "weak", ["qwertyuiop12", "aaaaaaaaaaaa", "obrennan-2026!"], ids=["keyboard walk", "repeats", "own username"]
)
def test_the_admins_new_account_form_refuses_it_too(client_for, admin, weak):
    """The new-account form knows only the username when it checks the password; names come on the next page."""
    response = client_for(admin).post(
        reverse("admin:accounts_user_add"),
        {"username": "obrennan", "first_name": "Olivia", "last_name": "Brennan", "role": "coordinator",
         "password1": weak, "password2": weak, "usable_password": "true"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "password2" in response.context["adminform"].form.errors
    assert not type(admin).objects.filter(username="obrennan").exists()


@pytest.mark.parametrize("good", ["a long enough test password", "liaison-demo-2026", "marble kettle orchard violet"])
def test_a_long_unrelated_passphrase_is_accepted(olivia, good):
    validate_password(good, olivia)


def test_the_message_is_ours_and_says_why(olivia):
    with pytest.raises(ValidationError) as own:
        validate_password("olivia.brennan2024", olivia)
    assert "built from your own name, username or email" in " ".join(own.value.messages)
    with pytest.raises(ValidationError) as walk:
        validate_password("qwertyuiop12", olivia)
    assert "too easy to guess" in " ".join(walk.value.messages)
