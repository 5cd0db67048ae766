"""PostgreSQL: the application signs in as a role that owns none of the tables (docs/operator-guide.md,
"PostgreSQL roles"). Granted what `liaison app_role_grants` prints, it writes audit rows as usual but cannot
TRUNCATE, DELETE or UPDATE the trail, nor switch its triggers off. SQLite has no roles: a SQLite file's owner
can do anything to it, which is why production runs on PostgreSQL (skipped there)."""

import os
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from liaison.core.append_only import app_role_grants
from liaison.core.audit import audit_log
from liaison.core.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_app_role():
    """A throwaway role, granted as documented; the test's transaction takes it away again."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no database roles")
    role = f"liaison_app_test{os.environ.get('LIAISON_TEST_DB_SUFFIX', '')}_{os.getpid()}".lower()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no foreign-key checks left pending from set-up
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
        for statement in app_role_grants(role):
            cursor.execute(statement)
        cursor.execute(f"SET ROLE {role}")
    yield role
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")


def refused(sql: str, match: str, params=()) -> None:
    with pytest.raises(DatabaseError, match=match), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_the_app_role_writes_audit_rows_but_cannot_take_them_away(as_app_role, coordinator):
    row = audit_log(actor=coordinator, action="view", object_type="referrals.referral", object_id=1)
    assert row.seq is not None and AuditEvent.objects.filter(pk=row.pk).exists()
    refused("TRUNCATE core_auditevent", "permission denied")
    refused("DELETE FROM core_auditevent WHERE id = %s", "permission denied", [row.pk])
    refused("UPDATE core_auditevent SET action = 'nothing' WHERE id = %s", "permission denied", [row.pk])
    refused("ALTER TABLE core_auditevent DISABLE TRIGGER core_auditevent_no_truncate", "must be owner")
    refused("ALTER TABLE core_auditevent DISABLE TRIGGER USER", "must be owner")
    refused("DROP TRIGGER core_auditevent_append_only ON core_auditevent", "must be owner")
    assert AuditEvent.objects.get(pk=row.pk).action == "view"


def test_the_app_role_keeps_full_use_of_ordinary_tables(as_app_role, coordinator):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_user SET first_name = 'Corinne' WHERE id = %s", [coordinator.pk])
        cursor.execute("SELECT first_name FROM accounts_user WHERE id = %s", [coordinator.pk])
        assert cursor.fetchone() == ("Corinne",)


def test_the_command_prints_the_grants():
    out = StringIO()
    call_command("app_role_grants", "liaison_app", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[1] == "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO liaison_app;"
    assert lines[-1] == "REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON core_auditevent FROM liaison_app;"


def test_the_command_refuses_a_role_name_that_is_not_plain():
    with pytest.raises(CommandError, match="not a plain PostgreSQL role name"):
        call_command("app_role_grants", "app; DROP TABLE core_auditevent")
