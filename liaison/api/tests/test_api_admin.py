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
