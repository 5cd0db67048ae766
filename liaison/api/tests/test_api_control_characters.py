"""The API refuses a control character in any one-line text (a name, a phone, an address) with a 422 that
names the field, writes nothing, and says so in its OpenAPI schema; text areas keep their line breaks."""

import pytest

from liaison.api.tests.test_api_referrals import body, counts, post
from liaison.referrals.models import Referral


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"patient": {**body()["patient"], "last_name": "Lopez\nBcc: all@example.test"}}, "patient.last_name"),
        ({"patient": {**body()["patient"], "email": "ana@example.test\r\n"}}, "patient.email"),
        ({"coordination_name": "Front\tdesk"}, "coordination_name"),
        ({"reason": "Two years.\x1b[2J"}, "reason"),
    ],
)
def test_a_control_character_is_a_422_naming_the_field(api_client, token_for, alice, change, field):
    before = counts()
    response = post(api_client(token_for(alice)), body(**change))
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert any(key.endswith(field) for key in errors), errors
    assert "invisible character" in " ".join(m for msgs in errors.values() for m in msgs)
    assert counts() == before


@pytest.mark.django_db
def test_line_breaks_in_the_reason_are_kept(api_client, token_for, alice):
    trials = [{"drug": "sertraline", "daily_dose_mg": 150, "weeks_at_dose": 8, "response": "none"}]
    response = post(api_client(token_for(alice)), body(reason="Two years.\nNo help.\ttabbed", trials=trials))
    assert response.status_code == 201, response.content
    assert Referral.objects.get().reason == "Two years.\nNo help.\ttabbed"


@pytest.mark.django_db
def test_the_schema_says_which_text_is_one_line(anonymous_client):
    schema = anonymous_client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    assert schema["PatientIn"]["properties"]["last_name"]["pattern"].startswith("^[^\\x00-\\x1f")
    assert "\\x0b" in schema["ReferralIn"]["properties"]["reason"]["pattern"]
