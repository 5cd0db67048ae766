from django.conf import settings
from django.db import connections, models, router, transaction
from django.utils import timezone

from liaison.core import chain


class Clinic(models.Model):
    """The practice that runs this Liaison: its name, letterhead details and business hours.

    One row. Referring practices live in directory.Practice.
    """

    name = models.CharField(max_length=200)
    address = models.CharField(max_length=300, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    fax = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    business_day_start = models.TimeField(default="09:00")
    business_day_end = models.TimeField(default="17:00")

    class Meta:
        verbose_name = "clinic"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(business_day_start__lt=models.F("business_day_end")),
                name="clinic_business_day_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("The audit trail is append-only.")

    def delete(self):
        raise PermissionError("The audit trail is append-only.")

    def bulk_create(self, objs, batch_size=None, **options):
        """Many rows at once, chained in list order under one lock (decision 0017)."""
        if options:
            raise ValueError(f"Audit rows are only ever appended; {', '.join(options)} is not supported.")
        objs = list(objs)
        with transaction.atomic(using=self.db, savepoint=False):
            head = AuditChainHead.locked(using=self.db)
            for event in objs:
                head.link(event)
            created = super().bulk_create(objs, batch_size=batch_size)
            head.store(using=self.db)
        return created


class AuditEvent(models.Model):
    """One look at, or change to, patient data: who, what, which record, when, from where.

    Append-only: the model refuses updates and deletes, and database triggers refuse them too.
    """

    at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    actor_label = models.CharField(max_length=150, help_text="The username at the time, kept if the user goes.")
    action = models.CharField(max_length=40, db_index=True)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=64, blank=True)
    patient_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    path = models.CharField(max_length=300, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    # The chain (decision 0017): the row's place in the trail, and an HMAC of the previous row's hash and
    # this row's fields. Null only on a row that was put in behind the application's back.
    seq = models.BigIntegerField(null=True, editable=False)
    hash = models.CharField(max_length=64, null=True, editable=False)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            models.Index(fields=["actor", "-at"], name="audit_actor_at"),
            models.Index(fields=["actor_label", "-at"], name="audit_actor_label_at"),  # the report's "who"
        ]
        constraints = [
            # Partial, so that SQLite adds it as an index instead of rebuilding the table (which drops triggers).
            models.UniqueConstraint(fields=["seq"], condition=models.Q(seq__isnull=False), name="audit_seq_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type} {self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("The audit trail is append-only.")
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        if not args and set(kwargs) <= {"using", "force_insert"} and AuditChainHead.append(self, using=using):
            return
        with transaction.atomic(using=using, savepoint=False):
            head = AuditChainHead.locked(using=using)
            head.link(self)
            super().save(*args, **kwargs)
            head.store(using=using)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit trail is append-only.")

    def chained_fields(self) -> dict:
        return {name: getattr(self, name) for name in chain.FIELDS}


HEAD = 'SELECT "seq", "hash" FROM "core_auditchainhead" WHERE "id" = 1'
HEAD_FOR_UPDATE = HEAD + " FOR UPDATE"


def _append_sql(connection, fields) -> str:
    """Move the head from (seq, hash) to the new row's and insert the row, in one statement; no row back when
    the head had moved on. Each value cast to its column's type (an INSERT ... SELECT, not VALUES)."""
    q = connection.ops.quote_name
    columns = ", ".join(q(f.column) for f in fields)
    values = ", ".join(f"CAST(%s AS {f.db_type(connection)})" for f in fields)
    moved = (
        'WITH "moved" AS (UPDATE "core_auditchainhead" SET "seq" = %s, "hash" = %s '
        'WHERE "id" = 1 AND "seq" = %s AND "hash" = %s RETURNING "seq") '
    )
    return moved + f'INSERT INTO "core_auditevent" ({columns}) SELECT {values} FROM "moved" RETURNING "id"'  # noqa: S608 - names from the model


class AuditChainHead(models.Model):
    """The end of the audit chain: the number and hash of the last row. One row, locked (SELECT ... FOR
    UPDATE) by every append until its transaction ends, so appends take their turn; SQLite's writers take
    turns already. Read first by `liaison audit_verify`, which also tells from it that rows at the end went."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=chain.GENESIS)

    class Meta:
        verbose_name = "audit chain head"

    def __str__(self) -> str:
        return f"audit row {self.seq}"

    @classmethod
    def locked(cls, *, using: str) -> "AuditChainHead":
        """The head, locked until the transaction ends (an empty table, after a flush, starts a new chain).
        Plain SQL: this runs with every audit row, and the ORM's query building cost more than the query."""
        connection = connections[using]
        sql = HEAD_FOR_UPDATE if connection.features.has_select_for_update else HEAD
        with connection.cursor() as cursor:
            cursor.execute(sql)
            found = cursor.fetchone()
        if found is None:
            head = cls(pk=1)
            head._adding_to_db = True
            return head
        return cls(pk=1, seq=found[0], hash=found[1])

    @classmethod
    def append(cls, event: AuditEvent, *, using: str, tries: int = 3) -> bool:
        """PostgreSQL: write the row in two round trips, not five (decision 0032). The head is read without a
        lock, the row is numbered and hashed onto it, and one statement moves the head on and inserts the row
        only if the head is still the one read: the UPDATE waits for any writer holding the head and then checks
        its WHERE against the row that writer left, so a head that moved meanwhile updates nothing and inserts
        nothing, and the row is linked afresh. False (nothing written) when the head is missing or kept moving:
        the caller takes the lock instead."""
        connection = connections[using]
        if connection.vendor != "postgresql":
            return False
        fields = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]
        sql = _append_sql(connection, fields)
        for _ in range(tries):
            with connection.cursor() as cursor:
                cursor.execute(HEAD)
                found = cursor.fetchone()
                if found is None:
                    return False
                head = cls(pk=1, seq=found[0], hash=found[1])
                head.link(event)
                values = [f.get_db_prep_save(f.pre_save(event, True), connection) for f in fields]
                cursor.execute(sql, [head.seq, head.hash, found[0], found[1], *values])
                written = cursor.fetchone()
            if written is not None:
                event.pk = written[0]
                event._state.adding, event._state.db = False, using
                return True
        event.seq = event.hash = None
        return False

    def link(self, event: AuditEvent) -> None:
        """Give the next row its number and hash, and move the head onto it."""
        self.seq += 1
        event.seq = self.seq
        event.hash = chain.row_hash(self.hash, event.chained_fields())
        self.hash = event.hash

    def store(self, *, using: str) -> None:
        if getattr(self, "_adding_to_db", False):
            self.save(using=using, force_insert=True)
            return
        with connections[using].cursor() as cursor:
            cursor.execute(
                'UPDATE "core_auditchainhead" SET "seq" = %s, "hash" = %s WHERE "id" = 1', [self.seq, self.hash]
            )


class PendingReaction(models.Model):
    """Work an event makes owed in another app, run after commit by the worker (liaison.core.events): written
    in the transaction that records the event, deleted once the handler has run, so a process that dies in
    between loses nothing (decisions 0010 and 0023). A failure stays here with its error and retry time."""

    kind = models.CharField(max_length=60)
    handler = models.CharField(max_length=100)
    referral_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    event_id = models.BigIntegerField(null=True, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    run_after = models.DateTimeField(null=True, blank=True, help_text="After a failure: not before this time.")
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["attempts", "created_at"], name="core_pending_order")]

    def __str__(self) -> str:
        return f"{self.handler} for {self.kind} (referral {self.referral_id})"
