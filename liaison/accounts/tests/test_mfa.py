"""The second sign-in step: enrolment at first sign-in, signing in with an authenticator app's code or a
recovery code, the demo's exemption, the administrator's reset, and each event on the audit trail."""

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.core.cache import cache
from django.core.checks import run_checks
from django.test import Client
from django.urls import reverse

from liaison.accounts.checks import mfa_required_in_production
from liaison.accounts.mfa import DEMO_USERNAMES
from liaison.accounts.services import sign_in_unlock
from liaison.accounts.tests.factories import CoordinatorFactory, ReferrerUserFactory
from liaison.accounts.tests.signin import ACTIVATE_TOTP, MFA, MFA_AUTHENTICATE, enrol_totp, sign_in, totp_code
from liaison.core.models import AuditEvent

pytestmark = pytest.mark.django_db

HOME = reverse("core:home")
INBOX = reverse("referrals:inbox")
NOON = datetime(2026, 3, 2, 17, 0, 5, tzinfo=UTC)


@pytest.fixture(autouse=True)
def mfa_required(settings):
    settings.LIAISON_MFA_REQUIRED = True
    cache.clear()  # allauth remembers used codes and counts tries in the cache


@pytest.fixture
def clock():
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


def actions(user=None):
    """The sign-in events on the trail (pages opened are audited too, and not counted here)."""
    rows = AuditEvent.objects.filter(action__startswith="sign_") | AuditEvent.objects.filter(action__startswith="mfa_")
    rows = rows.order_by("id")
    if user is not None:
        rows = rows.filter(actor=user)
    return list(rows.values_list("action", flat=True))


def enrolled(client, user, django_capture_on_commit_callbacks) -> str:
    sign_in(client, user.username)
    with django_capture_on_commit_callbacks(execute=True):
        return enrol_totp(client)


@pytest.mark.parametrize("factory", [CoordinatorFactory, ReferrerUserFactory])
def test_a_first_sign_in_without_a_second_step_is_sent_to_set_one_up(factory, client):
    user = factory()
    response = sign_in(client, user.username)
    assert response.status_code == 302
    for page in (HOME, INBOX, reverse("accounts:account"), reverse("intake:portal"), "/admin/"):
        response = client.get(page)
        assert (response.status_code, response.url) == (302, MFA), page
    page = client.get(MFA).content.decode()
    assert "Set up an authenticator app" in page and "Add a passkey" in page


def test_a_page_fragment_sends_the_whole_page_to_enrolment(client, coordinator):
    sign_in(client, coordinator.username)
    response = client.get(INBOX, headers={"HX-Request": "true"})
    assert (response.status_code, response["HX-Redirect"]) == (204, MFA)


def test_the_admin_has_no_page_that_removes_a_second_step_untraced(client_for, admin):
    Authenticator.objects.create(user=admin, type="totp", data={})
    assert client_for(admin).get("/admin/mfa/authenticator/").status_code == 404


def test_enrolling_an_app_then_signing_in_with_its_code(client, coordinator, clock, django_capture_on_commit_callbacks):
    secret = enrolled(client, coordinator, django_capture_on_commit_callbacks)
    assert Authenticator.objects.filter(user=coordinator, type="totp").exists()
    assert Authenticator.objects.filter(user=coordinator, type="recovery_codes").exists()  # made with the first step
    assert client.get(INBOX).status_code == 200

    client.post(reverse("accounts:logout"))
    clock.shift(timedelta(seconds=30))
    response = sign_in(client, coordinator.username)
    assert (response.status_code, response.url) == (302, MFA_AUTHENTICATE)
    assert client.get(INBOX).status_code == 302  # the password alone signs nobody in
    wrong = client.post(MFA_AUTHENTICATE, {"code": "000000" if totp_code(secret) != "000000" else "111111"})
    assert wrong.status_code == 200 and "code" in wrong.context["form"].errors
    response = client.post(MFA_AUTHENTICATE, {"code": totp_code(secret)})
    assert (response.status_code, response.url) == (302, HOME)
    assert client.get(INBOX).status_code == 200
    assert actions(coordinator) == [
        "sign_in", "mfa_added", "mfa_added", "sign_out", "mfa_failed", "mfa_used", "sign_in"
    ]  # fmt: skip
    added = AuditEvent.objects.filter(action="mfa_added").order_by("id")
    assert [row.detail["type"] for row in added] == ["totp", "recovery_codes"]


