"""The audit report: the director and the administrator filter the trail by person, patient, referral, action
and period, page through it and export it to CSV; opening and exporting it are on the trail; nobody else may
open it; a bad filter is an error on its field and shows no rows."""

import csv
import datetime
import io
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from liaison.accounts import services
from liaison.accounts.choices import Role
from liaison.accounts.tests.factories import CoordinatorFactory
from liaison.core.audit import audit_log
from liaison.core.models import AuditEvent

pytestmark = pytest.mark.django_db

REPORT = reverse("core:audit")
EXPORT = reverse("core:audit_export")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def history(coordinator, clinician):
    def at(day, **kwargs):
        with time_machine.travel(datetime.datetime(2026, 3, day, 12, 0, tzinfo=NEW_YORK), tick=False):
            return audit_log(**kwargs)

    referral = {"object_type": "referrals.referral"}
    return {
        "cora views referral 11": at(2, actor=coordinator, action="view", **referral, object_id=11, patient_id=101),
        "cora lists": at(3, actor=coordinator, action="list", **referral),
        "cliff views referral 11": at(3, actor=clinician, action="view", **referral, object_id=11, patient_id=101),
        "cliff moves referral 12": at(
            4, actor=clinician, action="transition", **referral, object_id=12, patient_id=102
        ),
        "cliff's care panel, patient 102": at(
            4, actor=clinician, action="view", object_type="care.panel", patient_id=102
        ),
    }


def shown(response) -> set[int]:
    return {row.pk for row in response.context["rows"]}


def exported(response) -> list[list[str]]:
    assert response.streaming and response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


# ---------------------------------------------------------------- who may open it


@pytest.mark.parametrize("role", ["director", "admin"])
@pytest.mark.parametrize("url", [REPORT, EXPORT])
def test_the_director_and_the_administrator_may_open_and_export(role, url, request, client_for):
    assert client_for(request.getfixturevalue(role)).get(url).status_code == 200


@pytest.mark.parametrize("role", ["coordinator", "clinician", "liaison", "alice", "practice_admin"])
@pytest.mark.parametrize("url", [REPORT, EXPORT])
def test_everyone_else_is_refused(role, url, request, client_for, history):
    response = client_for(request.getfixturevalue(role)).get(url)
    assert response.status_code == 403
    assert b"cora" not in response.content
    assert not AuditEvent.objects.filter(action__in=["audit_view", "audit_export"]).exists()


@pytest.mark.parametrize("url", [REPORT, EXPORT])
def test_signed_out_visitors_are_sent_to_sign_in(url, client):
    response = client.get(url)
    assert response.status_code == 302 and "login" in response.url


@pytest.mark.parametrize(("role", "linked"), [("director", True), ("admin", True), ("coordinator", False)])
def test_the_navigation_links_the_report_for_those_who_may_open_it(role, linked, request, client_for):
    user = request.getfixturevalue(role)
    page = client_for(user).get(reverse("accounts:account")).content.decode()
    assert (f'href="{REPORT}"' in page) is linked


# ---------------------------------------------------------------- filters


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"actor": "cora"}, {"cora views referral 11", "cora lists"}),
        ({"patient_id": "102"}, {"cliff moves referral 12", "cliff's care panel, patient 102"}),
        ({"referral": "11"}, {"cora views referral 11", "cliff views referral 11"}),
        ({"action": "view", "actor": "cliff"}, {"cliff views referral 11", "cliff's care panel, patient 102"}),
        ({"since": "2026-03-03", "until": "2026-03-03"}, {"cora lists", "cliff views referral 11"}),
        ({"referral": "11", "since": "2026-03-03"}, {"cliff views referral 11"}),
        ({"referral": "99"}, set()),
    ],
)
def test_the_report_filters_by_person_patient_referral_action_and_period(
    query, expected, history, director, client_for
):
    response = client_for(director).get(REPORT, query)
    assert response.status_code == 200
    assert shown(response) == {history[name].pk for name in expected}


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ({"patient_id": "abc"}, "patient_id", "Enter a whole number."),
        ({"referral": "-3"}, "referral", "Ensure this value is greater than or equal to 1."),
        ({"since": "yesterday"}, "since", "Enter a valid date."),
        ({"since": "2026-03-04", "until": "2026-03-02"}, "until", "The end date is before the start date."),
        ({"referral": "11", "object_type": "care.panel"}, "referral", "A referral is a record already"),
        ({"action": "x" * 41}, "action", "Ensure this value has at most 40 characters"),
    ],
)
def test_a_bad_filter_is_an_error_on_its_field_and_shows_no_rows(query, field, message, history, admin, client_for):
    response = client_for(admin).get(REPORT, query)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field] and message in errors[field][0]
    assert list(response.context["rows"]) == []
    assert "Correct the filters above to see rows." in response.content.decode()


