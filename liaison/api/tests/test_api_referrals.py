"""The JSON API: create, read, list, idempotency, errors, scoping, and its OpenAPI document."""

import base64
import json

import pytest

from liaison.referrals.intake_models import Attachment
from liaison.referrals.models import Patient, Referral
from liaison.referrals.tests import pdfs

URL = "/api/v1/referrals"
PDF = pdfs.plain()  # a real one-page PDF: attachments are opened and checked


def body(**over):
    data = {
        "patient": {"first_name": "Ana", "last_name": "Lopez", "date_of_birth": "1982-06-01", "phone": "7185550111"},
        "urgency": "soon",
        "diagnoses": [{"code": "F33.2"}],
        "episode_months": 18,
        "trials": [
            {"drug": "sertraline", "daily_dose_mg": "150", "weeks_at_dose": 8, "response": "none"},
            {"drug": "venlafaxine", "daily_dose_mg": "225", "weeks_at_dose": 10, "response": "partial"},
        ],
        "phq9_total": 20,
    }
    data.update(over)
    return data


def post(client, data, key=None):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(URL, json.dumps(data), content_type="application/json", headers=headers)


def counts():
    return Referral.objects.count(), Patient.objects.count()


@pytest.mark.django_db
def test_create_read_and_list(api_client, token_for, alice, alice_referrer):
    client = api_client(token_for(alice))
    response = post(client, body(attachments=[{"filename": "a.pdf", "content_base64": base64.b64encode(PDF).decode()}]))
    assert response.status_code == 201, response.content
    made = response.json()
    assert made["referrer_npi"] == alice_referrer.npi and made["status"] == "received"
    assert made["screening"]["resistance"] == "likely" and made["screening"]["safety"] == "none"
    referral = Referral.objects.get(pk=made["id"])
    assert referral.channel == "api" and referral.created_by == alice
    assert Attachment.objects.get(referral=referral).content == PDF
    assert client.get(f"{URL}/{made['id']}").json()["reference"] == made["reference"]
    assert [r["id"] for r in client.get(URL).json()["items"]] == [made["id"]]


@pytest.mark.django_db
def test_a_retry_with_the_same_key_returns_the_first_referral(api_client, token_for, alice):
    client = api_client(token_for(alice))
    first = post(client, body(), key="ehr-123")
    before = counts()
    again = post(client, body(), key="ehr-123")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"] and counts() == before


@pytest.mark.django_db
def test_the_same_key_with_a_different_body_is_refused(api_client, token_for, alice):
    client = api_client(token_for(alice))
    post(client, body(), key="ehr-123")
    before = counts()
    response = post(client, body(urgency="urgent"), key="ehr-123")
    assert response.status_code == 422 and "Idempotency-Key" in response.json()["errors"]
    assert counts() == before


@pytest.mark.django_db
def test_keys_are_per_token(api_client, token_for, alice, bob):
    post(api_client(token_for(alice)), body(), key="k")
    assert post(api_client(token_for(bob)), body(), key="k").status_code == 201


@pytest.mark.django_db
def test_bad_input_lists_every_field_and_writes_nothing(api_client, token_for, alice):
    client = api_client(token_for(alice))
    before = counts()
    bad = body(
        patient={"first_name": "", "last_name": "L", "date_of_birth": "2999-01-01", "email": "not-an-email"},
        diagnoses=[{"code": "nonsense"}],
        attachments=[{"filename": "x.pdf", "content_base64": base64.b64encode(b"GIF89a").decode()}],
    )
    response = post(client, bad)
    assert response.status_code == 422
    errors = response.json()["errors"]
    for field in (
        "patient.first_name",
        "patient.date_of_birth",
        "patient.email",
        "diagnoses.0.code",
        "attachments.0.content_base64",
    ):
        assert field in errors, (field, errors)
    response = post(client, body(phq9_items=[1, 1, 1, 1, 1, 1, 1, 1, 1], phq9_total=20))
    assert response.status_code == 422 and "phq9_total" in response.json()["errors"]
    assert counts() == before


@pytest.mark.django_db
def test_schema_errors_are_field_by_field_too(api_client, token_for, alice):
    response = post(api_client(token_for(alice)), body(urgency="whenever", episode_months=-1))
    assert response.status_code == 422
    assert {"urgency", "episode_months"} <= set(response.json()["errors"])


@pytest.mark.django_db
def test_a_practice_token_names_its_clinician(api_client, token_for, practice_admin, colleague_referrer, bob_referrer):
    client = api_client(token_for(practice_admin))
    assert post(client, body()).status_code == 422
    before = counts()
    assert post(client, body(referrer_npi=bob_referrer.npi)).json()["errors"]["referrer_npi"]
    assert counts() == before
    made = post(client, body(referrer_npi=colleague_referrer.npi))
    assert made.status_code == 201 and made.json()["referrer_npi"] == colleague_referrer.npi


@pytest.mark.django_db
def test_nothing_of_another_referrers_is_reachable(api_client, token_for, bob, alices_referral):
    client = api_client(token_for(bob))
    assert client.get(f"{URL}/{alices_referral.pk}").status_code == 404
    assert client.get(URL).json()["items"] == []


@pytest.mark.django_db
@pytest.mark.parametrize("token", [None, "lia_not-a-real-token", ""])
def test_no_or_bad_token_gets_401(api_client, token, alices_referral):
    client = api_client(token)
    assert client.get(URL).status_code == 401
    assert client.get(f"{URL}/{alices_referral.pk}").status_code == 401
    before = counts()
    assert post(client, body()).status_code == 401 and counts() == before


