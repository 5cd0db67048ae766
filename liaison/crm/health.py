"""Relationship health: the daily refresh of every referrer, and the same for one referrer on each referral.

The whole network is done in chunks of referrers by id range; each chunk costs a fixed handful of
set-based aggregate queries (GROUP BY referrer), never a query per referrer, and memory stays bounded
by the chunk size. `assess()` turns one referrer's figures into a score, a flag and reasons in words;
it is a pure function so that the rules can be tested on hand-built histories.
"""

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Exists, Max, Min, OuterRef, Q
from django.utils import timezone

from liaison.comms.models import DueCommunication
from liaison.comms.queries import ACTIVE as LETTERS_TO_SEND
from liaison.crm import geo
from liaison.crm.choices import (
    CAUSE_TASK,
    OUTREACH_KINDS,
    REFERRING_STAGES,
    Cause,
    ConcernTag,
    Flag,
    InteractionKind,
    Outcome,
    Stage,
    TaskKind,
    TaskStatus,
)
from liaison.crm.models import Concern, Health, Interaction, Relationship, Task
from liaison.directory.models import Referrer
from liaison.referrals.choices import Status
from liaison.referrals.models import MedicationTrial, Referral

CHUNK = 2500
WINDOW = timedelta(days=90)
YEAR = timedelta(days=365)
PROMPT_WINDOW = timedelta(days=30)
MIN_INTERVAL_DAYS = 7.0
COOLING_INTERVALS = 2  # cooling once the usual interval has passed twice ...
DORMANT_INTERVALS = 4  # ... dormant after four times, and never sooner than
DORMANT_MIN_DAYS = 90
SINGLE_COOLING_DAYS = 90  # one referral only: no usual interval yet
SINGLE_DORMANT_DAYS = 180
OVERDUE_GRACE = timedelta(days=7)
PLAYBOOK_REPEAT = timedelta(days=30)

ACCEPTED = (Status.ACCEPTED, Status.ACUTE, Status.ACUTE_COMPLETE, Status.MAINTENANCE, Status.RETURNED)
TREATED = (Status.ACUTE, Status.ACUTE_COMPLETE, Status.MAINTENANCE, Status.RETURNED)
DISAPPOINTING = (Status.NOT_RECOMMENDED, Status.LOST_TO_FOLLOW_UP, Status.DECLINED_BY_PATIENT, Status.NO_SHOW)


@dataclass
class Figures:
    """One referrer's raw figures, as the aggregate queries return them."""

    total: int = 0
    last_90: int = 0
    prior_90: int = 0
    first_at: datetime | None = None
    last_at: datetime | None = None
    accepted: int = 0
    treated: int = 0
    returned: int = 0
    disappointing: int = 0
    recent: int = 0  # referrals in the last year (for complexity)
    trials: int = 0  # medication trials on those referrals
    unprompted: int = 0
    outreach: int = 0
    responded: int = 0
    proposed: int = 0
    accepted_meetings: int = 0
    reciprocal: int = 0
    enthusiasm: int | None = None
    overdue_tasks: int = 0
    overdue_letters: int = 0
    open_conflict: bool = False


@dataclass
class Verdict:
    score: int
    flag: str
    cause: str = ""
    reasons: list[str] = field(default_factory=list)
    usual_interval: float | None = None
    days_since: int | None = None


def usual_interval(f: Figures) -> float | None:
    """The referrer's own usual gap between referrals: the mean gap, first to last."""
    if f.total < 2 or f.first_at is None or f.last_at is None:
        return None
    span = (f.last_at - f.first_at).total_seconds() / 86400
    return max(span / (f.total - 1), MIN_INTERVAL_DAYS)


def flag_for(f: Figures, *, since: int | None, usual: float | None) -> str:
    if f.total == 0 or since is None:
        return Flag.NO_REFERRALS
    if usual is None:
        if since > SINGLE_DORMANT_DAYS:
            return Flag.DORMANT
        return Flag.COOLING if since > SINGLE_COOLING_DAYS else Flag.NEW
    if since > DORMANT_INTERVALS * usual and since >= DORMANT_MIN_DAYS:
        return Flag.DORMANT
    if since > COOLING_INTERVALS * usual:
        return Flag.COOLING
    if f.prior_90 >= 4 and f.last_90 * 2 <= f.prior_90:
        return Flag.COOLING
    return Flag.HEALTHY