def test_a_bad_filter_exports_nothing(history, admin, client_for):
    response = client_for(admin).get(EXPORT, {"patient_id": "abc"})
    assert response.status_code == 400 and not response.streaming
    assert response.context["form"].errors == {"patient_id": ["Enter a whole number."]}
    assert not AuditEvent.objects.filter(action="audit_export").exists()


def test_the_report_pages_through_a_long_trail(admin, coordinator, client_for):
    for i in range(1, 103):
        audit_log(actor=coordinator, action="view", object_type="referrals.referral", object_id=i)
    client = client_for(admin)
    first = client.get(REPORT, {"actor": "cora"})
    assert len(first.context["rows"]) == 100 and first.context["next_after"] == 100
    second = client.get(REPORT, {"actor": "cora", "after": "100"})
    assert [row.object_id for row in second.context["rows"]] == ["2", "1"]


# ---------------------------------------------------------------- on the trail itself


def test_opening_the_report_is_on_the_trail(history, director, client_for):
    client_for(director).get(REPORT, {"actor": "cora", "patient_id": "abc"})
    client_for(director).get(REPORT, {"actor": "cora"})
    refused, opened = AuditEvent.objects.filter(action="audit_view").order_by("id")
    assert (opened.actor, opened.object_type, opened.path) == (director, "core.auditevent", REPORT)
    assert opened.detail == {"filters": {"actor": "cora"}, "shown": 2}
    assert refused.detail == {
        "filters": {"actor": "cora", "patient_id": "abc"},
        "shown": 0,
        "refused_filters": ["patient_id"],
    }


def test_the_page_does_not_list_its_own_opening(history, admin, client_for):
    response = client_for(admin).get(REPORT)
    assert shown(response) == {row.pk for row in history.values()}


def test_the_director_finds_a_liaisons_promotion(admin, director, liaison, client_for):
    services.user_role_change(user=liaison, role=Role.DIRECTOR, by=admin)
    response = client_for(director).get(REPORT, {"action": "user_role_change"})
    (row,) = response.context["rows"]
    assert (row.actor_label, row.object_id) == ("ada", str(liaison.pk))
    assert "liaison → director" in response.content.decode()


# ---------------------------------------------------------------- the CSV


def test_the_export_has_the_filtered_rows_and_is_on_the_trail(history, director, client_for):
    response = client_for(director).get(EXPORT, {"referral": "11"})
    header, *lines = exported(response)
    assert header[:4] == ["When", "Who", "Action", "Record type"]
    assert [(line[1], line[2], line[4], line[5]) for line in lines] == [
        ("cliff", "view", "11", "101"),
        ("cora", "view", "11", "101"),
    ]
    assert lines[0][0] == "2026-03-03T12:00:00-05:00"
    (row,) = AuditEvent.objects.filter(action="audit_export")
    assert (row.actor, row.detail) == (director, {"filters": {"referral": "11"}})


def test_the_export_without_filters_is_the_whole_trail_but_not_its_own_row(history, admin, client_for):
    lines = exported(client_for(admin).get(EXPORT))[1:]
    assert len(lines) == len(history)
    assert "audit_export" not in {line[2] for line in lines}


def test_a_formula_in_a_username_comes_out_quoted(admin, client_for):
    sneaky = CoordinatorFactory(username='=HYPERLINK("http://evil.example","click")')
    audit_log(actor=sneaky, action="view", object_type="referrals.referral", object_id=1, detail={"note": "+1"})
    (line,) = exported(client_for(admin).get(EXPORT, {"action": "view"}))[1:]
    assert line[1] == '\'=HYPERLINK("http://evil.example","click")'
    assert line[8] == '{"note": "+1"}'  # JSON starts with a brace: nothing to quote


