"""Stored outcomes (care.models.ReferralOutcome, decision 0024): one row per referral with a complete PHQ-9 or a
treatment session, so the outcomes page is one grouped query however long the history.

Two writers, one set of definitions (care.outcomes):

- `outcome_refresh(referral, ...)`: in the transaction of every write of a score or a session (assessment_record,
  session_record, questionnaire_submit, the merge's move of scores). It locks the referral's row, reads the
  referral's PHQ-9s and sessions afresh and stores `outcomes.outcome()` of them. Anything that writes scores or
  sessions some other way (bulk loads, SQL, a future correction) must call it, or `reconcile_outcomes()`.
- `reconcile_outcomes()`: every row recomputed in sets (window functions over all PHQ-9s; SQLite and PostgreSQL),
  compared with what is stored, and only the differences written. Run nightly (`liaison reconcile_outcomes`,
  Celery beat `care.reconcile_outcomes`) and after bulk loads (`build_network`, the demo). It returns what it
  changed: on a healthy database, nothing.
"""

import time
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import Count, Min, Q

from liaison.care import outcomes
from liaison.care.choices import Instrument, SessionKind
from liaison.care.models import Assessment, OutcomeCount, ReferralOutcome, Session
from liaison.referrals.models import Referral

TREATED_KINDS = (SessionKind.ACUTE, SessionKind.MAINTENANCE)
FIELDS = (
    "referrer_id",
    "source_type",
    "treated_on",
    "baseline_total",
    "baseline_on",
    "baseline_kind",
    "current_total",
    "current_on",
    "scores",
    "response",
    "remission",
)
FRESH = "care_outcome_fresh"  # a temporary table, for the length of one reconcile
# The outcomes page's counts of one cell's treated outcomes (stored per (referrer, source type) in OutcomeCount):
# a referral is treated once it has had an acute or maintenance session, measured once it has a response class
# (a baseline above 0 and a later PHQ-9), and remitted only when measured.
COUNTS = {
    "treated": Count("*"),
    "measured": Count("response"),
    "responders": Count("response", filter=Q(response=outcomes.RESPONSE)),
    "partial": Count("response", filter=Q(response=outcomes.PARTIAL)),
    "remitted": Count("remission", filter=Q(response__isnull=False, remission=True)),
}


# ---------------------------------------------------------------- one referral, as it is written


def outcome_fields(result: outcomes.Outcome) -> dict:
    """What a ReferralOutcome stores of an outcome (without the referral's keys and treatment date)."""
    baseline, current = result.baseline, result.current
    return {
        "baseline_total": baseline.total if baseline else None,
        "baseline_on": baseline.on if baseline else None,
        "baseline_kind": baseline.kind if baseline else "",
        "current_total": current.total if current else None,
        "current_on": current.on if current else None,
        "scores": result.scores,
        "response": result.response,
        "remission": result.remission,
    }


def referral_outcome(referral_id: int) -> tuple[outcomes.Outcome, object]:
    """The referral's outcome computed from scratch from its complete PHQ-9s, and its first treatment date."""
    phq9 = Assessment.objects.filter(referral_id=referral_id, instrument=Instrument.PHQ9, total__isnull=False)
    scores = [
        outcomes.Score(on, total, kind or "")
        for on, total, kind in phq9.order_by("taken_on", "id").values_list("taken_on", "total", "session__kind")
    ]
    treated = Session.objects.filter(referral_id=referral_id, kind__in=TREATED_KINDS).aggregate(first=Min("held_on"))
    return outcomes.outcome(scores), treated["first"]


def outcome_refresh(*referrals: Referral) -> None:
    """Store these referrals' outcomes afresh, in the caller's transaction (call it in the transaction that wrote
    their scores or sessions). The referral's row is locked first, so two writes to one referral's scores store
    the outcome of both, and a reconcile running at the same time cannot leave an older one behind."""
    with transaction.atomic(savepoint=False):
        cells = set()
        for referral in referrals:
            cells |= _refresh_one(referral.pk)
        counts_refresh(cells)


def _refresh_one(pk: int) -> set[tuple]:
    """Store one referral's outcome; the (referrer, source type) cells it was and is counted in."""
    keys = Referral.objects.select_for_update(no_key=True).filter(pk=pk).values_list("referrer_id", "source_type")
    found = keys.first()
    if found is None:
        return set()
    cells = set(ReferralOutcome.objects.filter(pk=pk).values_list("referrer_id", "source_type"))
    result, treated_on = referral_outcome(pk)
    if not result.scores and treated_on is None:
        ReferralOutcome.objects.filter(pk=pk).delete()
        return cells
    row = ReferralOutcome(
        referral_id=pk, referrer_id=found[0], source_type=found[1], treated_on=treated_on, **outcome_fields(result)
    )
    ReferralOutcome.objects.bulk_create([row], update_conflicts=True, unique_fields=["referral"], update_fields=FIELDS)
    return cells | {found}