def cause_for(f: Figures) -> str:
    """The likely cause of a cooling relationship, most specific first."""
    if f.open_conflict:
        return Cause.CONFLICT
    if f.overdue_letters or f.overdue_tasks:
        return Cause.COMMUNICATION
    if f.disappointing:
        return Cause.OUTCOME
    return Cause.UNKNOWN


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def _pct(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%"


def _interval_points(f: Figures, flag: str, since: int | None, usual: float | None) -> tuple[int, str]:
    if flag == Flag.NO_REFERRALS:
        return 0, "No referrals yet."
    if usual is None:
        word = {Flag.NEW: 5, Flag.COOLING: -15, Flag.DORMANT: -30}[flag]
        return word, f"One referral so far, {_days(since)} ago."
    text = f"Last referral {_days(since)} ago; they usually refer every {round(usual)} days."
    if flag == Flag.DORMANT:
        return -35, text + " That is more than four of their usual gaps."
    if since > COOLING_INTERVALS * usual:
        return -20, text + " Their usual gap has passed twice."
    return (15 if since <= usual else 5), text


def _trend_points(f: Figures) -> tuple[int, str | None]:
    if f.last_90 == f.prior_90:
        return 0, (f"Steady: {f.last_90} referrals in each of the last two 90-day periods." if f.last_90 else None)
    direction = "up" if f.last_90 > f.prior_90 else "down"
    points = 10 if direction == "up" else -10
    return points, f"Referrals {direction}: {f.last_90} in the last 90 days against {f.prior_90} in the 90 before."


def _engagement_points(f: Figures) -> list[tuple[int, str]]:
    out = []
    if f.outreach >= 3:
        rate = f.responded / f.outreach
        points = 5 if rate >= 0.5 else (-5 if rate < 0.2 else 0)
        out.append((points, f"Answered {_pct(f.responded, f.outreach)} of {f.outreach} outreach contacts."))
    if f.proposed:
        rate = f.accepted_meetings / f.proposed
        points = 5 if rate >= 0.5 else -5
        out.append((points, f"Accepted {f.accepted_meetings} of {f.proposed} meetings we proposed."))
    if f.enthusiasm is not None:
        out.append(
            ({1: -10, 2: -5, 3: 0, 4: 5, 5: 10}[f.enthusiasm], f"You rated their enthusiasm {f.enthusiasm} of 5.")
        )
    if f.unprompted:
        out.append((min(10, 2 * f.unprompted), f"{f.unprompted} referrals this year came without outreach first."))
    if f.reciprocal:
        out.append((5, f"We have referred {f.reciprocal} patients to them."))
    if f.recent and f.trials / f.recent >= 3:
        out.append((5, f"They send complex cases: {f.trials / f.recent:.1f} prior medication trials on average."))
    return out


def assess(f: Figures, *, now: datetime) -> Verdict:
    """Score (0-100), flag and reasons in words for one referrer's figures."""
    since = (now - f.last_at).days if f.last_at else None
    usual = usual_interval(f)
    flag = flag_for(f, since=since, usual=usual)
    parts = [_interval_points(f, flag, since, usual), _trend_points(f), *_engagement_points(f)]
    score = 50 + sum(points for points, _ in parts)
    reasons = [text for _, text in parts if text]
    cause = ""
    if flag in (Flag.COOLING, Flag.DORMANT):
        cause = cause_for(f)
        reasons.append(f"Likely cause: {Cause(cause).label.lower()}.")
    return Verdict(max(0, min(100, score)), flag, cause, reasons, usual, since)


# ---------------------------------------------------------------- the aggregate queries


def _referral_figures(lo: int, hi: int, now: datetime) -> dict[int, dict]:
    rows = (
        Referral.objects.filter(referrer_id__gte=lo, referrer_id__lte=hi, received_at__lte=now)
        .values("referrer_id")
        .annotate(
            total=Count("id"),
            last_90=Count("id", filter=Q(received_at__gt=now - WINDOW)),
            prior_90=Count("id", filter=Q(received_at__gt=now - 2 * WINDOW, received_at__lte=now - WINDOW)),
            first_at=Min("received_at"),
            last_at=Max("received_at"),
            accepted=Count("id", filter=Q(status__in=ACCEPTED)),
            treated=Count("id", filter=Q(status__in=TREATED)),
            returned=Count("id", filter=Q(status=Status.RETURNED)),
            disappointing=Count("id", filter=Q(status__in=DISAPPOINTING, closed_at__gt=now - 2 * WINDOW)),
            recent=Count("id", filter=Q(received_at__gt=now - YEAR)),
        )
        .order_by()
    )
    return {row.pop("referrer_id"): row for row in rows}


def _trial_figures(lo: int, hi: int, now: datetime) -> dict[int, int]:
    rows = (
        MedicationTrial.objects.filter(
            referral__referrer_id__gte=lo, referral__referrer_id__lte=hi, referral__received_at__gt=now - YEAR
        )
        .values("referral__referrer_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["referral__referrer_id"]: row["n"] for row in rows}


def _unprompted_figures(lo: int, hi: int, now: datetime) -> dict[int, int]:
    """Referrals of the last year with no outreach to that referrer in the 30 days before."""
    prompted = Interaction.objects.filter(
        relationship__referrer_id=OuterRef("referrer_id"),
        kind__in=OUTREACH_KINDS,
        at__lte=OuterRef("received_at"),
        at__gte=OuterRef("received_at") - PROMPT_WINDOW,
    )
    rows = (
        Referral.objects.filter(
            referrer_id__gte=lo, referrer_id__lte=hi, received_at__gt=now - YEAR, received_at__lte=now
        )
        .filter(~Exists(prompted))
        .values("referrer_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["referrer_id"]: row["n"] for row in rows}


def _interaction_figures(lo: int, hi: int, now: datetime) -> dict[int, dict]:
    rows = (
        Interaction.objects.filter(relationship__referrer_id__gte=lo, relationship__referrer_id__lte=hi, at__lte=now)
        .values("relationship__referrer_id")
        .annotate(
            outreach=Count("id", filter=Q(kind__in=OUTREACH_KINDS) & ~Q(outcome=Outcome.NONE)),
            responded=Count(
                "id",
                filter=Q(
                    kind__in=OUTREACH_KINDS,
                    outcome__in=(Outcome.RESPONDED, Outcome.MEETING_ACCEPTED, Outcome.MEETING_DECLINED),
                ),
            ),
            proposed=Count("id", filter=Q(outcome__in=(Outcome.MEETING_ACCEPTED, Outcome.MEETING_DECLINED))),
            accepted_meetings=Count("id", filter=Q(outcome=Outcome.MEETING_ACCEPTED)),
            reciprocal=Count("id", filter=Q(kind=InteractionKind.RECIPROCAL)),
        )
        .order_by()
    )
    return {row.pop("relationship__referrer_id"): row for row in rows}


def _overdue_task_figures(lo: int, hi: int, now: datetime) -> dict[int, int]:
    rows = (
        Task.objects.filter(
            relationship__referrer_id__gte=lo,
            relationship__referrer_id__lte=hi,
            status=TaskStatus.OPEN,
            due_at__lt=now - OVERDUE_GRACE,
        )
        .exclude(kind__in=CAUSE_TASK.values())
        .values("relationship__referrer_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["relationship__referrer_id"]: row["n"] for row in rows}


def overdue_letters_by_referrer(lo: int, hi: int, now: datetime) -> dict[int, int]:
    """Referrer id -> communications we owe them that are past due and not yet sent (owed, drafted, or signed
    and still in the outbox), in one GROUP BY. A late letter makes "communication lapse" the likely cause
    of a cooling relationship. The status list is the comms app's "still to send" (its partial index)."""
    rows = (
        DueCommunication.objects.filter(
            referral__referrer_id__gte=lo, referral__referrer_id__lte=hi, status__in=LETTERS_TO_SEND, due_at__lt=now
        )
        .values("referral__referrer_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["referral__referrer_id"]: row["n"] for row in rows}


def _conflict_figures(lo: int, hi: int) -> set[int]:
    return set(
        Concern.objects.filter(
            relationship__referrer_id__gte=lo,
            relationship__referrer_id__lte=hi,
            tag=ConcernTag.CONFLICT,
            resolved=False,
        ).values_list("relationship__referrer_id", flat=True)
    )


def figures_for_range(lo: int, hi: int, now: datetime, relationships: dict[int, dict]) -> dict[int, Figures]:
    """Every referrer's Figures in [lo, hi], from seven aggregate queries."""
    referrals = _referral_figures(lo, hi, now)
    trials = _trial_figures(lo, hi, now)
    unprompted = _unprompted_figures(lo, hi, now)
    interactions = _interaction_figures(lo, hi, now)
    overdue = _overdue_task_figures(lo, hi, now)
    letters = overdue_letters_by_referrer(lo, hi, now)
    conflicts = _conflict_figures(lo, hi)
    out = {}
    for referrer_id, rel in relationships.items():
        f = Figures(**referrals.get(referrer_id, {}), **interactions.get(referrer_id, {}))
        f.trials = trials.get(referrer_id, 0)
        f.unprompted = unprompted.get(referrer_id, 0)
        f.overdue_tasks = overdue.get(referrer_id, 0)
        f.overdue_letters = letters.get(referrer_id, 0)
        f.open_conflict = referrer_id in conflicts
        f.enthusiasm = rel["enthusiasm"]
        out[referrer_id] = f
    return out


# ---------------------------------------------------------------- writing the results

HEALTH_FIELDS = [
    "computed_at", "total_referrals", "last_90", "prior_90", "first_referral_at", "last_referral_at",
    "usual_interval_days", "days_since_last", "outreach_count", "response_rate", "meeting_acceptance_rate",
    "unprompted", "reciprocal", "complexity", "accepted", "treated", "returned", "disappointing",
    "score", "flag", "cause", "reasons",
]  # fmt: skip


def health_row(referrer_id: int, f: Figures, v: Verdict, now: datetime) -> Health:
    return Health(
        referrer_id=referrer_id,
        computed_at=now,
        total_referrals=f.total,
        last_90=f.last_90,
        prior_90=f.prior_90,
        first_referral_at=f.first_at,
        last_referral_at=f.last_at,
        usual_interval_days=v.usual_interval,
        days_since_last=v.days_since,
        outreach_count=f.outreach,
        response_rate=f.responded / f.outreach if f.outreach else None,
        meeting_acceptance_rate=f.accepted_meetings / f.proposed if f.proposed else None,
        unprompted=f.unprompted,
        reciprocal=f.reciprocal,
        complexity=f.trials / f.recent if f.recent else None,
        accepted=f.accepted,
        treated=f.treated,
        returned=f.returned,
        disappointing=f.disappointing,
        score=v.score,
        flag=v.flag,
        cause=v.cause,
        reasons=v.reasons,
    )


def _ensure_relationships(lo: int, hi: int, now: datetime) -> dict[int, dict]:
    """Every referrer in the range gets a relationship record; returns them by referrer id."""
    missing = Referrer.objects.filter(pk__gte=lo, pk__lte=hi, relationship__isnull=True).values_list("pk", flat=True)
    Relationship.objects.bulk_create(
        [Relationship(referrer_id=pk, stage=Stage.TARGET, stage_changed_at=now) for pk in missing],
        ignore_conflicts=True,
    )
    rows = Relationship.objects.filter(referrer_id__gte=lo, referrer_id__lte=hi).values(
        "id", "referrer_id", "stage", "enthusiasm", "owner_id", "first_referral_at"
    )
    return {row["referrer_id"]: row for row in rows}


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


def _move_stages(rels: dict[int, dict], verdicts: dict[int, tuple[Figures, Verdict]], now: datetime) -> list[int]:
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


def _playbook_tasks(rels: dict[int, dict], verdicts: dict, now: datetime) -> int:
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


def _cadence_tasks(rels: dict[int, dict], now: datetime) -> int:
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


# ---------------------------------------------------------------- the entry points


@dataclass
class RefreshResult:
    referrers: int = 0
    stage_moves: int = 0
    tasks: int = 0


def refresh_range(lo: int, hi: int, now: datetime, result: RefreshResult) -> None:
    with transaction.atomic():
        rels = _ensure_relationships(lo, hi, now)
        figures = figures_for_range(lo, hi, now, rels)
        verdicts = {rid: (f, assess(f, now=now)) for rid, f in figures.items()}
        rows = [health_row(rid, f, v, now) for rid, (f, v) in verdicts.items()]
        Health.objects.bulk_create(
            rows, batch_size=1000, update_conflicts=True, unique_fields=["referrer"], update_fields=HEALTH_FIELDS
        )
        result.referrers += len(rows)
        result.stage_moves += len(_move_stages(rels, verdicts, now))
        result.tasks += _playbook_tasks(rels, verdicts, now) + _cadence_tasks(rels, now)


def health_refresh(*, now: datetime | None = None, chunk: int = CHUNK) -> RefreshResult:
    """The nightly job: every referrer's health, stage moves and cadence tasks, in id-range chunks.
    Plain function: `liaison refresh_relationships` and the scheduler both call it."""
    now = now or timezone.now()
    geo.distances_fill_missing()
    geo.referrer_distances_sync()
    result = RefreshResult()
    ids = Referrer.objects.order_by("pk").values_list("pk", flat=True)
    last = 0
    while True:
        bounds = list(ids.filter(pk__gt=last)[:chunk])
        if not bounds:
            return result
        refresh_range(bounds[0], bounds[-1], now, result)
        last = bounds[-1]


def health_refresh_one(*, referrer_id: int, now: datetime | None = None) -> RefreshResult:
    """The same refresh for one referrer (on every referral)."""
    result = RefreshResult()
    refresh_range(referrer_id, referrer_id, now or timezone.now(), result)
    return result
