"""The signed letters on the referrer's portal page: the referrer reads them there (as HTML or PDF); a draft, and
another practice's letters, never show."""

import pytest
from django.urls import reverse

from liaison.accounts.tests.factories import ReferrerUserFactory
from liaison.comms import services
from liaison.comms.tests.helpers import keys, referral_for


@pytest.fixture
def sent(protocol, clinic, coordinator):
    """A referral whose acknowledgment is signed, and its referrer's account."""
    referral = referral_for(coordinator=coordinator)
    letter = services.letter_draft(due=keys(referral)["ack"], by=coordinator)
    services.letter_approve(letter=letter, by=coordinator)
    return referral, letter, ReferrerUserFactory(referrer=referral.referrer)


def test_the_portal_lists_the_signed_letters_with_links(sent, client_for):
    referral, letter, referrer = sent
    client = client_for(referrer)
    page = client.get(reverse("intake:portal_detail", args=[referral.pk])).content.decode()
    assert "Letters from the practice" in page and letter.get_letter_type_display() in page
    assert reverse("comms:letter_preview", args=[letter.pk]) in page
    assert client.get(reverse("comms:letter_preview", args=[letter.pk])).status_code == 200
    assert client.get(reverse("comms:letter_pdf", args=[letter.pk])).content.startswith(b"%PDF")
    assert client.get(reverse("comms:letter", args=[letter.pk])).status_code == 403  # the staff page


def test_a_draft_is_not_on_the_portal(protocol, clinic, coordinator, client_for):
    referral = referral_for(coordinator=coordinator)
    draft = services.letter_draft(due=keys(referral)["ack"], by=coordinator)
    client = client_for(ReferrerUserFactory(referrer=referral.referrer))
    page = client.get(reverse("intake:portal_detail", args=[referral.pk])).content.decode()
    assert "No letter yet." in page and reverse("comms:letter_preview", args=[draft.pk]) not in page
    assert client.get(reverse("comms:letter_preview", args=[draft.pk])).status_code == 404


def test_another_practices_referrer_cannot_read_the_letter(sent, client_for, bob):
    _, letter, _ = sent
    assert client_for(bob).get(reverse("comms:letter_preview", args=[letter.pk])).status_code == 404