def test_a_wrong_code_at_set_up_is_refused_on_its_field_and_sets_nothing_up(client, coordinator, clock):
    sign_in(client, coordinator.username)
    secret = client.get(ACTIVATE_TOTP).context["form"].secret
    wrong = "000000" if totp_code(secret) != "000000" else "111111"
    for code in (wrong, "", "12ab56"):
        response = client.post(ACTIVATE_TOTP, {"code": code})
        assert response.status_code == 200 and "code" in response.context["form"].errors, code
    assert not Authenticator.objects.filter(user=coordinator).exists()
    assert client.get(INBOX).url == MFA


def test_wrong_codes_lock_the_account_like_wrong_passwords(
    client, coordinator, settings, clock, django_capture_on_commit_callbacks
):
    secret = enrolled(client, coordinator, django_capture_on_commit_callbacks)
    client.post(reverse("accounts:logout"))
    clock.shift(timedelta(seconds=30))
    sign_in(client, coordinator.username)
    wrong = "000000" if totp_code(secret) != "000000" else "111111"
    statuses = [client.post(MFA_AUTHENTICATE, {"code": wrong}).status_code for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    assert client.post(MFA_AUTHENTICATE, {"code": totp_code(secret)}).status_code == 429  # even the right code
    assert client.get(INBOX).status_code == 302
    assert sign_in(Client(), coordinator.username, REMOTE_ADDR="192.0.2.44").status_code == 429
    assert AuditEvent.objects.filter(action="sign_in_locked", detail__username=coordinator.username).exists()
    refused = AuditEvent.objects.filter(action="sign_in_failed", detail__locked_out=True)
    assert refused.count() == 2 and {row.object_id for row in refused} == {str(coordinator.pk)}  # code, password

    sign_in_unlock(username=coordinator.username, by=None)
    cache.clear()  # and allauth's own count of wrong codes
    fresh = Client()
    sign_in(fresh, coordinator.username)
    assert fresh.post(MFA_AUTHENTICATE, {"code": totp_code(secret)}).status_code == 302
    assert fresh.get(INBOX).status_code == 200


def test_a_used_code_does_not_sign_in_twice(client, coordinator, clock, django_capture_on_commit_callbacks):
    secret = enrolled(client, coordinator, django_capture_on_commit_callbacks)
    client.post(reverse("accounts:logout"))
    clock.shift(timedelta(seconds=30))
    sign_in(client, coordinator.username)
    code = totp_code(secret)
    assert client.post(MFA_AUTHENTICATE, {"code": code}).status_code == 302
    other = Client()
    sign_in(other, coordinator.username)
    assert other.post(MFA_AUTHENTICATE, {"code": code}).status_code == 200
    assert other.get(INBOX).status_code == 302


def test_a_recovery_code_signs_in_once(client, coordinator, clock, django_capture_on_commit_callbacks):
    enrolled(client, coordinator, django_capture_on_commit_callbacks)
    codes = Authenticator.objects.get(user=coordinator, type="recovery_codes").wrap().get_unused_codes()
    client.post(reverse("accounts:logout"))
    sign_in(client, coordinator.username)
    response = client.post(MFA_AUTHENTICATE, {"code": codes[0]})
    assert (response.status_code, response.url) == (302, HOME)
    assert actions(coordinator)[-2:] == ["mfa_recovery_code_used", "sign_in"]
    client.post(reverse("accounts:logout"))
    sign_in(client, coordinator.username)
    assert client.post(MFA_AUTHENTICATE, {"code": codes[0]}).status_code == 200
    assert client.get(INBOX).status_code == 302
    left = Authenticator.objects.get(user=coordinator, type="recovery_codes").wrap().get_unused_codes()
    assert codes[0] not in left and len(left) == len(codes) - 1


def test_the_recovery_codes_page_shows_them_after_enrolment(
    client, coordinator, clock, django_capture_on_commit_callbacks
):
    enrolled(client, coordinator, django_capture_on_commit_callbacks)
    codes = Authenticator.objects.get(user=coordinator, type="recovery_codes").wrap().get_unused_codes()
    page = client.get(MFA + "recovery-codes/").content.decode()
    assert all(code in page for code in codes)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(MFA + "recovery-codes/generate/").status_code == 302
    assert "mfa_recovery_codes_generated" in actions(coordinator)


def test_the_last_app_cannot_be_turned_off_while_a_second_step_is_required(
    client, coordinator, clock, django_capture_on_commit_callbacks
):
    enrolled(client, coordinator, django_capture_on_commit_callbacks)
    response = client.post(MFA + "totp/deactivate/")
    assert response.status_code == 200 and response.context["form"].errors
    assert Authenticator.objects.filter(user=coordinator, type="totp").exists()


def test_demo_accounts_skip_the_second_step_in_demo_mode_only(client, settings):
    demo = CoordinatorFactory(username="coordinator")
    other = CoordinatorFactory(username="someone-else")
    settings.MODE = "demo"
    sign_in(client, demo.username)
    assert client.get(INBOX).status_code == 200
    page = Client().get(reverse("accounts:login")).content.decode()
    assert "sign in with the demo password alone" in page
    second = Client()
    sign_in(second, other.username)
    assert second.get(INBOX).url == MFA
    settings.MODE = "production"
    assert client.get(INBOX).url == MFA
    assert "demo password" not in Client().get(reverse("accounts:login")).content.decode()


def test_the_exempt_usernames_are_the_demos_accounts():
    from liaison.demo.base import DEMO_USERS

    assert {username for username, *_ in DEMO_USERS} == DEMO_USERNAMES


def test_an_administrator_resets_someones_second_step(
    client, client_for, admin, coordinator, clock, django_capture_on_commit_callbacks
):
    enrolled(client, coordinator, django_capture_on_commit_callbacks)
    Authenticator.objects.create(user=admin, type="totp", data={})  # the admin has one of their own
    response = client_for(admin).post(
        reverse("admin:accounts_user_changelist"),
        {"action": "reset_mfa", "_selected_action": [coordinator.pk]},
    )
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=coordinator).exists()
    row = AuditEvent.objects.get(action="mfa_reset")
    assert (row.actor, row.object_id, row.detail["user"]) == (admin, str(coordinator.pk), coordinator.username)
    assert sorted(row.detail["removed"]) == ["recovery_codes", "totp"]
    # Their next sign-in asks them to set one up again.
    fresh = Client()
    sign_in(fresh, coordinator.username)
    assert fresh.get(INBOX).url == MFA


