"""Correcting where letters to a referrer go: the coordinator, director and IT administrator may; the liaison, the
clinician and the outside roles may not; bad input names each field at fault and writes nothing."""

import pytest
from django.urls import reverse

from liaison.core import events
from liaison.core.models import AuditEvent
from liaison.directory import services
from liaison.directory.choices import Channel, Published
from liaison.directory.models import Referrer

pytestmark = pytest.mark.django_db

GOOD = {"email": "rita@example.org", "fax": "(212) 555-0199", "preferred_channel": "fax"}


def url(referrer) -> str:
    return reverse("crm:referrer_contact", args=[referrer.pk])


@pytest.mark.parametrize("who", ["coordinator", "director", "admin"])
def test_the_people_who_send_letters_correct_the_address_and_it_is_audited(who, request, client_for, bob_referrer):
    user = request.getfixturevalue(who)
    client = client_for(user)
    assert client.get(url(bob_referrer)).status_code == 200
    response = client.post(url(bob_referrer), GOOD)
    assert response.status_code == 302 and response.url == reverse("crm:referrer", args=[bob_referrer.pk])
    bob_referrer.refresh_from_db()
    assert (bob_referrer.email, bob_referrer.fax, bob_referrer.preferred_channel) == (
        "rita@example.org", "+12125550199", Channel.FAX,
    )  # fmt: skip
    row = AuditEvent.objects.get(action="directory.referrer.contact")
    assert row.actor == user and row.object_id == str(bob_referrer.pk)
    assert row.detail["changed"]["preferred_channel"] == ["portal", "fax"]


@pytest.mark.parametrize("who", ["liaison", "clinician", "alice", "bob", "practice_admin"])
def test_everyone_else_is_refused_and_nothing_changes(who, request, client_for, bob_referrer):
    client = client_for(request.getfixturevalue(who))
    assert client.get(url(bob_referrer)).status_code == 403
    assert client.post(url(bob_referrer), GOOD).status_code == 403
    bob_referrer.refresh_from_db()
    assert bob_referrer.email == "" and bob_referrer.preferred_channel == Channel.PORTAL


def test_signed_out_goes_to_sign_in(anonymous_client, bob_referrer):
    response = anonymous_client.get(url(bob_referrer))
    assert response.status_code == 302 and "login" in response.url


def test_an_unknown_referrer_is_not_found(client_for, coordinator):
    assert client_for(coordinator).get(reverse("crm:referrer_contact", args=[987654])).status_code == 404


@pytest.mark.parametrize(
    "data, field, says",
    [
        ({"email": "rita@", "fax": "", "preferred_channel": "portal"}, "email", "is not an email address"),
        ({"email": "", "fax": "12", "preferred_channel": "portal"}, "fax", "phone number"),
        ({"email": "", "fax": "", "preferred_channel": "pigeon"}, "preferred_channel", "pigeon"),
        ({"email": "", "fax": "", "preferred_channel": "email"}, "email", "an email address is needed"),
        ({"email": "", "fax": "", "preferred_channel": "fax"}, "fax", "a fax number is needed"),
    ],
)
def test_each_bad_field_is_named_and_nothing_is_written(data, field, says, client_for, coordinator, bob_referrer):
    response = client_for(coordinator).post(url(bob_referrer), data)
    assert response.status_code == 400
    assert says.lower() in " ".join(response.context["form"].errors[field]).lower()
    bob_referrer.refresh_from_db()
    assert bob_referrer.email == "" and bob_referrer.preferred_channel == Channel.PORTAL
    assert not AuditEvent.objects.filter(action="directory.referrer.contact").exists()


def test_the_service_names_every_bad_field_at_once(coordinator, bob_referrer):
    with pytest.raises(services.ValidationError) as caught:
        bad = {"email": "x", "fax": "1", "preferred_channel": "?"}
        services.referrer_contact_update(referrer=bob_referrer, by=coordinator, **bad)
    assert set(caught.value.message_dict) == {"email", "fax", "preferred_channel"}
    assert Referrer.objects.get(pk=bob_referrer.pk).email == ""


def test_saving_the_same_details_writes_no_audit_row_and_publishes_nothing(coordinator, bob, bob_referrer, monkeypatch):
    """Bob has a portal account (the `bob` fixture), so the portal alone can reach him."""
    published = []
    monkeypatch.setattr(events, "publish", lambda kind, **kw: published.append((kind, kw)))
    same = {"email": "", "fax": "", "preferred_channel": "portal"}
    assert services.referrer_contact_update(referrer=bob_referrer, by=coordinator, **same) == []
    assert not AuditEvent.objects.filter(action="directory.referrer.contact").exists() and published == []
    services.referrer_contact_update(referrer=bob_referrer, by=coordinator, **(same | {"email": "b@example.org"}))
    assert published == [(Published.CONTACT_CHANGED, {"referral_id": None, "referrer_id": bob_referrer.pk,
                                                      "fields": ["email"]})]  # fmt: skip


def test_the_relationship_page_links_here_for_those_who_may(client_for, coordinator, liaison, bob_referrer):
    link = url(bob_referrer)
    assert link in client_for(coordinator).get(reverse("crm:referrer", args=[bob_referrer.pk])).content.decode()
    assert link not in client_for(liaison).get(reverse("crm:referrer", args=[bob_referrer.pk])).content.decode()
