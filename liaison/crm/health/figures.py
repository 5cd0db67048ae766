"""Relationship health, the figures: a fixed handful of set-based aggregate queries (GROUP BY referrer) per
range of referrer ids, never a query per referrer."""

from datetime import datetime

from django.db.models import Count, Exists, Max, Min, OuterRef, Q

from liaison.comms.models import DueCommunication
from liaison.comms.predicates import ACTIVE_DUE, Inlined
from liaison.crm.choices import CAUSE_TASK, OUTREACH_KINDS, ConcernTag, InteractionKind, Outcome, TaskStatus
from liaison.crm.health.scoring import (
    ACCEPTED,
    DISAPPOINTING,
    OVERDUE_GRACE,
    PROMPT_WINDOW,
    TREATED,
    WINDOW,
    YEAR,
    Figures,
)
from liaison.crm.models import Concern, Interaction, Task
from liaison.referrals.choices import Status
from liaison.referrals.models import MedicationTrial, Referral


def _scope(field: str, lo: int, hi: int, ids) -> dict:
    """The referrers a query covers: a range of ids (the nightly chunks) or, when given, a set of ids (the
    referrers of a batch of new referrals)."""
    return {f"{field}__in": ids} if ids is not None else {f"{field}__gte": lo, f"{field}__lte": hi}


def _referral_figures(lo: int, hi: int, now: datetime, ids=None) -> dict[int, dict]:
    rows = (
        Referral.objects.filter(**_scope("referrer_id", lo, hi, ids), received_at__lte=now)
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


def _trial_figures(lo: int, hi: int, now: datetime, ids=None) -> dict[int, int]:
    rows = (
        MedicationTrial.objects.filter(
            **_scope("referral__referrer_id", lo, hi, ids), referral__received_at__gt=now - YEAR
        )
        .values("referral__referrer_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["referral__referrer_id"]: row["n"] for row in rows}


def _unprompted_figures(lo: int, hi: int, now: datetime, ids=None) -> dict[int, int]:
    """Referrals of the last year with no outreach to that referrer in the 30 days before."""
    prompted = Interaction.objects.filter(
        relationship__referrer_id=OuterRef("referrer_id"),
        kind__in=OUTREACH_KINDS,
        at__lte=OuterRef("received_at"),
        at__gte=OuterRef("received_at") - PROMPT_WINDOW,
    )
    rows = (
        Referral.objects.filter(**_scope("referrer_id", lo, hi, ids), received_at__gt=now - YEAR, received_at__lte=now)
        .filter(~Exists(prompted))
        .values("referrer_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["referrer_id"]: row["n"] for row in rows}


def _interaction_figures(lo: int, hi: int, now: datetime, ids=None) -> dict[int, dict]:
    rows = (
        Interaction.objects.filter(**_scope("relationship__referrer_id", lo, hi, ids), at__lte=now)
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


def _overdue_task_figures(lo: int, hi: int, now: datetime, ids=None) -> dict[int, int]:
    rows = (
        Task.objects.filter(
            **_scope("relationship__referrer_id", lo, hi, ids),
            status=TaskStatus.OPEN,
            due_at__lt=now - OVERDUE_GRACE,
        )
        .exclude(kind__in=CAUSE_TASK.values())
        .values("relationship__referrer_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["relationship__referrer_id"]: row["n"] for row in rows}


def overdue_letters_by_referrer(lo: int, hi: int, now: datetime, ids=None) -> dict[int, int]:
    """Referrer id -> communications we owe them that are past due and not yet sent (owed, drafted, or signed
    and still in the outbox), in one GROUP BY. A late letter makes "communication lapse" the likely cause
    of a cooling relationship. The status list is the comms app's "still to send", written in constants
    (Inlined: its partial index's predicate, so a generic plan can use that index too; decisions 0026, 0033)."""
    rows = (
        DueCommunication.objects.filter(
            Inlined(ACTIVE_DUE), **_scope("referral__referrer_id", lo, hi, ids), due_at__lt=now
        )
        .values("referral__referrer_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["referral__referrer_id"]: row["n"] for row in rows}


def _conflict_figures(lo: int, hi: int, ids=None) -> set[int]:
    return set(
        Concern.objects.filter(
            **_scope("relationship__referrer_id", lo, hi, ids),
            tag=ConcernTag.CONFLICT,
            resolved=False,
        ).values_list("relationship__referrer_id", flat=True)
    )


def figures_for_range(lo: int, hi: int, now: datetime, relationships: dict[int, dict], ids=None) -> dict[int, Figures]:
    """Every referrer's Figures in [lo, hi] (only those in `ids` when given), from seven aggregate queries."""
    referrals = _referral_figures(lo, hi, now, ids)
    trials = _trial_figures(lo, hi, now, ids)
    unprompted = _unprompted_figures(lo, hi, now, ids)
    interactions = _interaction_figures(lo, hi, now, ids)
    overdue = _overdue_task_figures(lo, hi, now, ids)
    letters = overdue_letters_by_referrer(lo, hi, now, ids)
    conflicts = _conflict_figures(lo, hi, ids)
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