def test_only_the_administrator_may_reset(client_for, director, coordinator):
    for user in (director, coordinator):
        Authenticator.objects.create(user=user, type="totp", data={})
    client = client_for(director)
    response = client.post(
        reverse("admin:accounts_user_changelist"), {"action": "reset_mfa", "_selected_action": [coordinator.pk]}
    )
    assert response.status_code == 302 and response.url.startswith("/admin/login/")
    assert client.get(response.url).status_code == 403  # signed in, but not for the admin: told so, no loop
    assert Authenticator.objects.filter(user=coordinator).exists()
    assert not AuditEvent.objects.filter(action="mfa_reset").exists()


def test_deploy_check_warns_when_the_second_step_is_off_in_production(settings):
    settings.MODE = "production"
    settings.LIAISON_MFA_REQUIRED = False
    assert [w.id for w in mfa_required_in_production(None)] == ["accounts.W001"]
    assert "accounts.W001" in {w.id for w in run_checks(include_deployment_checks=True)}
    settings.LIAISON_MFA_REQUIRED = True
    assert mfa_required_in_production(None) == []
    settings.MODE, settings.LIAISON_MFA_REQUIRED = "demo", False
    assert mfa_required_in_production(None) == []


@pytest.mark.parametrize(("value", "expected"), [(None, "True"), ("false", "False"), ("maybe", "LIAISON_MFA_REQUIRED")])
def test_the_setting_is_on_unless_switched_off_explicitly(value, expected):
    env = {k: v for k, v in os.environ.items() if k != "LIAISON_MFA_REQUIRED"}
    env.update({"LIAISON_MODE": "production", "SECRET_KEY": "x" * 50, "DATABASE_URL": "sqlite:////tmp/unused.sqlite3"})
    if value is not None:
        env["LIAISON_MFA_REQUIRED"] = value
    code = "import liaison.settings as s; print(s.LIAISON_MFA_REQUIRED)"
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)  # noqa: S603
    assert expected in run.stdout + run.stderr
