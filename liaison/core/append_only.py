"""Database triggers that make a table append-only, for migrations.

UPDATE and DELETE are refused on both databases; TRUNCATE on PostgreSQL (`refuse_emptying`). The one way
to empty such a table is `liaison flush` outside production (the test runner's flush and the demo's
reset), which lifts the guards inside its own transaction (`emptying_allowed`). On PostgreSQL an
application role that does not own the tables cannot lift them at all (docs/operator-guide.md).
"""

import re
from contextlib import contextmanager

from django.db import migrations, transaction

MESSAGE = "append-only table: rows cannot be changed or removed"


def _forward(table: str):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor == "sqlite":
            schema_editor.execute(
                f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;"
            )
        elif vendor == "postgresql":
            schema_editor.execute(
                f"CREATE OR REPLACE FUNCTION {table}_refuse() RETURNS trigger AS $$ "
                f"BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql;"
            )
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {table}_refuse();"
            )

    return run


def _backward(table: str):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update;")
        elif vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {table}_refuse();")

    return run


def append_only(table: str) -> migrations.RunPython:
    return migrations.RunPython(_forward(table), _backward(table))


# ---------------------------------------------------------------- emptying the table (decision 0017)


def _sqlite_no_delete(table: str) -> str:
    return f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;"


def _refuse_emptying_forward(table: str):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor == "sqlite":
            schema_editor.execute(_sqlite_no_delete(table))
        elif vendor == "postgresql":
            # The row trigger above does not fire on TRUNCATE; a statement trigger does.
            schema_editor.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_refuse();"
            )

    return run


def _refuse_emptying_backward(table: str):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete;")
        elif vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};")

    return run


def refuse_emptying(table: str) -> migrations.RunPython:
    """DELETE on SQLite (its flush is a DELETE, so the first migration left it out) and TRUNCATE on PostgreSQL."""
    return migrations.RunPython(_refuse_emptying_forward(table), _refuse_emptying_backward(table))


@contextmanager
def guards_lifted(connection, table: str):
    """For a migration that must rewrite rows of an append-only table: its guards are off inside the
    transaction the migration runs in, and back on before it commits."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table])
            triggers = cursor.fetchall()
            for name, _sql in triggers:
                cursor.execute(f'DROP TRIGGER "{name}"')
        yield
        with connection.cursor() as cursor:
            for _name, sql in triggers:
                cursor.execute(sql)
    else:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        yield
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


def _guarded_tables(connection) -> list[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%no_delete'")
        else:
            cursor.execute(
                "SELECT DISTINCT tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE %s",
                ["%no_truncate"],
            )
        return sorted({row[0] for row in cursor.fetchall()})


@contextmanager
def emptying_allowed(connection):
    """Every append-only table may be emptied inside this block, which is one transaction: `liaison flush`
    outside production only. The guards are back when the block ends, whatever happened inside."""
    with transaction.atomic(using=connection.alias):
        tables = _guarded_tables(connection)
        if not tables:
            yield
            return
        with _all_lifted(connection, tables):
            yield


@contextmanager
def _all_lifted(connection, tables: list[str]):
    if not tables:
        yield
        return
    with guards_lifted(connection, tables[0]), _all_lifted(connection, tables[1:]):
        yield


# ---------------------------------------------------------------- PostgreSQL: an application role that owns nothing

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def app_role_grants(role: str) -> list[str]:
    """What the owner of the tables grants the role the application signs in as (docs/operator-guide.md):
    everything it needs on ordinary tables, only SELECT and INSERT on the audit trail. Not being the owner,
    it can neither TRUNCATE the trail nor ALTER it to switch its triggers off."""
    if not ROLE_NAME.match(role):
        raise ValueError(f"{role!r} is not a plain PostgreSQL role name (lower-case letters, digits, underscores).")
    return [
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role}",
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON core_auditevent FROM {role}",
    ]
