"""Attachments sent through the API lose their active content before they are stored; an encrypted or
unreadable PDF is refused with its field named (attachments.N) and nothing written."""

import base64
import json

import pytest

from liaison.api.tests.test_api_referrals import body, post
from liaison.referrals.intake_models import Attachment
from liaison.referrals.tests import pdfs
from liaison.referrals.tests.test_attachment_cleaning import EVERY_KIND, REFUSED, assert_clean_and_recorded, counts

pytestmark = pytest.mark.django_db
TRIALS = [
    {"drug": "sertraline", "daily_dose_mg": 150, "weeks_at_dose": 8, "response": "none"},
    {"drug": "venlafaxine", "daily_dose_mg": 225, "weeks_at_dose": 10, "response": "partial"},
]


def test_the_api_stores_the_cleaned_file(api_client, token_for, alice):
    content = base64.b64encode(pdfs.with_active(*EVERY_KIND)).decode()
    response = post(
        api_client(token_for(alice)),
        body(trials=TRIALS, attachments=[{"filename": "letter.pdf", "content_base64": content}]),
    )
    assert response.status_code == 201, response.content
    assert_clean_and_recorded(Attachment.objects.get(referral_id=response.json()["id"]))


@pytest.mark.parametrize("case", list(REFUSED))
def test_an_unreadable_or_encrypted_pdf_is_refused_by_the_api(api_client, token_for, alice, case):
    content, message = REFUSED[case]
    before = counts()
    attachment = {"filename": "scan.pdf", "content_base64": base64.b64encode(content).decode()}
    response = post(api_client(token_for(alice)), body(trials=TRIALS, attachments=[attachment]))
    assert response.status_code == 422, response.content
    assert message in json.dumps(response.json(), ensure_ascii=False)
    assert "attachments.0" in json.dumps(response.json())
    assert counts() == before
