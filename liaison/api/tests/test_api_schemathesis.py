"""Schemathesis reads the API's own OpenAPI document and fuzzes every operation in-process:
no input may cause a server error."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from liaison.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def bearer(db, alice):
    """A token; and, as Django's test client does, the WSGI app may not close the test's connection."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from liaison.accounts.tokens import api_token_create

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield api_token_create(user=alice, name="fuzz")[1]
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.django_db
def test_no_server_error(case, bearer):
    case.call_and_validate(headers={"Authorization": f"Bearer {bearer}"}, checks=[not_a_server_error])
