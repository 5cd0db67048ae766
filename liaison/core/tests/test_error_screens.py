"""The styled 403, 404 and 500 pages as people meet them with DEBUG off (as in production): through Django's own
handlers, signed in or not, in the site's layout; the 500 page without the request's context or the database."""

import pytest
from django.test import Client, override_settings
from django.urls import path, reverse

import liaison.urls


def boom(request):
    raise RuntimeError("a fault on our side")


urlpatterns = [path("boom/", boom), *liaison.urls.urlpatterns]
handler403 = liaison.urls.handler403


@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
def test_a_server_error_gets_the_styled_500_page(db, django_assert_max_num_queries):
    client = Client(raise_request_exception=False)
    with django_assert_max_num_queries(0):  # nothing read to render it: no session, no user, no clinic
        response = client.get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong on our side" in body and 'class="topbar"' in body and "core/liaison.css" in body
    assert "a fault on our side" not in body  # no traceback or message from the code


@pytest.mark.django_db
@override_settings(DEBUG=False)
@pytest.mark.parametrize("who", [None, "alice", "coordinator"])
def test_an_unknown_address_gets_the_styled_404_signed_in_or_not(request, client_for, who):
    user = request.getfixturevalue(who) if who else None
    response = client_for(user).get("/no/such/page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "There is nothing here" in body and 'class="topbar"' in body and "core/liaison.css" in body
    assert ('aria-label="Main"' in body) == (user is not None)  # a signed-in person keeps the menu


@pytest.mark.django_db
@override_settings(DEBUG=False)
def test_an_outside_role_refused_a_staff_page_is_pointed_to_the_portal(client_for, alice):
    response = client_for(alice).get(reverse("referrals:inbox"))
    assert response.status_code == 403
    body = response.content.decode()
    assert "This page is not part of your role" in body and reverse("intake:portal") in body
    assert 'class="topbar"' in body and 'aria-label="Main"' in body
