"""The 403, 404 and 500 pages: in the site's layout, in our words; the 500 page needs no database and no request."""

import pytest
from django.template import loader
from django.test import Client, override_settings
from django.urls import reverse

from liaison.core.models import AuditEvent


def test_the_500_page_renders_with_no_database_and_no_request():
    html = loader.get_template("500.html").render()  # no django_db mark: a query here would raise
    assert "Something went wrong on our side" in html and "core/liaison.css" in html


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_an_unknown_address_gets_the_styled_404(client_for, coordinator):
    response = client_for(coordinator).get("/no/such/page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "There is nothing here" in body and 'class="topbar"' in body and reverse("core:home") in body


@pytest.mark.django_db
def test_a_refusal_gets_the_styled_403_and_an_audit_row(client_for, liaison):
    response = client_for(liaison).get(reverse("referrals:inbox"))
    assert response.status_code == 403
    body = response.content.decode()
    assert "This page is not part of your role" in body and 'class="topbar"' in body
    row = AuditEvent.objects.get(action="access_denied")
    assert (row.actor, row.object_type, row.detail["status"]) == (liaison, "url:referrals:inbox", 403)


@pytest.mark.django_db
def test_a_forged_form_post_is_refused_and_on_the_trail(coordinator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(coordinator)
    response = client.post("/accounts/me/password/", {"old_password": "x"})
    assert response.status_code == 403 and "This form was not accepted" in response.content.decode()
    row = AuditEvent.objects.filter(action="access_denied", object_type="csrf").get()
    assert row.actor == coordinator and row.detail["method"] == "POST" and "CSRF" in row.detail["reason"]
