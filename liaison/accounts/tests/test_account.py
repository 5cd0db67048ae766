"""Your account page and changing your password."""

import pytest
from django.test import Client
from django.urls import reverse

from liaison.accounts.tests.factories import PASSWORD
from liaison.core.models import AuditEvent

pytestmark = pytest.mark.django_db

ACCOUNT = reverse("accounts:account")
CHANGE = reverse("accounts:password_change")
NEW = "a-longer-passphrase-2026"


@pytest.mark.parametrize("who", ["coordinator", "clinician", "liaison", "director", "admin", "alice", "practice_admin"])
def test_everyone_sees_their_own_account_and_role(who, request, client_for):
    user = request.getfixturevalue(who)
    response = client_for(user).get(ACCOUNT)
    assert response.status_code == 200
    page = response.content.decode()
    assert user.get_username() in page and user.get_role_display() in page
    assert "minutes without activity" in page


def test_an_outside_account_shows_its_directory_record(client_for, alice, alice_referrer):
    page = client_for(alice).get(ACCOUNT).content.decode()
    assert alice_referrer.npi in page


def test_anonymous_is_sent_to_sign_in(anonymous_client):
    for url in (ACCOUNT, CHANGE):
        response = anonymous_client.get(url)
        assert response.status_code == 302 and reverse("accounts:login") in response.url


def test_changing_the_password_is_audited_and_keeps_this_session(coordinator):
    client, other = Client(), Client()
    for browser in (client, other):  # a real sign-in: axes needs the request (Client.login has none)
        browser.post(reverse("accounts:login"), {"username": coordinator.username, "password": PASSWORD})
    response = client.post(CHANGE, {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW})
    assert response.status_code == 302 and response.url == ACCOUNT
    coordinator.refresh_from_db()
    assert coordinator.check_password(NEW)
    assert AuditEvent.objects.filter(action="password_change", actor=coordinator).exists()
    assert client.get(ACCOUNT).status_code == 200  # still signed in here
    assert other.get(ACCOUNT).status_code == 302  # signed out elsewhere


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"old_password": "wrong", "new_password1": NEW, "new_password2": NEW}, "old_password"),
        ({"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW + "x"}, "new_password2"),
        ({"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"}, "new_password2"),
    ],
)
def test_a_bad_change_names_the_field_and_changes_nothing(client_for, coordinator, data, field):
    response = client_for(coordinator).post(CHANGE, data)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    coordinator.refresh_from_db()
    assert coordinator.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(action="password_change").exists()
