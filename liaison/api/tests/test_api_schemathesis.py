"""Schemathesis reads the API's own OpenAPI document and runs every operation in-process (the WSGI app, no
server) with every check it has: server errors, status codes, content types and response bodies against the
schema, response headers, valid data accepted and invalid data refused, requests without the token refused, and
the rest. A run makes well over 1,000 requests and must find nothing. bench/api_fuzz.py runs 10,000.

One allowance, for POST /referrals only: a request the schema allows may still be refused (422) by a rule that
no JSON Schema can state, and only by those (UNSTATABLE below): an attachment that is not a readable PDF or
carries active content, PHQ-9 answers that contradict the total, an Idempotency-Key already used for another
referral, a practice administrator's referrer_npi that is not one of the practice's clinicians, and a trial's dose
or weeks that cannot be right or are unusual and not confirmed (for that drug, or that patient's age). The extra
check `refused_only_by_unstatable_rules` fails a valid request refused for any other reason."""

import os
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from liaison.wsgi import application

UNSTATABLE = re.compile(
    r"^(attachments\.\d+|phq9_total|phq9_items|phq9_item9|Idempotency-Key|referrer_npi"
    r"|trials\.\d+\.(daily_dose_mg|weeks_at_dose)|confirm_unusual)$"
)
CONFIG = {
    "operations": [
        {
            "include-path": "/api/v1/referrals",
            "include-method": "POST",
            "checks": {
                "positive_data_acceptance": {"expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429"]}
            },
        }
    ]
}
# bench/api_fuzz.py raises both for its 10,000-request run.
EXAMPLES_PER_OPERATION = int(os.environ.get("LIAISON_API_FUZZ_EXAMPLES", "120"))
AT_LEAST = int(os.environ.get("LIAISON_API_FUZZ_AT_LEAST", "1000"))
STATEFUL_SCENARIOS = int(os.environ.get("LIAISON_API_FUZZ_SCENARIOS", "25"))
schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json", application, config=SchemathesisConfig.from_dict(CONFIG)
)
calls = {"count": 0}


@schema.hook
def filter_query(ctx, query):
    """Not a check turned off: a URL cannot tell a list of no value or of one value from no parameter or from
    that value itself (`?offset=0` for [0] and for 0), so a "negative" case whose fault is such a list reaches the
    API as a valid request, and accepting it is right. Those cases are not generated; lists of two or more
    (a parameter given twice) are, and are refused."""
    return not query or all(not (isinstance(value, list) and len(value) < 2) for value in query.values())


def refused_only_by_unstatable_rules(ctx, response, case):
    """Valid data refused with a 422 names only rules the schema cannot state."""
    if case.meta is None or not case.meta.generation.mode.is_positive or response.status_code != 422:
        return None
    fields = set(response.json()["errors"])
    assert fields and all(UNSTATABLE.match(field) for field in fields), f"valid data refused: {response.text}"
    return None


@pytest.fixture
def bearer(db, alice, settings):
    """A referring clinician's token; the per-token limit is lifted (its own test is in test_api_errors.py).
    As Django's test client does, the WSGI app may not close the test's database connection."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from liaison.accounts.tokens import api_token_create

    settings.API_RATE_LIMIT = 10**9
    settings.INTAKE_FOLLOWUP = "worker"  # a referral's follow-up is the worker's (tested in referrals), not the API's
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield api_token_create(user=alice, name="fuzz")[1]
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
@pytest.mark.django_db
def test_the_api_keeps_its_contract(case, bearer):
    calls["count"] += 1
    calls[case.operation.label] = calls.get(case.operation.label, 0) + 1
    case.call_and_validate(
        headers={"Authorization": f"Bearer {bearer}"}, additional_checks=[refused_only_by_unstatable_rules]
    )


def test_the_run_made_over_a_thousand_requests():
    """Runs after the operations above (pytest keeps a module's order): they made at least 1,000 requests."""
    if calls["count"] == 0:
        pytest.skip("run with the schemathesis test above")
    print(f"\nrequests per operation: {calls}")  # noqa: T201
    assert calls["count"] >= AT_LEAST


def test_a_created_referral_can_be_read_at_once(bearer):
    """Stateful: create, then follow the schema's link to read what was made (ensure_resource_availability and
    the other checks on each step). use_after_free has nothing to test here: the API deletes nothing."""

    from django.db import transaction

    class Workflow(schema.as_state_machine()):
        def setup(self):
            """Each scenario starts from the same database (hypothesis replays scenarios; what it draws from
            GET /referrals must not depend on what an earlier scenario left)."""
            self.savepoint = transaction.savepoint()

        def teardown(self):
            transaction.savepoint_rollback(self.savepoint)
            super().teardown()

        def get_call_kwargs(self, case):
            return {"headers": {"Authorization": f"Bearer {bearer}"}}

        def after_call(self, response, case):
            super().after_call(response, case)
            key = f"{case.operation.label} {response.status_code}"
            steps[key] = steps.get(key, 0) + 1
            if key == "POST /api/v1/referrals 201":  # whatever the machine draws next, what was made reads back
                made = response.json()
                reading = schema["/api/v1/referrals/{referral_id}"]["GET"]
                case_read = reading.Case(path_parameters={"referral_id": made["id"]})
                read = case_read.call(headers={"Authorization": f"Bearer {bearer}"})
                assert read.status_code == 200 and read.json()["reference"] == made["reference"], read.content
                steps["read back at once"] = steps.get("read back at once", 0) + 1

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            """As the machine's own, but the checks are told the token is ours (as call_and_validate tells them)."""
            checks = [*(additional_checks or []), refused_only_by_unstatable_rules]
            case.validate_response(
                response,
                additional_checks=checks,
                headers=kwargs.get("headers"),
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    steps = {}
    # Derandomised, so that whether a run reaches "create, then read" does not depend on luck (asserted below).
    quick = settings(
        max_examples=STATEFUL_SCENARIOS, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True
    )
    Workflow.run(settings=settings(quick, stateful_step_count=4))
    print(f"\nstateful steps: {steps}")  # noqa: T201
    # Whether the machine itself follows the link to the read depends on what it drew; each create was read back
    # above regardless, so a run that made referrals has checked create-then-read.
    assert (
        steps.get("POST /api/v1/referrals 201")
        and steps.get("read back at once") == steps["POST /api/v1/referrals 201"]
    )
