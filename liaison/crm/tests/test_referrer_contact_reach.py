"""A referrer's contact details must leave a way to reach them: a preferred channel that cannot carry letters (the
portal without a portal account, the EHR, email without an address, fax without a number) is refused naming the
preferred channel, and no email, no fax and no portal account together is refused naming both; nothing is written.
The saved message names what changed. The contact form and the relationship page warn when the stored channel
cannot be used, and a letter refused for want of a channel links to the contact form for those who may fix it."""

import pytest
from django.urls import reverse

from liaison.comms import services as comms
from liaison.comms.seed import seed_protocol
from liaison.comms.tests.helpers import keys, referral_for
from liaison.core.models import AuditEvent
from liaison.directory import services
from liaison.directory.choices import Channel
from liaison.directory.models import Referrer

pytestmark = pytest.mark.django_db


def url(referrer) -> str:
    return reverse("crm:referrer_contact", args=[referrer.pk])


def stored(referrer) -> tuple:
    return Referrer.objects.filter(pk=referrer.pk).values_list("email", "fax", "preferred_channel").get()


@pytest.fixture
def carlos(bob_referrer):
    """Prefers the portal but has no portal account; his email and fax are on file (the reviewer's case)."""
    Referrer.objects.filter(pk=bob_referrer.pk).update(email="carlos@example.org", fax="+12125550100")
    bob_referrer.refresh_from_db()
    return bob_referrer


def test_blanking_email_and_fax_with_the_portal_and_no_account_is_refused_and_writes_nothing(
    client_for, coordinator, carlos
):
    before = stored(carlos)
    response = client_for(coordinator).post(url(carlos), {"email": "", "fax": "", "preferred_channel": "portal"})
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "no portal account" in errors["preferred_channel"][0]
    assert "email address or a fax number" in errors["email"][0] and "email address or a fax number" in errors["fax"][0]
    assert stored(carlos) == before
    assert not AuditEvent.objects.filter(action="directory.referrer.contact").exists()
    assert "Saved" not in response.content.decode()


@pytest.mark.parametrize(
    "data, says",
    [
        ({"email": "c@example.org", "fax": "", "preferred_channel": "portal"}, "no portal account"),
        ({"email": "c@example.org", "fax": "", "preferred_channel": "fhir"}, "FHIR"),
        ({"email": "", "fax": "2125550100", "preferred_channel": "email"}, "without an email address"),
        ({"email": "c@example.org", "fax": "", "preferred_channel": "fax"}, "without a fax number"),
    ],
)
def test_a_channel_that_cannot_reach_them_is_refused_naming_the_preferred_channel(data, says, coordinator, carlos):
    before = stored(carlos)
    with pytest.raises(services.ValidationError) as caught:
        services.referrer_contact_update(referrer=carlos, by=coordinator, **data)
    assert says in " ".join(caught.value.message_dict["preferred_channel"])
    assert stored(carlos) == before


def test_the_portal_alone_is_enough_when_they_have_an_account(coordinator, bob, bob_referrer):
    changed = services.referrer_contact_update(referrer=bob_referrer, by=coordinator, email="", fax="",
                                               preferred_channel=Channel.PORTAL)  # fmt: skip
    assert changed == [] and stored(bob_referrer) == ("", "", "portal")


def test_the_saved_message_names_what_changed(client_for, coordinator, carlos):
    client = client_for(coordinator)
    data = {"email": "carlos@example.org", "fax": "(212) 555-0199", "preferred_channel": "fax"}
    response = client.post(url(carlos), data, follow=True)
    assert "Saved: fax number and preferred channel." in response.content.decode()
    response = client.post(url(carlos), data, follow=True)
    assert "Nothing changed." in response.content.decode()
    data = {"email": "c2@example.org", "fax": "(212) 555-0142", "preferred_channel": "email"}
    response = client.post(url(carlos), data, follow=True)
    assert "Saved: email address, fax number and preferred channel." in response.content.decode()


def test_the_contact_form_warns_when_the_stored_channel_cannot_be_used(client_for, coordinator, carlos):
    page = client_for(coordinator).get(url(carlos)).content.decode()
    assert "Letters cannot go by their preferred channel (Referrer portal): they have no portal account." in page


def test_the_contact_form_has_no_warning_when_the_channel_works(client_for, coordinator, bob, bob_referrer):
    assert "cannot go by their preferred channel" not in client_for(coordinator).get(url(bob_referrer)).content.decode()


def test_a_referrer_with_no_way_at_all_is_said_so(client_for, coordinator, bob_referrer):
    page = client_for(coordinator).get(url(bob_referrer)).content.decode()
    assert "letters cannot reach them at all" in page


@pytest.mark.parametrize(
    "who, linked", [("coordinator", True), ("director", True), ("admin", True), ("liaison", False)]
)
def test_the_relationship_page_warns_and_links_for_those_who_may(who, linked, request, client_for, carlos):
    page = client_for(request.getfixturevalue(who)).get(reverse("crm:referrer", args=[carlos.pk])).content.decode()
    assert "they have no portal account" in page
    assert ("Choose a channel that can reach them</a>" in page) is linked


def test_the_relationship_page_has_no_warning_when_the_channel_works(client_for, coordinator, bob, bob_referrer):
    page = client_for(coordinator).get(reverse("crm:referrer", args=[bob_referrer.pk])).content.decode()
    assert "cannot go by their preferred channel" not in page


# ------------------------------------------------------------------ the letter page, when signing is refused


@pytest.fixture
def unreachable_letter(coordinator, clinician):
    seed_protocol()
    referral = referral_for(coordinator=coordinator, clinician=clinician, channel=Channel.PORTAL, email="", fax="")
    return comms.letter_draft(due=keys(referral)["ack"], by=coordinator), referral.referrer


@pytest.mark.parametrize("who, linked", [("coordinator", True), ("clinician", False)])
def test_a_letter_refused_for_want_of_a_channel_links_to_the_contact_form(
    who, linked, request, client_for, unreachable_letter
):
    letter, referrer = unreachable_letter
    client = client_for(request.getfixturevalue(who))
    response = client.post(reverse("comms:letter_approve", args=[letter.pk]), follow=True)
    page = response.content.decode()
    assert '<li class="msg msg-error referrer-channel">No usable channel' in page  # styled as every error is
    assert (reverse("crm:referrer_contact", args=[referrer.pk]) in page) is linked
    letter.refresh_from_db()
    assert not letter.is_frozen


def test_the_letter_page_has_no_link_without_a_channel_refusal(client_for, coordinator, unreachable_letter):
    letter, referrer = unreachable_letter
    page = client_for(coordinator).get(reverse("comms:letter", args=[letter.pk])).content.decode()
    assert reverse("crm:referrer_contact", args=[referrer.pk]) not in page


def test_the_warning_asks_at_most_one_query(django_assert_num_queries, carlos):
    with django_assert_num_queries(1):  # the portal: whether they have an account
        assert "no portal account" in services.channel_problem(carlos)
    Referrer.objects.filter(pk=carlos.pk).update(preferred_channel=Channel.EMAIL)
    carlos.refresh_from_db()
    with django_assert_num_queries(0):  # email with an address on file: nothing to ask
        assert services.channel_problem(carlos) == ""
