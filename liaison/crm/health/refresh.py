"""Relationship health, the entry points: the daily refresh of every referrer in id-range chunks (memory bounded by
the chunk size), and the same for one referrer on each referral."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from liaison.crm import geo
from liaison.crm.choices import Stage
from liaison.crm.health.figures import figures_for_range
from liaison.crm.health.playbooks import cadence_tasks, move_stages, playbook_tasks
from liaison.crm.health.scoring import Figures, Verdict, assess
from liaison.crm.models import Health, Relationship
from liaison.directory.models import Referrer

CHUNK = 2500  # referrers per transaction in the daily refresh

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


def _ensure_relationships(lo: int, hi: int, now: datetime, ids=None) -> dict[int, dict]:
    """Every referrer in the range (or in `ids`) gets a relationship record; returns them by referrer id."""
    chosen = {"pk__in": ids} if ids is not None else {"pk__gte": lo, "pk__lte": hi}
    missing = Referrer.objects.filter(**chosen, relationship__isnull=True).values_list("pk", flat=True)
    Relationship.objects.bulk_create(
        [Relationship(referrer_id=pk, stage=Stage.TARGET, stage_changed_at=now) for pk in missing],
        ignore_conflicts=True,
    )
    chosen = {"referrer_id__in": ids} if ids is not None else {"referrer_id__gte": lo, "referrer_id__lte": hi}
    rows = Relationship.objects.filter(**chosen).values(
        "id", "referrer_id", "stage", "enthusiasm", "owner_id", "first_referral_at"
    )
    return {row["referrer_id"]: row for row in rows}


@dataclass
class RefreshResult:
    referrers: int = 0
    stage_moves: int = 0
    tasks: int = 0


def refresh_range(lo: int, hi: int, now: datetime, result: RefreshResult, ids=None) -> None:
    """Referrers lo..hi, or only those in `ids`: the same fixed handful of set-based queries either way."""
    with transaction.atomic():
        rels = _ensure_relationships(lo, hi, now, ids)
        figures = figures_for_range(lo, hi, now, rels, ids)
        verdicts = {rid: (f, assess(f, now=now)) for rid, f in figures.items()}
        rows = [health_row(rid, f, v, now) for rid, (f, v) in verdicts.items()]
        Health.objects.bulk_create(
            rows, batch_size=1000, update_conflicts=True, unique_fields=["referrer"], update_fields=HEALTH_FIELDS
        )
        result.referrers += len(rows)
        result.stage_moves += len(move_stages(rels, verdicts, now))
        result.tasks += playbook_tasks(rels, verdicts, now) + cadence_tasks(rels, now)


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


def health_refresh_referrers(*, referrer_ids, now: datetime | None = None) -> RefreshResult:
    """The same refresh for the referrers of a batch of new referrals, all at once: the worker's batch costs a
    fixed handful of queries, not a handful per referrer."""
    result = RefreshResult()
    ids = sorted(set(referrer_ids))
    if ids:
        refresh_range(ids[0], ids[-1], now or timezone.now(), result, ids=ids)
    return result
