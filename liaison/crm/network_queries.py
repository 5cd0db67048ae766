"""The network page's figures: where referrals came from over the last year against the usual mix, month by
month, the growth phase, the key relationships and the ones at risk. Counts and aggregates only, scoped like
queries.py. The year's counts are the stored monthly ones (monthly_counts.py): "the last 12 months" is this
month and the 11 before it, in the clinic's time zone."""

from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from liaison.crm.choices import Flag, GrowthPhase, Stage
from liaison.crm.models import Health, Relationship
from liaison.crm.monthly_counts import counts_by_month
from liaison.crm.months import months_ending
from liaison.crm.queries import check_can_read
from liaison.directory.choices import SourceType

BENCHMARK = {
    SourceType.PSYCHIATRY: (40, 60),
    SourceType.PRIMARY_CARE: (20, 30),
    SourceType.THERAPY: (10, 20),
    SourceType.SELF: (10, 20),
}
FOUNDATION_GOAL = (5, 10)
KEY_STAGES = (Stage.ACTIVE, Stage.CHAMPION)


@dataclass(frozen=True)
class MixRow:
    label: str
    count: int
    percent: int
    low: int | None
    high: int | None

    @property
    def verdict(self) -> str:
        if self.low is None:
            return ""
        if self.percent < self.low:
            return "below"
        return "above" if self.percent > self.high else "within"


@dataclass(frozen=True)
class MonthRow:
    month: date
    count: int


def source_mix(by_month: dict[date, dict[str, int]]) -> list[MixRow]:
    """Referrals of the last 12 months by source, against the usual mix; secondary sources together."""
    rows: dict[str, int] = {}
    for counts in by_month.values():
        for source, n in counts.items():
            rows[source] = rows.get(source, 0) + n
    total = sum(rows.values()) or 1
    out = [
        MixRow(SourceType(s).label, rows.get(s, 0), round(100 * rows.get(s, 0) / total), lo, hi)
        for s, (lo, hi) in BENCHMARK.items()
    ]
    other = sum(n for s, n in rows.items() if s not in BENCHMARK)
    out.append(MixRow("Secondary sources", other, round(100 * other / total), None, None))
    return out


def month_table(by_month: dict[date, dict[str, int]]) -> list[MonthRow]:
    """Each of the 12 months, newest first, a month without referrals as a zero: a silence must show."""
    return [MonthRow(m, sum(by_month[m].values())) for m in sorted(by_month, reverse=True)]


def growth_phase(*, now: datetime, key_count: int, first: datetime | None) -> dict:
    """Foundation (0-6 months), expansion (6-18), maturation (18+), counted from the first referral (`first`,
    the first entry of the referrals' received_at index)."""
    months = 0 if first is None else max(0, (now - first).days * 12 // 365)
    phase = GrowthPhase.FOUNDATION if months < 6 else GrowthPhase.EXPANSION if months < 18 else GrowthPhase.MATURATION
    low, high = FOUNDATION_GOAL
    return {"phase": phase, "label": GrowthPhase(phase).label, "months": months, "key": key_count,
            "goal_low": low, "goal_high": high, "goal_met": key_count >= low}  # fmt: skip


KEY_FIELDS = (
    "referrer_id", "score", "flag", "last_90", "total_referrals", "referrer__first_name", "referrer__last_name",
    "referrer__credential", "referrer__source_type", "referrer__relationship__stage",
)  # fmt: skip
AT_RISK_FIELDS = (
    "referrer_id", "score", "flag", "reasons", "cause", "referrer__first_name", "referrer__last_name",
    "referrer__credential", "referrer__practice__name", "referrer__relationship__owner_id",
    "referrer__relationship__owner__first_name", "referrer__relationship__owner__last_name",
    "referrer__relationship__owner__username",
)  # fmt: skip
AT_RISK = Q(flag__in=(Flag.COOLING, Flag.DORMANT), total_referrals__gte=2)


def key_relationships(n: int) -> list[dict]:
    """The n healthiest referrers whose relationship is active or champion, best first, as the rows show them (no
    model objects). Read down the health score's index in growing slices, each kept if its relationship is a key
    one: a filter on the relationship's stage inside the query let PostgreSQL join every active relationship (9,147
    at 1M) before sorting (185 ms), where the first slice of 4n rows usually holds them all. At most the referrers'
    count in all."""
    ordered = Health.objects.order_by("-score", "referrer_id").values(*KEY_FIELDS)
    found: list[dict] = []
    start, size = 0, 4 * n
    while len(found) < n:
        rows = list(ordered[start : start + size])
        found += [h for h in rows if h["referrer__relationship__stage"] in KEY_STAGES]
        if len(rows) < size:
            break
        start, size = start + size, size * 4
    return found[:n]


# Three figures in one round trip: how many relationships are at risk, when health was last worked out (the top of
# crm_health_computed) and the first referral ever (the top of the referrals' received_at index, for the growth
# phase). Fixed text: prepared once per connection.
FIGURES = (
    'SELECT (SELECT COUNT(*) FROM "crm_health" WHERE "flag" IN (%s, %s) AND "total_referrals" >= %s),'
    ' (SELECT MAX("computed_at") FROM "crm_health"), (SELECT MIN("received_at") FROM "referrals_referral")'
)


def _figures() -> tuple[int, datetime | None, datetime | None]:
    with connection.cursor() as cursor:
        cursor.execute(FIGURES, [Flag.COOLING, Flag.DORMANT, 2])
        count, computed_at, first = cursor.fetchone()
    return count, _aware(computed_at), _aware(first)


def _aware(value) -> datetime | None:
    """A time as the cursor gives it: PostgreSQL's aware, SQLite's text in UTC."""
    if value is None or isinstance(value, datetime):
        return value if value is None or timezone.is_aware(value) else value.replace(tzinfo=UTC)
    return parse_datetime(value).replace(tzinfo=UTC)


def network_summary(*, user, now: datetime | None = None) -> dict:
    check_can_read(user)
    now = now or timezone.now()
    at_risk = (
        Health.objects.filter(AT_RISK)
        .order_by("flag", "-prior_90", "-total_referrals", "referrer_id")
        .values(*AT_RISK_FIELDS)
    )
    # Relationships by stage, and (in the same pass) the referrers' ones: the key relationships are counted there.
    stages, people = {}, {}
    for stage, n, referrers in (
        Relationship.objects.values_list("stage")
        .annotate(n=Count("id"), referrers=Count("id", filter=Q(referrer__isnull=False)))
        .order_by()
    ):
        stages[stage], people[stage] = n, referrers
    key_count = sum(people.get(s, 0) for s in KEY_STAGES)
    by_month = counts_by_month(months_ending(now, 12))
    at_risk_count, computed_at, first = _figures()
    return {
        "mix": source_mix(by_month),
        "months": month_table(by_month),
        "phase": growth_phase(now=now, key_count=key_count, first=first),
        "key": key_relationships(15),
        "at_risk": list(at_risk[:25]),
        "at_risk_count": at_risk_count,
        "stages": [(Stage(s).label, stages.get(s, 0)) for s in Stage.values],
        "computed_at": computed_at,
    }