@pytest.mark.django_db
def test_a_revoked_token_or_a_staff_session_gets_nothing(api_client, token_for, alice, client_for, coordinator):
    from liaison.accounts.models import ApiToken
    from liaison.accounts.tokens import api_token_revoke

    raw = token_for(alice)
    api_token_revoke(token=ApiToken.objects.get(user=alice))
    assert api_client(raw).get(URL).status_code == 401
    assert client_for(coordinator).get(URL).status_code == 401


@pytest.mark.django_db
def test_tokens_are_only_for_outside_accounts(coordinator):
    from django.core.exceptions import ValidationError

    from liaison.accounts.tokens import api_token_create

    with pytest.raises(ValidationError):
        api_token_create(user=coordinator, name="x")


@pytest.mark.django_db
def test_openapi_and_docs_are_served(anonymous_client):
    schema = anonymous_client.get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.") and "/api/v1/referrals" in schema["paths"]
    docs = anonymous_client.get("/api/v1/docs")
    assert docs.status_code == 200 and b"cdn" not in docs.content.lower()


@pytest.mark.django_db
def test_icd10_search(anonymous_client):
    codes = anonymous_client.get("/api/v1/reference/icd10", {"q": "F33"}).json()
    assert codes and all(c["code"].startswith("F33") for c in codes)


@pytest.mark.django_db
def test_the_command_makes_a_token(alice):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("api_token", "alice", "Riverside EHR", stdout=out)
    assert out.getvalue().startswith("lia_")


@pytest.mark.django_db
def test_a_token_records_when_it_was_last_used(api_client, token_for, alice):
    from liaison.accounts.models import ApiToken

    api_client(token_for(alice)).get(URL)
    assert ApiToken.objects.get(user=alice).last_used_at is not None


def test_a_create_returns_before_its_follow_up_which_the_worker_runs(api_client, token_for, alice, settings):
    from liaison.comms import worker
    from liaison.comms.models import DueCommunication
    from liaison.core.models import PendingReaction

    settings.INTAKE_FOLLOWUP = "worker"
    response = post(api_client(token_for(alice)), body())
    assert response.status_code == 201, response.content
    referral_id = response.json()["id"]
    assert PendingReaction.objects.filter(referral_id=referral_id).exists()
    assert not DueCommunication.objects.filter(referral_id=referral_id).exists()
    worker.run_once()
    assert DueCommunication.objects.filter(referral_id=referral_id, key="ack").exists()


def test_me_says_who_the_token_acts_for(
    api_client, token_for, alice, alice_referrer, practice_admin, django_assert_num_queries, settings
):
    # The rate count kept in memory here, so that only the API's own queries are counted.
    settings.CACHES = {**settings.CACHES, "shared": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    client = api_client(token_for(alice, name="Epic at Main St"))
    with django_assert_num_queries(3):  # the token with its user and referrer; the practice; "last used"
        response = client.get("/api/v1/me")
    assert response.status_code == 200
    body = response.json()
    assert body["role"] == "referrer" and body["referrer_npi"] == alice_referrer.npi
    assert body["token"]["name"] == "Epic at Main St" and body["token"]["prefix"].startswith("lia_")
    admin_body = api_client(token_for(practice_admin)).get("/api/v1/me").json()
    assert admin_body["role"] == practice_admin.role and admin_body["practice"] == practice_admin.practice.name
    assert admin_body["referrer_npi"] is None


def test_me_needs_a_token(anonymous_client, api_client):
    assert anonymous_client.get("/api/v1/me").status_code == 401
    assert api_client("lia_not-a-real-token").get("/api/v1/me").status_code == 401


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody", "Riverside EHR"], "username: there is no account called 'nobody'."),
        (["cora", "Riverside EHR"], "user: API tokens are for referring clinicians"),
        (["alice", "  "], "name: Name the system that will use the token."),
    ],
)
def test_the_command_names_what_is_wrong_and_makes_no_token(alice, coordinator, args, message):
    from django.core.management import CommandError, call_command

    from liaison.accounts.models import ApiToken

    with pytest.raises(CommandError, match=message):
        call_command("api_token", *args)
    assert not ApiToken.objects.exists()


def test_an_attachment_that_is_not_base64_is_named_and_nothing_is_written(api_client, token_for, alice):
    client = api_client(token_for(alice))
    before = counts()
    response = post(client, body(attachments=[{"filename": "letter.pdf", "content_base64": "not base64 at all!"}]))
    assert response.status_code == 422
    assert response.json()["errors"]["attachments.0.content_base64"] == ["This is not a base64-encoded PDF."]
    assert counts() == before


def test_a_create_costs_a_fixed_number_of_queries(api_client, token_for, alice, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from liaison.referrals import screening_cache

    settings.INTAKE_FOLLOWUP = "worker"
    # The rate count and the screening tables' version kept in memory, so that only the API's own queries count.
    settings.CACHES = {**settings.CACHES, "shared": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    screening_cache.forget()
    client = api_client(token_for(alice))
    assert post(client, body()).status_code == 201  # the token's "last used", the screening tables: read once
    other = {"first_name": "Ida", "last_name": "Novak", "date_of_birth": "1990-02-03", "phone": "7185550112"}
    with CaptureQueriesContext(connection) as queries:
        assert post(client, body(patient=other)).status_code == 201
    sql = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"]]  # the test's own transaction makes some
    assert not [s for s in sql if "screeningrule" in s or "adequatedose" in s], sql
    audit = [s for s in sql if "core_audit" in s]  # the chain's head locked and moved on, the row: two or three
    rest = [s for s in sql if "core_audit" not in s]
    # The token; the duplicate search; patient, referral, diagnoses, trials, screening result, event; the one
    # pending reaction; the new patient's name words for search (one INSERT that skips words already known).
    assert len(rest) == 10 and 2 <= len(audit) <= 3, sql
    assert sum("search_searchword" in s for s in rest) == 1, sql