def count_key(referrer_id: int | None, source_type: str) -> str:
    return f"{'' if referrer_id is None else referrer_id}:{source_type}"


def counts_refresh(cells: set[tuple]) -> None:
    """Recount these (referrer, source type) cells of OutcomeCount from the stored outcomes, in the caller's
    transaction (a recount, not an increment: repeating it changes nothing). Each cell's row is made if missing and
    locked, in key order, before it is counted, so two writers to one cell count each other's outcomes."""
    if not cells:
        return
    keyed = {count_key(*cell): cell for cell in cells}
    OutcomeCount.objects.bulk_create(
        [OutcomeCount(key=k, referrer_id=r, source_type=s) for k, (r, s) in keyed.items()], ignore_conflicts=True
    )
    list(OutcomeCount.objects.select_for_update().filter(key__in=keyed).order_by("key").values_list("key"))
    empty = []
    for key, (referrer_id, source_type) in sorted(keyed.items()):
        found = ReferralOutcome.objects.filter(
            treated_on__isnull=False, referrer_id=referrer_id, source_type=source_type
        ).aggregate(**COUNTS)
        if found["treated"]:
            OutcomeCount.objects.filter(key=key).update(**found)
        else:
            empty.append(key)
    OutcomeCount.objects.filter(key__in=empty).delete()


# ---------------------------------------------------------------- every referral, in sets


@dataclass(frozen=True)
class ReconcileResult:
    rows: int  # stored outcomes after the reconcile
    inserted: int
    updated: int
    deleted: int
    seconds: float

    @property
    def changed(self) -> int:
        return self.inserted + self.updated + self.deleted


def _tables(connection) -> dict:
    q = connection.ops.quote_name
    return {
        "assessment": q(Assessment._meta.db_table),
        "session": q(Session._meta.db_table),
        "referral": q(Referral._meta.db_table),
        "outcome": q(ReferralOutcome._meta.db_table),
        "count": q(OutcomeCount._meta.db_table),
        "fresh": q(FRESH),
    }


def _kinds(kinds) -> str:
    return ", ".join(f"'{k}'" for k in kinds)


def fresh_sql(connection) -> str:
    """Every referral's outcome as one query. Each referral's PHQ-9s are numbered twice: in pick_baseline's
    order (`pick`, 1 is the baseline) and latest first (`back`, ties by row id as the services store them).
    The current score is the latest other one on or after the baseline's date: the latest of all unless that
    is the baseline itself, then the one before it if it has the baseline's date. One pass groups them."""
    t = _tables(connection)
    at = {"b": "pick = 1", "l": "back = 1", "p": "back = 2"}
    picked = ",\n".join(
        f"MAX(CASE WHEN {where} THEN {column} END) AS {prefix}_{column}"
        for prefix, where in at.items()
        for column in ("id", "taken_on", "total", "kind")
    )
    return f"""
    WITH ranked AS (
        SELECT a.id, a.referral_id, a.taken_on, a.total, COALESCE(s.kind, '') AS kind,
               ROW_NUMBER() OVER (
                   PARTITION BY a.referral_id ORDER BY {outcomes.baseline_rank_sql("COALESCE(s.kind, '')")},
                   a.taken_on, a.id
               ) AS pick,
               ROW_NUMBER() OVER (PARTITION BY a.referral_id ORDER BY a.taken_on DESC, a.id DESC) AS back
        FROM {t["assessment"]} a LEFT JOIN {t["session"]} s ON s.id = a.session_id
        WHERE a.instrument = '{Instrument.PHQ9}' AND a.total IS NOT NULL
    ),
    per AS (SELECT referral_id, COUNT(*) AS n, {picked} FROM ranked GROUP BY referral_id),
    base AS (
        SELECT referral_id, n, b_total, b_taken_on, b_kind,
               CASE WHEN l_id <> b_id THEN l_total WHEN p_taken_on >= b_taken_on THEN p_total END AS c_total,
               CASE WHEN l_id <> b_id THEN l_taken_on WHEN p_taken_on >= b_taken_on THEN p_taken_on END AS c_on
        FROM per
    ),
    treated AS (
        SELECT referral_id, MIN(held_on) AS treated_on FROM {t["session"]}
        WHERE kind IN ({_kinds(TREATED_KINDS)}) GROUP BY referral_id
    ),
    ids AS (SELECT referral_id FROM base UNION SELECT referral_id FROM treated)
    SELECT ids.referral_id, r.referrer_id, r.source_type, tr.treated_on,
           b.b_total AS baseline_total, b.b_taken_on AS baseline_on, COALESCE(b.b_kind, '') AS baseline_kind,
           b.c_total AS current_total, b.c_on AS current_on, COALESCE(b.n, 0) AS scores,
           {outcomes.response_sql("b.b_total", "b.c_total")} AS response,
           {outcomes.remission_sql("b.c_total")} AS remission
    FROM ids
    JOIN {t["referral"]} r ON r.id = ids.referral_id
    LEFT JOIN base b ON b.referral_id = ids.referral_id
    LEFT JOIN treated tr ON tr.referral_id = ids.referral_id
    """  # noqa: S608 - quoted table names and fixed words from care.outcomes, no input


