import pytest


@pytest.mark.django_db
def test_the_admin_lists_rules_doses_and_tokens(client_for, admin, alice):
    from liaison.accounts.tokens import api_token_create

    api_token_create(user=alice, name="Riverside EHR")
    client = client_for(admin)
    for url in ("referrals/screeningrule", "referrals/adequatedose", "accounts/apitoken"):
        assert client.get(f"/admin/{url}/").status_code == 200, url
    assert b"Riverside EHR" in client.get("/admin/accounts/apitoken/").content


@pytest.mark.django_db
def test_outsiders_cannot_reach_the_admin(client_for, alice):
    assert client_for(alice).get("/admin/referrals/screeningrule/").status_code == 302


@pytest.mark.django_db
def test_revoking_in_the_admin_stops_the_token_and_is_audited(client_for, api_client, admin, alice):
    from liaison.accounts.tokens import api_token_create
    from liaison.core.models import AuditEvent

    token, raw = api_token_create(user=alice, name="Riverside EHR")
    assert api_client(raw).get("/api/v1/me").status_code == 200
    response = client_for(admin).post(
        "/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )
    assert "Revoked 1 token(s)." in response.content.decode()
    assert api_client(raw).get("/api/v1/me").status_code == 401
    assert AuditEvent.objects.filter(action="api_token_revoke", actor=admin, object_id=str(token.pk)).exists()
