"""Writing the large network's rows fast (liaison.demo.bulk): `Table` hands out ids and writes rows with binary
COPY on PostgreSQL (bulk_create elsewhere), and the PostgreSQL housekeeping around a bulk load: secondary indexes
rebuilt once at the end, foreign keys checked once at the end."""

import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime

from django.db import DatabaseError, connection, models, transaction
from django.db.models import Max


class Table:
    """One table being loaded: hands out ids, turns dicts into rows in column order (fields a dict
    leaves out get their defaults), and writes rows with binary COPY on PostgreSQL or bulk_create."""

    def __init__(self, model: type[models.Model]):
        self.model = model
        self.fields = model._meta.concrete_fields
        self.names = [f.attname for f in self.fields]
        self.position = {name: i for i, name in enumerate(self.names)}
        self.defaults = [f.get_default() for f in self.fields]
        self.copy = connection.vendor == "postgresql"
        self.next_id = (model.objects.aggregate(top=Max("id"))["top"] or 0) + 1

    def take(self) -> int:
        self.next_id += 1
        return self.next_id - 1

    def row(self, values: dict) -> list:
        return [values.get(name, default) for name, default in zip(self.names, self.defaults, strict=True)]

    def template(self, **values) -> list:
        return self.row(values)

    def fill(self, template: list, **values) -> list:
        """A copy of a row template with some columns set."""
        out = template.copy()
        for name, value in values.items():
            out[self.position[name]] = value
        return out

    def event(self, template: list, row_id: int, referral_id: int, at: datetime, actor) -> list:
        """An event row from its template: id, referral, time and who (for ReferralEvent only)."""
        out = template.copy()
        p = self.position
        out[p["id"]], out[p["referral_id"]], out[p["at"]] = row_id, referral_id, at
        out[p["actor_id"]], out[p["actor_label"]] = (actor.pk, actor.username) if actor else (None, "system")
        return out

    def write(self, rows: list[list]) -> None:
        if not rows:
            return
        if not self.copy:
            # The rows carry their own creation times: bulk_create must not stamp them with now.
            stamped = [f for f in self.fields if getattr(f, "auto_now_add", False)]
            for f in stamped:
                f.auto_now_add = False
            try:
                self.model.objects.bulk_create(
                    [self.model(**dict(zip(self.names, r, strict=True))) for r in rows], batch_size=500
                )
            finally:
                for f in stamped:
                    f.auto_now_add = True
            return
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in self.fields)
        with connection.cursor() as cursor:
            types = self._column_types(cursor)
            with cursor.copy(f"COPY {quote(self.model._meta.db_table)} ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(types)
                for row in rows:
                    copy.write_row(row)

    def _column_types(self, cursor) -> list[int]:
        """The PostgreSQL type of each column, which binary COPY needs."""
        cursor.execute(
            "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0",
            [self.model._meta.db_table],
        )
        oids = dict(cursor.fetchall())
        return [oids[f.column] for f in self.fields]


# ---------------------------------------------------------------- PostgreSQL bulk-load housekeeping


@contextmanager
def indexes_rebuilt_after(tables: dict, log: Callable[[str], None]):
    """Drop the secondary indexes of the loaded tables and build them again at the end: one sorted
    build is far faster than updating every index row by row. Inside the load's transaction, so a
    failure leaves the indexes as they were. Primary keys and unique constraints stay."""
    names = [t.model._meta.db_table for t in tables.values()]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            [names],
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        for _, definition in indexes:
            cursor.execute(definition)
    log(f"{len(indexes)} indexes rebuilt ({time.monotonic() - started:.0f}s)")


@contextmanager
def foreign_keys_checked_after(tables: dict, log: Callable[[str], None]):
    """Where the role may (a superuser's bench database), skip the per-row foreign-key triggers and
    check every foreign key of the loaded tables once at the end instead; otherwise keep them."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
        skipped = True
    except DatabaseError:
        skipped = False
    yield
    if not skipped:
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = origin")
        started = time.monotonic()
        for table in tables.values():
            _check_foreign_keys(cursor, table.model)
    log(f"foreign keys checked ({time.monotonic() - started:.0f}s)")


def _check_foreign_keys(cursor, model: type[models.Model]) -> None:
    quote = connection.ops.quote_name
    for field in model._meta.concrete_fields:
        if not field.is_relation:
            continue
        target = field.related_model._meta
        child, column = quote(model._meta.db_table), quote(field.column)
        parent, key = quote(target.db_table), quote(target.pk.column)
        # Identifiers only, from the models' own metadata, quoted: nothing from outside reaches this SQL.
        cursor.execute(
            f"SELECT count(*) FROM {child} c WHERE c.{column} IS NOT NULL "  # noqa: S608
            f"AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.{key} = c.{column})"
        )
        missing = cursor.fetchone()[0]
        if missing:
            raise DatabaseError(f"{missing} rows of {model._meta.db_table}.{field.column} point at nothing.")