def reconcile_outcomes(*, using: str = DEFAULT_DB_ALIAS) -> ReconcileResult:
    """Recompute every stored outcome in sets and write only the differences: rows missing are inserted, rows
    that differ updated, rows of referrals with neither a PHQ-9 nor a treatment session deleted. One
    transaction; on PostgreSQL the table is locked against writers (not readers) meanwhile, so a score recorded
    during the reconcile waits for it and then stores its own outcome over the reconciled one."""
    started = time.perf_counter()
    connection = connections[using]
    t = _tables(connection)
    postgres = connection.vendor == "postgresql"
    differs = " OR ".join(f"o.{c} IS DISTINCT FROM f.{c}" if postgres else f"o.{c} IS NOT f.{c}" for c in FIELDS)
    columns = ", ".join(FIELDS)
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if postgres:
            cursor.execute(f"LOCK TABLE {t['outcome']} IN EXCLUSIVE MODE")
        cursor.execute(f"DROP TABLE IF EXISTS {t['fresh']}")
        cursor.execute(f"CREATE TEMPORARY TABLE {t['fresh']} AS {fresh_sql(connection)}")
        if postgres:
            cursor.execute(f"ANALYZE {t['fresh']}")
        cursor.execute(
            f"DELETE FROM {t['outcome']} WHERE NOT EXISTS "  # noqa: S608
            f"(SELECT 1 FROM {t['fresh']} f WHERE f.referral_id = {t['outcome']}.referral_id)"
        )
        deleted = cursor.rowcount
        assignments = ", ".join(f"{c} = f.{c}" for c in FIELDS)
        cursor.execute(
            f"UPDATE {t['outcome']} AS o SET {assignments} FROM {t['fresh']} f "  # noqa: S608
            f"WHERE f.referral_id = o.referral_id AND ({differs})"
        )
        updated = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {t['outcome']} (referral_id, {columns}) SELECT f.referral_id, {columns} FROM {t['fresh']} f "  # noqa: S608
            f"WHERE NOT EXISTS (SELECT 1 FROM {t['outcome']} o WHERE o.referral_id = f.referral_id)"
        )
        inserted = cursor.rowcount
        cursor.execute(f"SELECT COUNT(*) FROM {t['fresh']}")  # noqa: S608
        rows = cursor.fetchone()[0]
        cursor.execute(f"DROP TABLE {t['fresh']}")
        counts_rebuild(cursor, t, postgres)
    return ReconcileResult(rows, inserted, updated, deleted, round(time.perf_counter() - started, 3))


def counts_rebuild(cursor, t: dict, postgres: bool) -> None:
    """Replace OutcomeCount with one grouped query over the stored outcomes (in reconcile's transaction; on
    PostgreSQL both tables are locked against writers, in the order outcome_refresh takes them)."""
    if postgres:
        cursor.execute(f"LOCK TABLE {t['count']} IN EXCLUSIVE MODE")
    cursor.execute(f"DELETE FROM {t['count']}")  # noqa: S608
    grouped = ReferralOutcome.objects.filter(treated_on__isnull=False).order_by().values("referrer_id", "source_type")
    sql, params = grouped.annotate(**COUNTS).query.sql_with_params()
    key = "COALESCE(CAST(g.referrer_id AS TEXT), '') || ':' || g.source_type"
    names = ", ".join(COUNTS)
    cursor.execute(
        f'INSERT INTO {t["count"]} ("key", referrer_id, source_type, {names}) '  # noqa: S608
        f"SELECT {key}, g.referrer_id, g.source_type, {names} FROM ({sql}) g",
        params,
    )
