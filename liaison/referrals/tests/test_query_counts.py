"""Query counts pinned for the list and detail pages (NetBox's query-count baselines): the same
number of queries for 5 rows as for 40, and exactly the queries listed here. When a change adds a
query on purpose, add it to the list with a word on why."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from liaison.directory.tests.factories import ReferrerFactory
from liaison.referrals import services
from liaison.referrals.tests.factories import DiagnosisFactory, MedicationTrialFactory, ReferralFactory

pytestmark = pytest.mark.django_db

# Every signed-in page starts and ends the same way.
SIGNED_IN = ["django_session", "accounts_user"]  # the session; request.user
SESSION_SAVED = ["SAVEPOINT", "django_session", "RELEASE"]  # SESSION_SAVE_EVERY_REQUEST renews the idle timer
# One audit row (decisions 0017 and 0032). PostgreSQL: read the chain's end, then one statement that moves the end
# on if it is still there and inserts the row (WITH ... UPDATE ... INSERT). SQLite: lock and read the end, INSERT
# the row, move the end onto it.
if connection.vendor == "postgresql":
    AUDIT_ROW = ["core_auditchainhead", "WITH"]
else:
    AUDIT_ROW = ["core_auditchainhead", "core_auditevent", "core_auditchainhead"]

INBOX_QUERIES = [
    *SIGNED_IN,
    "accounts_user",  # the owner filter's list of clinic staff (staff only)
    "referrals_referral",  # one page (+1 row), joined to patient, referrer and owner
    "core_clinic",  # the clinic's name in the header
    "care_safetyalert",  # open safety alerts, shown above the list, with how many are open
    *AUDIT_ROW,  # who saw which referrals (and alerts): one row, written once the page is rendered
    *SESSION_SAVED,
]
# A referrer's list is the portal (the staff inbox refuses them): no staff list, no safety alerts.
OUTSIDER_INBOX_QUERIES = [*SIGNED_IN, "referrals_referral", *AUDIT_ROW, "core_clinic", *SESSION_SAVED]

DETAIL_QUERIES = [
    *SIGNED_IN,
    "referrals_referral",  # the referral joined to patient, referrer, practice, taxonomy, owner, screening, review,
    # and whether it has care sessions, scores, open alerts and questionnaire links (the care panel's lists)
    "referrals_diagnosis",  # prefetched
    "referrals_medicationtrial",  # prefetched
    "referrals_referralevent",  # the timeline, joined to each event's actor
    "accounts_user",  # the care team form's coordinators and clinicians, in one list
    "core_clinic",  # the header
    # The care panel reads only the lists the referral's query found rows in: none here (care's own tests pin them).
    *AUDIT_ROW,  # who looked at the referral and its care panel: one row, written once the page is rendered
    *SESSION_SAVED,
]

DIRECTORY_QUERIES = [
    *SIGNED_IN,
    "directory_referrer",  # how many referrers in all (the pager)
    "directory_referrer",  # the page's ids, from the name index alone
    "directory_referrer",  # ... their rows joined to practice, taxonomy and the health row (the counts)
    "core_clinic",  # the header
    *SESSION_SAVED,
]

TABLE = re.compile(r'^\(?(?:SELECT .*? FROM|INSERT INTO|UPDATE|DELETE FROM) "(\w+)"', re.S)


def outside_brackets(sql: str) -> str:
    """The statement without its bracketed parts past the first character (the referral's EXISTS subqueries name
    the care tables before its own FROM)."""
    kept, depth = [], 0
    for n, char in enumerate(sql):
        depth += (char == "(" and n > 0) - (char == ")" and depth > 0)
        if depth == 0 and char != ")":
            kept.append(char)
    return "".join(kept)


def queries_of(client, url) -> list[str]:
    """The table each query of one request reads or writes (or SAVEPOINT / RELEASE)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    names = []
    for query in captured.captured_queries:
        sql = query["sql"]
        match = TABLE.match(outside_brackets(sql))
        names.append(match.group(1) if match else sql.split()[0])
    return names


@pytest.mark.parametrize("rows", [5, 40])
def test_the_inbox_costs_the_same_for_5_or_40_referrals(rows, client_for, coordinator, clinician):
    for i in range(rows):
        ReferralFactory(assigned_coordinator=coordinator if i % 2 else None, assigned_clinician=clinician)
    queries = queries_of(client_for(coordinator), reverse("referrals:inbox"))
    assert queries == INBOX_QUERIES  # on failure, the diff names the query that came or went
    assert len(queries) == 9 + len(AUDIT_ROW)


@pytest.mark.parametrize("rows", [5, 40])
def test_a_referrers_portal_costs_the_same_for_5_or_40_referrals(rows, client_for, alice, alice_referrer):
    for _ in range(rows):
        ReferralFactory(referrer=alice_referrer)
    queries = queries_of(client_for(alice), reverse("intake:portal"))
    assert queries == OUTSIDER_INBOX_QUERIES  # on failure, the diff names the query that came or went
    assert len(queries) == 7 + len(AUDIT_ROW)


@pytest.mark.parametrize("rows", [1, 10])
def test_the_referral_page_costs_the_same_for_1_or_10_trials_and_events(rows, client_for, coordinator, clinician):
    referral = ReferralFactory(assigned_coordinator=coordinator, assigned_clinician=clinician)
    for i in range(rows):
        MedicationTrialFactory(referral=referral)
        DiagnosisFactory(referral=referral)
        services.referral_add_note(referral=referral, by=(coordinator, clinician)[i % 2], text=f"Note {i}")
    queries = queries_of(client_for(coordinator), reverse("referrals:detail", args=[referral.pk]))
    assert queries == DETAIL_QUERIES  # on failure, the diff names the query that came or went
    assert len(queries) == 11 + len(AUDIT_ROW)  # one audit row for the referral and its care panel (decision 0032)


@pytest.mark.parametrize("rows", [5, 40])
def test_the_referrers_directory_costs_the_same_for_5_or_40_referrers(rows, client_for, liaison):
    for _ in range(rows):
        ReferralFactory(referrer=ReferrerFactory())
    queries = queries_of(client_for(liaison), reverse("directory:referrers"))
    assert queries == DIRECTORY_QUERIES  # on failure, the diff names the query that came or went
    assert len(queries) == 9
