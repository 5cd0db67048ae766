"""The large network's relationship records (liaison.demo.bulk), written after the referrals: one relationship
per referrer, owned by the liaison, the outreach logged on it and the tasks done or still to do, as crm's
services would have left them:

- a referrer who has referred is at "active" from their first referral (crm.handlers moves a relationship
  to "first referral" then; the nightly refresh, run after this, moves it on to active, cooling or dormant);
  the first-referral protocol's three tasks (crm.choices.FIRST_REFERRAL_KINDS), made at that referral and done;
- one who has not is a target, contacted or met;
- outreach: about three interactions a year for a referring relationship, one or two in all for the others
  (calls, emails, visits, lunch-and-learns, newsletters), two in five unanswered;
- a monthly touch or other task about every six months, done, and for one relationship in four one open.

The health rows come from the nightly refresh itself (crm.health.health_refresh), run by liaison.demo.rebuilds.
"""

import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from django.core.management.color import no_style
from django.db import connection

from liaison.crm.choices import (
    FIRST_REFERRAL_KINDS,
    InteractionKind,
    Introduction,
    Outcome,
    Stage,
    TaskKind,
    TaskStatus,
)
from liaison.crm.models import Interaction, Relationship, Task
from liaison.demo.paths import SPAN
from liaison.demo.tables import Table
from liaison.directory.models import Referrer

K = InteractionKind
OUTREACH = ((K.CALL, 30), (K.EMAIL, 35), (K.VISIT, 12), (K.LUNCH_AND_LEARN, 8), (K.NEWSLETTER, 10), (K.GRAND_ROUNDS, 5))
OUTCOMES = (
    (Outcome.NO_RESPONSE, 40),
    (Outcome.RESPONDED, 45),
    (Outcome.MEETING_ACCEPTED, 10),
    (Outcome.MEETING_DECLINED, 5),
)
SUMMARIES = {
    InteractionKind.CALL: "Spoke with the office manager about how referrals reach us.",
    InteractionKind.EMAIL: "Sent the one-page summary of who benefits from ketamine and how to refer.",
    InteractionKind.VISIT: "Dropped in with referral pads and the patient leaflet.",
    InteractionKind.LUNCH_AND_LEARN: "Lunch-and-learn for the practice on treatment-resistant depression.",
    InteractionKind.NEWSLETTER: "Quarterly outcomes newsletter.",
    InteractionKind.GRAND_ROUNDS: "Grand rounds talk on ketamine for treatment-resistant depression.",
}
FIRST_TASKS = {  # kind: (title, due after the referral)
    TaskKind.FIRST_REFERRAL_THANKS: ("Thank them for their first referral", timedelta(days=2)),
    TaskKind.FIRST_REFERRAL_REPORT: ("Ask for an especially thorough first report", timedelta(days=7)),
    TaskKind.FIRST_REFERRAL_FOLLOW_UP: ("Follow up in person after the evaluation", timedelta(days=30)),
}
CRM_LOADED = (Relationship, Interaction, Task)


