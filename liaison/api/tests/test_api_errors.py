"""Every error the API answers is JSON of one shape, `{"message": str, "errors": {field: [str]}}`, and every
status an operation can answer is in the OpenAPI schema with that shape."""

import json

import pytest
from django.db import IntegrityError
from django.test import Client

from liaison.api.tests.test_api_referrals import body
from liaison.core.models import AuditEvent

pytestmark = pytest.mark.django_db
OPERATIONS = {
    ("post", "/api/v1/referrals"): {"400", "401", "403", "409", "413", "422", "429"},
    ("get", "/api/v1/referrals"): {"401", "403", "413", "422", "429"},
    ("get", "/api/v1/referrals/{referral_id}"): {"401", "403", "404", "413", "422", "429"},
    ("get", "/api/v1/me"): {"401", "403", "413", "429"},
    ("get", "/api/v1/reference/icd10"): {"413", "422"},
}


def assert_error_shape(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    data = json.loads(response.content)
    assert set(data) == {"message", "errors"} and isinstance(data["message"], str) and data["message"]
    assert all(isinstance(v, list) and all(isinstance(m, str) for m in v) for v in data["errors"].values())
    return data


@pytest.fixture
def openapi(client):
    return client.get("/api/v1/openapi.json").json()


def test_every_operation_declares_each_error_status_with_the_one_shape(openapi):
    error = {"$ref": "#/components/schemas/ErrorOut"}
    assert openapi["components"]["schemas"]["ErrorOut"]["required"] == ["message"]
    for (method, path), statuses in OPERATIONS.items():
        responses = openapi["paths"][path][method]["responses"]
        errors = {status for status in responses if status.startswith(("4", "5"))}
        assert errors == statuses, (method, path)
        for status in errors:
            assert responses[status]["content"]["application/json"]["schema"] == error
        if "429" in statuses:
            assert "Retry-After" in responses["429"]["headers"]
    assert set(OPERATIONS) == {(m, p) for p, ops in openapi["paths"].items() for m in ops}


@pytest.fixture
def client_of(api_client, token_for, alice):
    return api_client(token_for(alice))


def test_400_a_body_that_is_not_json(client_of):
    response = client_of.post("/api/v1/referrals", "{not json", content_type="application/json")
    assert assert_error_shape(response, 400)["message"].startswith("The request body is not valid JSON")


def test_401_no_token_or_a_wrong_one(api_client):
    for client in (Client(), api_client("lia_wrong")):
        assert_error_shape(client.get("/api/v1/me"), 401)
        assert client.get("/api/v1/me")["WWW-Authenticate"] == "Bearer"


def test_403_a_role_that_may_not_use_the_api_is_refused_and_recorded(client_of, monkeypatch, alice):
    monkeypatch.setattr("liaison.api.auth.may", lambda user, capability: False)
    assert_error_shape(client_of.get("/api/v1/me"), 403)
    assert AuditEvent.objects.filter(actor=alice, action="access_denied", object_type="api").exists()


def test_404_someone_elses_referral_an_unknown_one_and_an_unknown_address(client_of, bobs_referral):
    assert_error_shape(client_of.get(f"/api/v1/referrals/{bobs_referral.pk}"), 404)
    assert_error_shape(client_of.get("/api/v1/referrals/999999"), 404)
    assert_error_shape(client_of.get("/api/v1/no-such-thing"), 404)


def test_405_a_method_the_address_does_not_answer(client_of):
    response = client_of.delete("/api/v1/me")
    assert_error_shape(response, 405)
    assert response["Allow"] == "GET"


def test_409_the_same_key_while_its_first_request_is_still_being_handled(client_of, monkeypatch):
    def racing(**kwargs):
        raise IntegrityError("another request holds this key")

    monkeypatch.setattr("liaison.api.referrals.services.referral_receive", racing)
    response = client_of.post(
        "/api/v1/referrals", json.dumps(body()), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert_error_shape(response, 409)


def test_413_a_body_over_the_limit_is_json_and_never_read(client_of, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client_of.post("/api/v1/referrals", json.dumps(body(reason="x" * 2000)), content_type="application/json")
    assert assert_error_shape(response, 413)["message"].startswith("The request is too large")


def test_413_from_django_itself_is_json_too(rf, settings):
    """Should a body be read whose size was not announced, Django's RequestDataTooBig still answers in JSON."""
    from django.core.exceptions import RequestDataTooBig

    from liaison.api.api import too_big

    assert_error_shape(too_big(rf.get("/api/v1/me"), RequestDataTooBig()), 413)


def test_422_names_each_field(client_of):
    data = assert_error_shape(client_of.get("/api/v1/referrals?limit=0&offset=x"), 422)
    assert set(data["errors"]) == {"limit", "offset"}
    data = assert_error_shape(client_of.get("/api/v1/referrals?limit=5&colour=red&offset=1&offset=2"), 422)
    assert data["errors"] == {
        "colour": ["This operation has no such parameter."],
        "offset": ["Give this parameter once."],
    }


def test_429_per_token_with_retry_after(client_of, api_client, token_for, alice, settings):
    settings.API_RATE_LIMIT = 2
    statuses = [client_of.get("/api/v1/me").status_code for _ in range(2)]
    response = client_of.get("/api/v1/me")
    assert statuses == [200, 200]
    assert_error_shape(response, 429)
    assert 1 <= int(response["Retry-After"]) <= 60
    assert api_client(token_for(alice, name="Second EHR")).get("/api/v1/me").status_code == 200  # its own count
