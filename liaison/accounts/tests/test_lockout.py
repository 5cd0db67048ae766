"""Brute force: wrong passwords lock the account and the address (counted in the database), on the sign-in
page and on the admin's; the right password then does not sign in until an administrator unlocks it or the
cool-off passes. Every attempt is on the audit trail, with the username tried and never the password."""

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from liaison.accounts.services import sign_in_unlock
from liaison.accounts.tests.factories import PASSWORD, CoordinatorFactory
from liaison.accounts.tests.signin import LOGIN, sign_in
from liaison.core.models import AuditEvent

pytestmark = pytest.mark.django_db

TRIES = 50
INBOX = reverse("referrals:inbox")


def from_address(ip: str) -> dict:
    return {"REMOTE_ADDR": ip}


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def brute_force(username, *, addresses, path=LOGIN):
    client = Client()
    for n in range(TRIES):
        response = sign_in(client, username, f"wrong guess number {n}", path=path, **from_address(addresses(n)))
        assert response.status_code in (200, 429)
        assert not signed_in(client)
    return response


def assert_every_attempt_audited(username, count):
    rows = AuditEvent.objects.filter(action="sign_in_failed", detail__username=username)
    assert rows.count() == count
    assert all(row.actor is None and "password" not in row.detail for row in rows)
    assert AuditEvent.objects.filter(action="sign_in_locked", detail__username=username).count() == 1
    # The try that set the lock, and each one refused by it.
    assert rows.filter(detail__locked_out=True).count() == TRIES - settings.AXES_FAILURE_LIMIT + 1


@pytest.mark.parametrize(
    "addresses", [lambda n: "203.0.113.7", lambda n: f"198.51.100.{n + 1}"], ids=["one address", "fifty addresses"]
)
def test_fifty_wrong_passwords_lock_the_account_until_an_administrator_unlocks_it(
    addresses, coordinator, client_for, admin
):
    last = brute_force(coordinator.username, addresses=addresses)
    assert last.status_code == 429 and "Sign-in locked" in last.content.decode()
    assert_every_attempt_audited(coordinator.username, TRIES)

    # The right password, even from an address that never failed, is refused while the lock holds.
    client = Client()
    response = sign_in(client, coordinator.username, **from_address("192.0.2.200"))
    assert response.status_code == 429 and not signed_in(client)
    assert client.get(INBOX).status_code == 302

    response = client_for(admin).post(
        reverse("admin:accounts_user_changelist"), {"action": "unlock_sign_in", "_selected_action": [coordinator.pk]}
    )
    assert response.status_code == 302
    unlock = AuditEvent.objects.get(action="sign_in_unlock")
    assert (unlock.actor, unlock.detail["username"]) == (admin, coordinator.username)
    response = sign_in(client, coordinator.username, **from_address("192.0.2.200"))
    assert response.status_code == 302 and signed_in(client)


def test_a_lock_lifts_by_itself_after_the_cool_off(coordinator):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        brute_force(coordinator.username, addresses=lambda n: "203.0.113.7")
        clock.move_to(start + timedelta(minutes=settings.AXES_COOLOFF_MINUTES - 1))
        client = Client()
        assert sign_in(client, coordinator.username, **from_address("203.0.113.7")).status_code == 429
        clock.move_to(start + timedelta(minutes=settings.AXES_COOLOFF_MINUTES + 1))
        response = sign_in(client, coordinator.username, **from_address("203.0.113.7"))
        assert response.status_code == 302 and signed_in(client)


def test_an_address_that_guessed_many_accounts_is_locked_for_all_of_them(coordinator):
    assert settings.AXES_ADDRESS_FAILURE_LIMIT == TRIES
    for n in range(TRIES - 1):
        sign_in(Client(), f"nobody{n}", "a wrong guess", **from_address("203.0.113.9"))
    assert not AuditEvent.objects.filter(action="sign_in_locked").exists()  # one short of the address's limit
    sign_in(Client(), "nobody-last", "a wrong guess", **from_address("203.0.113.9"))
    assert AuditEvent.objects.get(action="sign_in_locked").detail["ip_address"] == "203.0.113.9"
    client = Client()
    assert sign_in(client, coordinator.username, **from_address("203.0.113.9")).status_code == 429
    assert sign_in(client, coordinator.username, **from_address("203.0.113.10")).status_code == 302


def test_one_persons_wrong_passwords_do_not_lock_out_a_colleague_at_the_same_office(coordinator):
    colleague = CoordinatorFactory()
    office = from_address("203.0.113.20")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(Client(), coordinator.username, "a wrong guess", **office)
    assert sign_in(Client(), coordinator.username, **office).status_code == 429  # their own account is locked
    client = Client()
    assert sign_in(client, colleague.username, **office).status_code == 302 and signed_in(client)
    assert sign_in(Client(), coordinator.username, **office).status_code == 429  # and stays so


