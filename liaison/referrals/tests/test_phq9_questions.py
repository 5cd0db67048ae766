"""The PHQ-9's items are shown with their questions wherever they appear: the public and staff referral forms, the
care app's score form, and the referral page's answers; never "Item 1 … Item 9"."""

import re

import pytest
from django.urls import reverse

from liaison.core import phq9
from liaison.referrals.tests.factories import ReferralDataFactory, receive_referral

SLEEP = "Trouble getting to sleep or staying asleep, or sleeping far too much"


def _labels(html: str) -> list[str]:
    return re.findall(r'<label for="id_[\w-]*phq9_(?:item_)?\d">([^<]*)</label>', html)


def test_there_are_nine_questions_and_the_ninth_is_the_safety_question():
    assert len(phq9.QUESTIONS) == 9 and "better off dead" in phq9.QUESTIONS[8]
    assert phq9.question(3) == f"3. {SLEEP}"


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["public", "staff"])
def test_the_referral_forms_label_each_item_with_its_question(client_for, anonymous_client, coordinator, page):
    client, url = (anonymous_client, reverse("intake:refer")) if page == "public" else (
        client_for(coordinator), reverse("referrals:new"))  # fmt: skip
    html = client.get(url).content.decode()
    assert _labels(html) == [phq9.question(n) for n in range(1, 10)]
    assert not re.search(r">Item [1-8]<", html)
    assert "1 · On several days" in html  # answers in words, not bare numbers


@pytest.mark.django_db
def test_the_care_score_form_labels_phq9_and_gad7_items_with_their_questions(client_for, clinician, alices_referral):
    html = client_for(clinician).get(reverse("care:score_new", args=[alices_referral.pk])).content.decode()
    assert f"3. {SLEEP}" in html and "2. Not being able to stop or control worrying" in html
    assert not re.search(r">Item \d<", html)


@pytest.mark.django_db
def test_the_referral_page_shows_each_answer_beside_its_question(client_for, coordinator, alice_referrer):
    data = ReferralDataFactory(referrer=alice_referrer, phq9_total=None, phq9_items=[1, 2, 3, 0, 1, 2, 3, 0, None])
    referral = receive_referral(referral=data)
    html = client_for(coordinator).get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert f"<span>3. {SLEEP}</span> <strong>3 · Nearly every day</strong>" in html
    assert "<strong>not answered</strong>" in html
