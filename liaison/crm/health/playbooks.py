"""Relationship health, what follows from it: stage moves, the playbook task for a cooling relationship's likely
cause, and the meeting cadence."""

import math
from datetime import datetime, timedelta

from django.db.models import Q

from liaison.crm.choices import CAUSE_TASK, REFERRING_STAGES, Flag, InteractionKind, Stage, TaskKind, TaskStatus
from liaison.crm.health.scoring import PLAYBOOK_REPEAT, Figures, Verdict
from liaison.crm.models import Interaction, Relationship, Task


def next_stage(stage: str, flag: str, total: int) -> str:
    """Where the daily refresh moves a relationship, given its health (unchanged if nowhere)."""
    if total and stage not in REFERRING_STAGES:
        stage = Stage.FIRST_REFERRAL
    if stage not in REFERRING_STAGES:
        return stage
    if flag == Flag.DORMANT:
        return Stage.DORMANT
    if flag == Flag.COOLING:
        return stage if stage == Stage.DORMANT else Stage.COOLING
    if stage in (Stage.COOLING, Stage.DORMANT) or (stage == Stage.FIRST_REFERRAL and total >= 2):
        return Stage.ACTIVE
    return stage


def move_stages(rels: dict[int, dict], verdicts: dict[int, tuple[Figures, Verdict]], now: datetime) -> list[int]:
    """Apply next_stage in one UPDATE per target stage; each move is written to the history."""
    moves: dict[str, list[int]] = {}
    history = []
    for referrer_id, rel in rels.items():
        f, v = verdicts[referrer_id]
        to = next_stage(rel["stage"], v.flag, f.total)
        if to != rel["stage"]:
            moves.setdefault(to, []).append(rel["id"])
            text = f"{Stage(rel['stage']).label} → {Stage(to).label} (daily health refresh)."
            history.append(Interaction(relationship_id=rel["id"], kind=InteractionKind.STAGE, at=now, summary=text))
            rel["stage"] = to
    for to, ids in moves.items():
        Relationship.objects.filter(pk__in=ids).update(stage=to, stage_changed_at=now)
    Interaction.objects.bulk_create(history, batch_size=1000)
    return [rel_id for ids in moves.values() for rel_id in ids]


def playbook_tasks(rels: dict[int, dict], verdicts: dict, now: datetime) -> int:
    """Suggest the playbook task for each cooling or dormant relationship's likely cause (once a month at most)."""
    wanted = {
        rel["id"]: (rel, CAUSE_TASK[verdicts[rid][1].cause]) for rid, rel in rels.items() if verdicts[rid][1].cause
    }
    if not wanted:
        return 0
    recent = set(
        Task.objects.filter(relationship_id__in=wanted, kind__in=CAUSE_TASK.values())
        .filter(Q(status=TaskStatus.OPEN) | Q(created_at__gt=now - PLAYBOOK_REPEAT))
        .values_list("relationship_id", "kind")
    )
    tasks = [
        Task(
            relationship_id=rel_id,
            kind=kind,
            title=TaskKind(kind).label,
            detail=PLAYBOOK_TEXT[kind],
            owner_id=rel["owner_id"],
            due_at=now + timedelta(days=3),
            created_at=now,
        )
        for rel_id, (rel, kind) in wanted.items()
        if (rel_id, kind) not in recent
    ]
    Task.objects.bulk_create(tasks, batch_size=1000, ignore_conflicts=True)
    return len(tasks)


PLAYBOOK_TEXT = {
    TaskKind.PLAYBOOK_COMMUNICATION: (
        "Something we owed them is late. Find out what (a letter, a call back, a report), get it sent, "
        "then call to apologise and ask how the patients they sent are doing from their side."
    ),
    TaskKind.PLAYBOOK_OUTCOME: (
        "A recent referral ended without treatment. Offer a short call with the evaluating clinician to go "
        "through the decision and what would make the next referral a better fit."
    ),
    TaskKind.PLAYBOOK_CONFLICT: (
        "They raised a disagreement with us that is still open. Ask the medical director to call them, "
        "listen first, and agree what changes."
    ),
    TaskKind.PLAYBOOK_CHECK_IN: (
        "Referrals have slowed and there is no obvious reason. Drop by or call: ask what has changed in "
        "their practice and whether anything about working with us gets in the way."
    ),
}


def cadence_tasks(rels: dict[int, dict], now: datetime) -> int:
    """Quarterly meetings for active referrers and the annual review, one open task of each at a time."""
    active = {rel["id"]: rel for rel in rels.values() if rel["stage"] in (Stage.ACTIVE, Stage.CHAMPION)}
    if not active:
        return 0
    kinds = (TaskKind.QUARTERLY_MEETING, TaskKind.ANNUAL_REVIEW)
    have = set(
        Task.objects.filter(relationship_id__in=active, kind__in=kinds, status=TaskStatus.OPEN).values_list(
            "relationship_id", "kind"
        )
    )
    tasks = []
    for rel_id, rel in active.items():
        if (rel_id, TaskKind.QUARTERLY_MEETING) not in have:
            tasks.append(_cadence(rel, TaskKind.QUARTERLY_MEETING, now + timedelta(days=90), now))
        if (rel_id, TaskKind.ANNUAL_REVIEW) not in have and rel["first_referral_at"]:
            tasks.append(_cadence(rel, TaskKind.ANNUAL_REVIEW, next_anniversary(rel["first_referral_at"], now), now))
    Task.objects.bulk_create(tasks, batch_size=1000, ignore_conflicts=True)
    return len(tasks)


def _cadence(rel: dict, kind: str, due: datetime, now: datetime) -> Task:
    return Task(
        relationship_id=rel["id"], kind=kind, title=TaskKind(kind).label, owner_id=rel["owner_id"], due_at=due,
        created_at=now,
    )  # fmt: skip


def next_anniversary(start: datetime, now: datetime) -> datetime:
    """The first anniversary of `start` (in 365-day years) that is not yet past."""
    years = max(1, math.ceil((now - start).days / 365))
    return start + timedelta(days=365 * years)