def test_the_admin_shows_which_accounts_and_addresses_are_locked(client_for, admin, coordinator):
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(Client(), coordinator.username, "a wrong guess", **from_address(f"198.51.100.{n + 1}"))
    for n in range(TRIES):
        sign_in(Client(), f"nobody{n}", "a wrong guess", **from_address("203.0.113.30"))
    admin_client = client_for(admin)
    changelist = admin_client.get(reverse("admin:axes_accessattempt_changelist"))
    listing = changelist.context["cl"]
    rows = {
        (row.username, row.ip_address): (
            listing.model_admin.account_locked(row),
            listing.model_admin.address_locked(row),
        )
        for row in listing.result_list
    }
    assert rows[(coordinator.username, "198.51.100.1")] == (True, False)
    assert rows[("nobody0", "203.0.113.30")] == (False, True)
    users = admin_client.get(reverse("admin:accounts_user_changelist")).context["cl"].result_list
    locked = {user.username for user in users if user.sign_in_failures >= settings.AXES_FAILURE_LIMIT}
    assert locked == {coordinator.username}
    assert ">Account locked<" in changelist.content.decode() and ">Address locked<" in changelist.content.decode()


def test_the_admin_sign_in_is_the_same_sign_in_and_locks_the_same_way(admin):
    page = Client().get("/admin/login/?next=/admin/")
    assert page.status_code == 200 and 'name="username"' in page.content.decode()
    last = brute_force(admin.username, addresses=lambda n: "203.0.113.8", path="/admin/login/")
    assert last.status_code == 429
    assert_every_attempt_audited(admin.username, TRIES)
    client = Client()
    assert sign_in(client, admin.username, path="/admin/login/", **from_address("192.0.2.9")).status_code == 429
    assert sign_in(client, admin.username, **from_address("192.0.2.9")).status_code == 429  # and on the other page
    assert client.get("/admin/").status_code == 302
    sign_in_unlock(username=admin.username, by=None)
    response = sign_in(client, admin.username, path="/admin/login/?next=/admin/", **from_address("192.0.2.9"))
    assert (response.status_code, response.url) == (302, "/admin/")
    assert client.get("/admin/").status_code == 200


def test_the_admin_lists_failed_sign_ins_and_unlocks_an_address(client_for, admin, coordinator):
    for n in range(settings.AXES_ADDRESS_FAILURE_LIMIT):
        sign_in(Client(), f"ghost{n}", "a wrong guess", **from_address("203.0.113.11"))
    assert sign_in(Client(), coordinator.username, **from_address("203.0.113.11")).status_code == 429
    changelist = reverse("admin:axes_accessattempt_changelist")
    admin_client = client_for(admin)
    assert "203.0.113.11" in admin_client.get(changelist).content.decode()
    attempt = AccessAttempt.objects.get(username="ghost0")
    response = admin_client.post(changelist, {"action": "unlock", "_selected_action": [attempt.pk]})
    assert response.status_code == 302 and not AccessAttempt.objects.exists()
    row = AuditEvent.objects.get(action="sign_in_unlock")
    assert row.detail == {"username": "ghost0", "ip_address": "203.0.113.11", "failures_forgotten": 50}
    assert sign_in(Client(), coordinator.username, **from_address("203.0.113.11")).status_code == 302


def test_the_lock_and_the_unlock_name_the_account(admin, coordinator):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(Client(), coordinator.username, "a wrong guess", **from_address("203.0.113.12"))
    sign_in_unlock(username=coordinator.username, by=admin)
    for action in ("sign_in_locked", "sign_in_unlock"):
        row = AuditEvent.objects.get(action=action)
        assert (row.object_type, row.object_id) == ("accounts.user", str(coordinator.pk))


def test_signing_out_and_a_failed_sign_in_are_audited(client, coordinator):
    sign_in(client, coordinator.username, "not the password")
    failed = AuditEvent.objects.get(action="sign_in_failed")
    assert failed.detail == {"username": coordinator.username, "locked_out": False}
    assert failed.object_id == str(coordinator.pk) and failed.ip_address == "127.0.0.1"
    sign_in(client, coordinator.username)
    client.post(reverse("accounts:logout"))
    out = AuditEvent.objects.get(action="sign_out")
    assert (out.actor, out.object_id) == (coordinator, str(coordinator.pk))


def test_a_success_forgets_the_earlier_failures(coordinator):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(Client(), coordinator.username, "a wrong guess")
    assert sign_in(Client(), coordinator.username).status_code == 302
    assert sign_in(Client(), coordinator.username, "a wrong guess").status_code == 200  # not locked
    other = CoordinatorFactory()
    assert sign_in(Client(), other.username, PASSWORD).status_code == 302


def test_unlocking_names_what_to_unlock(admin):
    with pytest.raises(ValidationError) as refused:
        sign_in_unlock(by=admin)
    assert "username" in refused.value.message_dict
    assert not AuditEvent.objects.filter(action="sign_in_unlock").exists()
