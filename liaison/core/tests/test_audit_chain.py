"""The audit trail is a hash chain (decision 0017): `liaison audit_verify` says "intact" while nobody has touched
it, and names the first row that was changed, removed or slipped in by someone who went round the application
(here: raw SQL with the table's guards lifted, as a database superuser or the owner of a SQLite file could)."""

import datetime
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.db.migrations.loader import MigrationLoader

from liaison.core import chain
from liaison.core.append_only import guards_lifted
from liaison.core.audit import audit_log
from liaison.core.models import AuditChainHead, AuditEvent

pytestmark = pytest.mark.django_db


def verify(**options) -> str:
    out = StringIO()
    call_command("audit_verify", stdout=out, **options)
    return out.getvalue().strip()


def refused(**options) -> str:
    with pytest.raises(CommandError) as caught:
        verify(**options)
    assert caught.value.returncode == 1
    return str(caught.value)


def checks_now() -> None:
    """PostgreSQL will not alter or truncate a table with foreign-key checks still pending in the transaction
    (the test's own); outside a test there are none."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def tamper(sql: str, params=()) -> None:
    checks_now()
    with transaction.atomic(), guards_lifted(connection, "core_auditevent"), connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def trail(coordinator):
    """Five rows, the way the application writes them."""
    return [
        audit_log(actor=coordinator, action="view", object_type="referrals.referral", object_id=i, patient_id=100 + i)
        for i in range(1, 6)
    ]


# ---------------------------------------------------------------- what is written


def test_each_row_is_numbered_and_hashed_onto_the_one_before(trail):
    assert [row.seq for row in trail] == [1, 2, 3, 4, 5]
    assert trail[0].hash == chain.row_hash(chain.GENESIS, trail[0].chained_fields())
    assert trail[1].hash == chain.row_hash(trail[0].hash, trail[1].chained_fields())
    head = AuditChainHead.objects.get()
    assert (head.seq, head.hash) == (5, trail[-1].hash)


def test_an_untouched_trail_is_intact(trail):
    assert verify() == "intact, 5 rows"
    assert verify(chunk=2) == "intact, 5 rows"


def test_an_empty_trail_is_intact():
    assert verify() == "intact, 0 rows"


def test_what_comes_back_from_the_database_hashes_as_it_went_in(coordinator):
    """Addresses, JSON and times come back in the database's own spelling; the hash must not care."""
    audit_log(
        actor=coordinator,
        action="export",
        object_type="reports.report",
        object_id=7,
        detail={"b": [1, 2.5, None], "a": {"ü": "x\ny", "n": 10**15}, "t": (1, 2)},
    )
    AuditEvent.objects.create(actor_label="ip", action="view", object_type="x", ip_address="2001:DB8:0::0001")
    assert verify() == "intact, 2 rows"


def test_bulk_inserts_are_chained_in_order(trail):
    AuditEvent.objects.bulk_create(
        [AuditEvent(actor_label="loader", action="bulk_load", object_type="referrals.referral") for _ in range(3)]
    )
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == [1, 2, 3, 4, 5, 6, 7, 8]
    assert verify() == "intact, 8 rows"


def test_bulk_inserts_refuse_the_options_that_would_skip_rows():
    with pytest.raises(ValueError, match="ignore_conflicts"):
        AuditEvent.objects.bulk_create([AuditEvent(action="x")], ignore_conflicts=True)
    assert not AuditEvent.objects.exists()


# ---------------------------------------------------------------- what is caught


def test_an_edited_row_is_named(trail):
    tamper("UPDATE core_auditevent SET actor_label = 'someone else' WHERE id = %s", [trail[2].pk])
    message = refused()
    assert f"row {trail[2].pk} (number 3) was changed" in message


def test_an_edited_time_is_caught_too(trail):
    tamper("UPDATE core_auditevent SET patient_id = 999 WHERE id = %s", [trail[4].pk])
    assert f"row {trail[4].pk} (number 5) was changed" in refused()


def test_a_removed_row_is_named_by_the_row_after_the_gap(trail):
    tamper("DELETE FROM core_auditevent WHERE id = %s", [trail[1].pk])
    message = refused(chunk=1)
    assert f"row {trail[2].pk} follows a gap: the row numbered 2 was removed after row {trail[0].pk}" in message


def test_rows_removed_from_the_end_are_caught(trail):
    tamper("DELETE FROM core_auditevent WHERE id IN (%s, %s)", [trail[3].pk, trail[4].pk])
    assert f"the rows numbered 4 to 5 were removed from the end of the trail, after row {trail[2].pk}" in refused()


def test_an_inserted_row_is_named(trail):
    tamper(
        "INSERT INTO core_auditevent (at, actor_label, action, object_type, object_id, path, detail) "
        "VALUES (%s, 'cora', 'view', 'referrals.referral', '9', '', '{}')",
        [datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)],
    )
    forged = AuditEvent.objects.filter(seq__isnull=True).get()
    assert f"row {forged.pk} was inserted: it is not part of the chain" in refused()


