"""Reads of the liaison's workspace, scoped to who asks. Clinic staff see every relationship (one clinic per
deployment); people outside the clinic see none. Nothing here reads a patient's name or clinical detail:
referrals appear only as counts, dates and outcomes in aggregate."""

import string
from dataclasses import asdict, dataclass
from datetime import datetime

from django.core.cache import cache
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.http import Http404
from django.utils import timezone

from liaison.accounts.access import out_of_scope, roles_for
from liaison.crm import geo
from liaison.crm.choices import Flag
from liaison.crm.models import (
    Meeting,
    OutreachTemplate,
    ReferrerMonthCount,
    Relationship,
    SavedList,
    Task,
    ZipDistance,
)
from liaison.directory.models import Practice, Referrer

CRM_READERS = roles_for("crm.read")  # the role table: liaison/accounts/access.py
CRM_WRITERS = roles_for("crm.write")
TARGET_PAGE_SIZE = 50
EXPORT_LIMIT = 20000


def can_read(user) -> bool:
    return user.is_authenticated and user.is_active and user.role in CRM_READERS


def can_write(user) -> bool:
    return user.is_authenticated and user.is_active and user.role in CRM_WRITERS


def check_can_read(user) -> None:
    if not can_read(user):
        raise Http404("Not found.")


def relationship_scope(user) -> QuerySet[Relationship]:
    return Relationship.objects.all() if can_read(user) else Relationship.objects.none()


def referrer_get(*, user, pk: int) -> Referrer:
    check_can_read(user)
    try:
        # with its health and its relationship's record and owner: the relationship page reads each
        return Referrer.objects.select_related("practice", "taxonomy", "health", "relationship__owner").get(pk=pk)
    except Referrer.DoesNotExist:
        raise Http404("No such referrer.") from None


def practice_get(*, user, pk: int) -> Practice:
    check_can_read(user)
    try:
        return Practice.objects.select_related("relationship__owner").get(pk=pk)
    except Practice.DoesNotExist:
        raise Http404("No such practice.") from None


def meeting_get(*, user, pk: int) -> Meeting:
    check_can_read(user)
    try:
        return Meeting.objects.select_related("relationship__referrer", "relationship__practice", "organizer").get(
            pk=pk
        )
    except Meeting.DoesNotExist:
        raise Http404("No such meeting.") from None


def task_get(*, user, pk: int) -> Task:
    check_can_read(user)
    try:
        return Task.objects.select_related("relationship").get(pk=pk)
    except Task.DoesNotExist:
        raise Http404("No such task.") from None


def saved_lists(*, user) -> list[dict]:
    """The user's saved lists, as {"pk", "name"}, for the target list's bar."""
    return list(SavedList.objects.filter(owner=user).values("pk", "name")) if can_read(user) else []


def saved_list_get(*, user, pk: int) -> SavedList:
    try:
        return SavedList.objects.get(pk=pk, owner=user)
    except SavedList.DoesNotExist:
        raise out_of_scope(user=user, model=SavedList, pk=pk, message="No such list.") from None


# ---------------------------------------------------------------- target lists


@dataclass(frozen=True)
class TargetFilters:
    specialty: str = ""  # a taxonomy code
    source_type: str = ""
    practice_type: str = ""
    min_size: int | None = None
    max_size: int | None = None
    within_miles: float | None = None
    stage: str = ""
    history: str = ""  # "", "none", "referring", "at_risk"
    min_referrals: int | None = None
    owner: str = ""  # "", "me", "nobody"
    sort: str = "distance"
    after: int = 0

    def as_query(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v not in ("", None, 0) or k == "sort"}


SORTS = {
    "distance": (F("distance__miles").asc(nulls_last=True), "last_name", "id"),
    "referrals": (F("health__total_referrals").desc(nulls_last=True), "last_name", "id"),
    "health": (F("health__score").desc(nulls_last=True), "last_name", "id"),
    "size": (F("practice__clinician_count").desc(nulls_last=True), "last_name", "id"),
    "name": ("last_name", "first_name", "id"),
}


TARGET_COLUMNS = (
    "npi", "first_name", "last_name", "credential", "source_type", "taxonomy_id", "practice__name",
    "practice__practice_type", "practice__clinician_count", "practice__zip_code", "relationship__stage",
    "relationship__is_opinion_leader", "relationship__owner__username", "relationship__owner__first_name",
    "relationship__owner__last_name", "health__total_referrals", "health__last_referral_at", "health__score",
    "health__flag",
)  # fmt: skip