# ---------------------------------------------------------------- cost

TABLE = re.compile(r'^(?:SELECT .*? FROM|INSERT INTO|UPDATE|DELETE FROM) "(\w+)"', re.S)
AUDIT_ROW_SQLITE = ["core_auditchainhead", "core_auditevent", "core_auditchainhead"]
REPORT_QUERIES = [
    "django_session",  # the session
    "accounts_user",  # request.user
    "core_auditevent",  # one page of rows (+1 to know whether there is another)
    # (the page's accounts, for their names, are one more query, only when a row is about an account)
    # added on purpose: the actions on the trail, for the Action filter's list (on PostgreSQL a loose index scan,
    # a recursive WITH over the action index; decision 0030)
    "WITH" if connection.vendor == "postgresql" else "core_auditevent",
    # the report's own row: read the chain's end, then (PostgreSQL) move it on and insert the row in one statement,
    # or (SQLite) lock it, INSERT, move it (decision 0032)
    *(["core_auditchainhead", "WITH"] if connection.vendor == "postgresql" else AUDIT_ROW_SQLITE),
    "core_clinic",  # the header
    "SAVEPOINT",  # the session's idle timer
    "django_session",
    "RELEASE",
]


@pytest.mark.parametrize("rows", [5, 60])
def test_the_report_costs_the_same_for_5_or_60_rows(rows, admin, coordinator, client_for):
    for i in range(rows):
        audit_log(actor=coordinator, action="view", object_type="referrals.referral", object_id=i)
    client = client_for(admin)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(REPORT, {"action": "view"}).status_code == 200
    names = []
    for query in captured.captured_queries:
        match = TABLE.match(query["sql"])
        names.append(match.group(1) if match else query["sql"].split()[0])
    assert names == REPORT_QUERIES


def test_a_page_of_rows_about_accounts_names_them_with_one_query(admin, client_for):
    people = CoordinatorFactory.create_batch(3, first_name="Marcus", last_name="Bell")
    for person in people * 2:
        audit_log(actor=None, action="sign_in_failed", object_type="accounts.user", object_id=person.pk)
    client = client_for(admin)
    with CaptureQueriesContext(connection) as captured:
        page = client.get(REPORT, {"action": "sign_in_failed"})
    tables = [match[1] for query in captured.captured_queries if (match := TABLE.match(query["sql"]))]
    assert tables.count("accounts_user") == 2  # request.user, then the page's accounts at once
    assert f"accounts.user #{people[0].pk} (Marcus Bell)" in page.content.decode()


# ---------------------------------------------------------------- an investigation


def test_a_person_filter_finds_the_failed_sign_ins_the_lock_and_the_unlock_of_their_account(
    admin, coordinator, client_for
):
    from django.test import Client

    from liaison.accounts.services import sign_in_unlock
    from liaison.accounts.tests.signin import sign_in

    for _ in range(10):
        sign_in(Client(), coordinator.username, "a wrong guess", REMOTE_ADDR="203.0.113.40")
    sign_in_unlock(username=coordinator.username, by=admin)
    client = client_for(admin)
    by_person = client.get(REPORT, {"actor": coordinator.username}).context["rows"]
    assert {row.action for row in by_person} == {"sign_in_failed", "sign_in_locked", "sign_in_unlock"}
    assert len([row for row in by_person if row.action == "sign_in_failed"]) == 10
    by_record = client.get(REPORT, {"object_type": "accounts.user", "object_id": str(coordinator.pk)})
    assert {row.action for row in by_record.context["rows"]} == {"sign_in_failed", "sign_in_locked", "sign_in_unlock"}
    # The administrator's own unlock is also theirs.
    assert "sign_in_unlock" in {row.action for row in client.get(REPORT, {"actor": admin.username}).context["rows"]}


def test_the_action_filter_lists_the_actions_on_the_trail_and_times_show_their_zone(history, admin, client_for):
    page = client_for(admin).get(REPORT).content.decode()
    assert 'list="audit-actions"' in page
    assert '<option value="list"></option><option value="transition"></option><option value="view"></option>' in page
    assert "Mar 4, 2026 12:00:00 EST" in page