def build(rng: random.Random, *, users: dict, now: datetime, first: dict, log: Callable[[str], None]) -> dict:
    """Relationships, interactions and tasks for every referrer; `first` is each referrer's first referral
    (id, received at). Returns the counts of rows written."""
    started = time.monotonic()
    tables = {model: Table(model) for model in CRM_LOADED}
    rows: dict = {model: [] for model in CRM_LOADED}
    liaison = users["liaison"]
    kinds, kind_weights = zip(*OUTREACH, strict=True)
    outcomes, outcome_weights = zip(*OUTCOMES, strict=True)
    for referrer_id in Referrer.objects.order_by("id").values_list("id", flat=True):
        relationship_id = tables[Relationship].take()
        start = now - SPAN - timedelta(days=rng.randint(0, 120))
        referral = first.get(referrer_id)
        stage = Stage.ACTIVE if referral else rng.choices((Stage.TARGET, Stage.CONTACTED, Stage.MET), (5, 3, 2))[0]
        rows[Relationship].append(
            tables[Relationship].row(
                {
                    "id": relationship_id,
                    "referrer_id": referrer_id,
                    "stage": stage,
                    "stage_changed_at": referral[1] if referral else start,
                    "owner_id": liaison.pk,
                    "introduction": rng.choice(Introduction.values),
                    "enthusiasm": rng.randint(1, 5) if rng.random() < 0.6 else None,
                    "is_opinion_leader": rng.random() < 0.03,
                    "first_referral_at": referral[1] if referral else None,
                    "created_at": start,
                }
            )
        )
        yearly = 3 if referral else 1
        for _ in range(max(1 if stage != Stage.TARGET else 0, round(rng.gauss(yearly * 1.5, 1)))):
            kind = rng.choices(kinds, kind_weights)[0]
            at = now - timedelta(seconds=rng.uniform(0, (now - start).total_seconds()))
            rows[Interaction].append(
                tables[Interaction].row(
                    {
                        "id": tables[Interaction].take(),
                        "relationship_id": relationship_id,
                        "kind": kind,
                        "outcome": rng.choices(outcomes, outcome_weights)[0],
                        "at": at,
                        "summary": SUMMARIES[kind],
                        "by_id": liaison.pk,
                    }  # fmt: skip
                )
            )
        if referral:
            _first_tasks(rows[Task], tables[Task], relationship_id, referral, liaison, now)
        _touch_tasks(rng, rows[Task], tables[Task], relationship_id, start, liaison, now, referring=referral)
    for model, table in tables.items():
        table.write(rows[model])
    _reset_sequences()
    log(f"relationships: {len(rows[Relationship]):,} with {len(rows[Interaction]):,} interactions and "
        f"{len(rows[Task]):,} tasks ({time.monotonic() - started:.0f}s)")  # fmt: skip
    return {model._meta.label_lower: len(rows[model]) for model in CRM_LOADED}


def _first_tasks(out: list, table: Table, relationship_id: int, referral: tuple, liaison, now: datetime) -> None:
    referral_id, at = referral
    for kind in FIRST_REFERRAL_KINDS:
        title, after = FIRST_TASKS[kind]
        due = at + after
        done = due < now
        out.append(
            table.row(
                {
                    "id": table.take(),
                    "relationship_id": relationship_id,
                    "kind": kind,
                    "title": title,
                    "owner_id": liaison.pk,
                    "due_at": due,
                    "status": TaskStatus.DONE if done else TaskStatus.OPEN,
                    "referral_id": referral_id,
                    "created_at": at,
                    "done_at": due - timedelta(hours=20) if done else None,
                }  # fmt: skip
            )
        )


def _touch_tasks(rng, out: list, table: Table, relationship_id: int, start, liaison, now, *, referring) -> None:
    at = start + timedelta(days=rng.uniform(20, 180))
    while at < now - timedelta(days=14):
        kind = TaskKind.MONTHLY_TOUCH if referring else TaskKind.OTHER
        out.append(
            table.row(
                {
                    "id": table.take(),
                    "relationship_id": relationship_id,
                    "kind": kind,
                    "title": "Check in with the practice",
                    "owner_id": liaison.pk,
                    "due_at": at + timedelta(days=7),
                    "status": TaskStatus.DONE,
                    "created_at": at,
                    "done_at": at + timedelta(days=rng.uniform(0.5, 9)),
                }  # fmt: skip
            )
        )
        at += timedelta(days=rng.uniform(120, 240))
    if rng.random() < 0.25:
        out.append(
            table.row(
                {
                    "id": table.take(),
                    "relationship_id": relationship_id,
                    "kind": TaskKind.OTHER,
                    "title": "Send the practice our updated referral form",
                    "owner_id": liaison.pk,
                    "due_at": now + timedelta(days=rng.uniform(-10, 30)),
                    "status": TaskStatus.OPEN,
                    "created_at": now - timedelta(days=20),
                }  # fmt: skip
            )
        )


def _reset_sequences() -> None:
    """Rows were written with their ids: move each table's id sequence past them (PostgreSQL)."""
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(CRM_LOADED)):
            cursor.execute(sql)