def test_a_row_inserted_with_a_number_and_a_made_up_hash_is_named(trail):
    """Numbered as the next row, the chain's end moved onto it: without the key its hash cannot be right."""
    tamper(
        "INSERT INTO core_auditevent (at, actor_label, action, object_type, object_id, path, detail, seq, hash) "
        "VALUES (%s, 'cora', 'view', 'referrals.referral', '9', '', '{}', 6, %s)",
        [datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC), "f" * 64],
    )
    AuditChainHead.objects.filter(pk=1).update(seq=6, hash="f" * 64)
    forged = AuditEvent.objects.get(seq=6)
    assert f"row {forged.pk} (number 6) was changed" in refused()


def test_a_row_rewritten_with_a_new_key_does_not_pass(trail, settings):
    """Someone with the database but not the key cannot make the chain add up again."""
    settings.SECRET_KEY = "another-key-" + "x" * 40
    assert f"row {trail[0].pk} (number 1) was changed" in refused()


def test_an_old_key_kept_as_a_fallback_still_verifies(trail, settings):
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "the-new-key-" + "x" * 40
    settings.SECRET_KEY_FALLBACKS = [old]
    assert verify() == "intact, 5 rows"


def test_a_bad_chunk_size_is_refused():
    with pytest.raises(CommandError, match="--chunk must be at least 1"):
        verify(chunk=0)


# ---------------------------------------------------------------- rows from before the chain


def test_the_migration_chains_the_rows_already_there(trail):
    """Rows written before the chain existed get their numbers and hashes, oldest first, and verify."""
    tamper("UPDATE core_auditevent SET seq = NULL, hash = NULL")
    AuditChainHead.objects.all().delete()
    assert "is not part of the chain" in refused()
    migration = __import__("liaison.core.migrations.0003_audit_chain", fromlist=["chain_existing_rows"])
    state = MigrationLoader(connection).project_state(("core", "0003_audit_chain"))
    with transaction.atomic():
        migration.chain_existing_rows(state.apps, SimpleNamespace(connection=connection))
    assert verify() == "intact, 5 rows"
    assert [row.seq for row in AuditEvent.objects.order_by("id")] == [1, 2, 3, 4, 5]
    audit_log(actor=None, action="view", object_type="x")  # the application carries on from the migrated end
    assert verify() == "intact, 6 rows"


# ---------------------------------------------------------------- the trail cannot be emptied


def test_the_database_refuses_to_delete_audit_rows_on_both_databases(trail):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent")
    assert AuditEvent.objects.count() == 5


def test_postgresql_refuses_to_truncate_the_trail(trail):
    if connection.vendor != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's; SQLite empties a table with DELETE (the test above)")
    checks_now()
    for sql in ("TRUNCATE core_auditevent", "TRUNCATE accounts_user CASCADE"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert AuditEvent.objects.count() == 5


def test_flush_is_refused_in_production_and_removes_nothing(trail, settings):
    settings.MODE = "production"
    with pytest.raises(CommandError, match="would empty the audit trail"):
        call_command("flush", interactive=False, verbosity=0)
    assert AuditEvent.objects.count() == 5


@pytest.mark.django_db(transaction=True)  # PostgreSQL will not TRUNCATE behind a test's open transaction
def test_flush_outside_production_empties_the_trail_and_puts_the_guards_back(trail):
    call_command("flush", interactive=False, verbosity=0)
    assert not AuditEvent.objects.exists()
    row = audit_log(actor=None, action="view", object_type="x")
    assert row.seq == 1 and verify() == "intact, 1 rows"
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent")


@pytest.mark.django_db(transaction=True)
def test_writers_at_the_same_time_each_chain_onto_the_last(coordinator):
    """PostgreSQL writes a row by reading the chain's end unlocked and moving it on only if nobody else has
    (decision 0032): four writers at once, one of them inside a longer transaction, still make one chain."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite takes one writer at a time, at BEGIN")
    import threading

    audit_log(actor=coordinator, action="view", object_type="t", object_id="first")  # the chain's end exists
    start, errors = threading.Barrier(4), []

    def write(n, in_transaction):
        try:
            start.wait(10)
            for i in range(10):
                fields = {"actor": coordinator, "action": "view", "object_type": "t", "object_id": f"{n}-{i}"}
                if in_transaction:
                    with transaction.atomic():
                        audit_log(**fields)
                        audit_log(**fields | {"action": "list"})
                else:
                    audit_log(**fields)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n, n == 0)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == list(range(1, 52))
    assert AuditChainHead.objects.get().seq == 51
    assert verify() == "intact, 51 rows"