# One row of the page's list is a dict of plain values, no model objects (fifty rows of five joined models cost
# more to build than the query took to run); the specialty's name comes from taxonomy_names().
RANKED_VALUES = ("pk", "miles")
DETAIL_VALUES = (
    "pk", "first_name", "last_name", "credential", "source_type", "taxonomy_id", "practice_id", "practice__name",
    "practice__practice_type", "practice__clinician_count", "relationship__stage", "relationship__is_opinion_leader",
    "relationship__owner__username", "relationship__owner__first_name", "relationship__owner__last_name",
    "health__total_referrals", "health__last_referral_at", "health__score", "health__flag",
)  # fmt: skip


def targets_queryset(*, user, filters: TargetFilters) -> QuerySet[Referrer]:
    """Referrers matching the filters, with their distance, relationship and health, ranked (the export's rows)."""
    return (
        _targets_ranked(user=user, filters=filters)
        .select_related("practice", "relationship__owner", "health")
        .prefetch_related("taxonomy")  # joined, the taxonomy alone tripled the planning time (16 ms against 3 ms)
        .only(*TARGET_COLUMNS)  # what the page and the export show: a fifth of the columns of these five tables
    )


def _targets_ranked(*, user, filters: TargetFilters) -> QuerySet[Referrer]:
    """The filters and the ranking. The distance is the referrer's own indexed row (crm.ReferrerDistance), so
    "within N miles, nearest first" is an index range scan that stops after one page; referral counts and dates
    come from the health row, with no aggregate here."""
    if not can_read(user):
        return Referrer.objects.none()
    qs = Referrer.objects.annotate(miles=F("distance__miles"))
    f = filters
    exact = {
        "taxonomy_id": f.specialty,
        "source_type": f.source_type,
        "practice__practice_type": f.practice_type,
        "relationship__stage": f.stage,
    }
    qs = qs.filter(**{k: v for k, v in exact.items() if v})
    if f.min_size:
        qs = qs.filter(practice__clinician_count__gte=f.min_size)
    if f.max_size:
        qs = qs.filter(practice__clinician_count__lte=f.max_size)
    if f.within_miles is not None:
        qs = qs.filter(distance__miles__lte=f.within_miles)
    qs = _history_filter(qs, f)
    if f.owner == "me":
        qs = qs.filter(relationship__owner=user)
    elif f.owner == "nobody":
        qs = qs.filter(Q(relationship__isnull=True) | Q(relationship__owner__isnull=True))
    return qs.order_by(*SORTS.get(f.sort, SORTS["distance"]))


def _history_filter(qs, f: TargetFilters):
    if f.history == "none":
        qs = qs.filter(Q(health__isnull=True) | Q(health__total_referrals=0))
    elif f.history == "referring":
        qs = qs.filter(health__total_referrals__gt=0)
    elif f.history == "at_risk":
        qs = qs.filter(health__flag__in=(Flag.COOLING, Flag.DORMANT))
    if f.min_referrals:
        qs = qs.filter(health__total_referrals__gte=f.min_referrals)
    return qs


def _fill_distances() -> None:
    """New practices' ZIP codes and new or moved referrers get their distance; checked at most once a minute per
    process (edits one at a time are kept at once by crm.signals, and everything nightly by the refresh)."""
    if cache.add("crm:distances-checked", True, timeout=60):
        geo.distances_fill_missing()
        geo.referrer_distances_sync()


def target_list(*, user, filters: TargetFilters) -> list[dict]:
    """One page (plus one row, to know whether there is another): each row a dict of "miles" and DETAIL_VALUES.

    Two queries, because PostgreSQL spent longer planning one six-table join with its ORDER BY and LIMIT than
    running it: the ranking joins only the tables the filters and the sort name, then the page's rows fetch
    their practice, relationship, health and owner by primary key (decision 0011)."""
    _fill_distances()
    ranked = _targets_ranked(user=user, filters=filters).values_list(*RANKED_VALUES)
    miles = dict(ranked[filters.after : filters.after + TARGET_PAGE_SIZE + 1])
    details = {r["pk"]: r for r in Referrer.objects.filter(pk__in=miles).values(*DETAIL_VALUES)}
    return [{**details[pk], "miles": m} for pk, m in miles.items() if pk in details]


