"""Signing in and out, and the automatic logoff after idle minutes (HIPAA 164.312(a)(2)(iii))."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from liaison.accounts.tests.factories import PASSWORD
from liaison.core.models import AuditEvent

pytestmark = pytest.mark.django_db

INBOX = reverse("referrals:inbox")


def test_signing_in_is_audited_and_lands_on_the_inbox(client, coordinator):
    response = client.post(reverse("accounts:login"), {"username": "cora", "password": PASSWORD})
    assert response.status_code == 302 and response.url == reverse("core:home")
    row = AuditEvent.objects.get(action="sign_in")
    assert (row.actor, row.object_id, row.ip_address) == (coordinator, str(coordinator.pk), "127.0.0.1")


def test_a_wrong_password_signs_nobody_in(client, coordinator):
    response = client.post(reverse("accounts:login"), {"username": "cora", "password": "not it at all"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert not AuditEvent.objects.filter(action="sign_in").exists()


def test_the_session_ends_after_fifteen_idle_minutes(client_for, coordinator):
    assert settings.SESSION_IDLE_MINUTES == 15
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = client_for(coordinator)
        clock.move_to(start + timedelta(minutes=14))
        assert client.get(INBOX).status_code == 200  # still there, and the idle clock restarts
        clock.move_to(start + timedelta(minutes=28))
        assert client.get(INBOX).status_code == 200
        clock.move_to(start + timedelta(minutes=44))
        response = client.get(INBOX)
        assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


def test_signing_out_needs_a_post(client_for, coordinator):
    client = client_for(coordinator)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(INBOX).status_code == 302
