import pytest

from liaison.accounts.tokens import api_token_create


@pytest.fixture
def token_for(db):
    def make(user, name="Test EHR"):
        return api_token_create(user=user, name=name)[1]

    return make


@pytest.fixture
def api_client(client_for):
    """`api_client(token)`: a test client that sends the bearer token."""
    from django.test import Client

    def make(token=None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return Client(headers=headers)

    return make