def practice_targets(*, user, filters: TargetFilters) -> list[Practice]:
    """Practices near the clinic with their size and the referrals of their clinicians, ranked."""
    if not can_read(user):
        return []
    _fill_distances()
    qs = Practice.objects.select_related("relationship").annotate(
        miles=Subquery(ZipDistance.objects.filter(zip_code=OuterRef("zip_code")).values("miles")[:1]),
        clinicians=Count("referrers", distinct=True),
        referrals=Sum("referrers__health__total_referrals"),
    )
    if f := filters.practice_type:
        qs = qs.filter(practice_type=f)
    if filters.min_size:
        qs = qs.filter(clinician_count__gte=filters.min_size)
    if filters.max_size:
        qs = qs.filter(clinician_count__lte=filters.max_size)
    if filters.within_miles is not None:
        qs = qs.filter(miles__lte=filters.within_miles)
    if filters.stage:
        qs = qs.filter(relationship__stage=filters.stage)
    order = {"size": "-clinician_count", "referrals": F("referrals").desc(nulls_last=True)}.get(filters.sort)
    order = order or F("miles").asc(nulls_last=True)
    return list(qs.order_by(order, "name", "id")[filters.after : filters.after + TARGET_PAGE_SIZE + 1])


# ---------------------------------------------------------------- one relationship


def referral_summary(*, user, referrer: Referrer, now: datetime | None = None) -> dict:
    """What a liaison may know of a referrer's referrals: counts by month and by outcome. No patients.

    Both come from one read of the referrer's stored counts by month (crm.ReferrerMonthCount, kept by
    referrer_counts.py): a few dozen rows however many referrals, where counting 55,000 referrals took 70 ms even
    index-only. The months are the last twelve calendar months that had referrals."""
    from liaison.crm.referrer_counts import referrer_summary

    check_can_read(user)
    months, outcomes = referrer_summary(referrer.pk, now or timezone.now())
    return {
        "months": months,
        "outcomes": outcomes,
        "measured": measured_outcomes(user=user, referrer=referrer),
    }


def measured_outcomes(*, user, referrer: Referrer):
    """Response and remission for this referrer's treated patients, from measurement-based care
    (`care.queries.outcome_aggregates`, counts only), or None when there is nothing measured. Asked as one
    aggregate over this referrer's outcomes (the "practice" grouping of one referrer: no names to look up), which
    reads only care's index on (referrer) that includes what it counts."""
    from liaison.care.queries import outcome_aggregates

    rows = outcome_aggregates(user=user, by="practice", referrer_ids=[referrer.pk])
    return rows[0] if rows else None


def outcome_aggregates_for(*, referrer_ids: list[int]) -> dict:
    """Outcomes in aggregate for these referrers, from their stored counts by month (referrer_counts.FIGURES):
    referrals counted by where they got to in the lifecycle. Response and remission come from measurement-based
    care: see measured_outcomes."""
    from liaison.crm.referrer_counts import FIGURES

    stored = ReferrerMonthCount.objects.filter(referrer_id__in=referrer_ids)
    found = stored.aggregate(**{name: Sum(name) for name in FIGURES})
    return {name: n or 0 for name, n in found.items()}


PRACTICE_CLINICIAN_VALUES = (
    "pk", "first_name", "last_name", "credential", "taxonomy__display_name", "relationship__stage",
    "health__total_referrals", "health__score", "health__flag",
)  # fmt: skip


def practice_clinicians(*, user, practice: Practice, limit: int) -> list[dict]:
    """The practice's clinicians by name (the first `limit`), each a dict of PRACTICE_CLINICIAN_VALUES."""
    check_can_read(user)
    clinicians = practice.referrers.order_by("last_name", "first_name", "id").values(*PRACTICE_CLINICIAN_VALUES)
    return list(clinicians[:limit])


def draft_email(*, template: OutreachTemplate, referrer: Referrer, liaison, clinic_name: str) -> tuple[str, str]:
    """The template's subject and body with the referrer, the clinic and the liaison filled in."""
    values = {
        "referrer_name": f"Dr. {referrer.last_name}" if referrer.credential in ("MD", "DO") else referrer.first_name,
        "referrer_full_name": referrer.display_name,
        "practice_name": referrer.practice.name if referrer.practice_id else "your practice",
        "clinic_name": clinic_name or "our clinic",
        "liaison_name": liaison.get_full_name() or liaison.get_username(),
    }
    fill = string.Template
    return fill(template.subject).safe_substitute(values), fill(template.body).safe_substitute(values)
