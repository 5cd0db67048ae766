"""Reads of measurement-based care, scoped to who is asking. The referral itself is always fetched through
referrals.queries (referral_get / referral_scope); nothing here looks a record up by id alone."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum, Window
from django.http import Http404
from django.utils import timezone

from liaison.accounts.access import out_of_scope, roles_for
from liaison.accounts.choices import Role
from liaison.care import outcomes, stored_outcomes
from liaison.care.choices import Instrument, SessionKind
from liaison.care.models import Assessment, CareSettings, OutcomeCount, QuestionnaireLink, SafetyAlert, Session
from liaison.core.audit import audit_part
from liaison.referrals.models import Referral
from liaison.referrals.queries import CompiledOnce

ALERT_READERS = roles_for("care.alert.read")  # the role table: liaison/accounts/access.py
AGGREGATE_READERS = roles_for("care.outcomes")
TREATED_KINDS = (SessionKind.ACUTE, SessionKind.MAINTENANCE)
SMALL_COUNT = 10  # fewer outcomes than this: the page says the rates are not to be over-read


def care_settings() -> CareSettings:
    """The practice's row, or the defaults when none has been saved (nothing is written)."""
    return CareSettings.objects.order_by("pk").first() or CareSettings()


# ---------------------------------------------------------------- one referral


@dataclass
class CarePanel:
    sessions: list[Session]
    assessments: list[Assessment]
    alerts: list[SafetyAlert]
    links: list[QuestionnaireLink]
    outcome: outcomes.Outcome
    rows: list = field(default_factory=list)  # (date, session or None, phq9, gad7) for the table

    def series(self, instrument: str) -> list[tuple[date, int]]:
        return [(a.taken_on, a.total) for a in self.assessments if a.instrument == instrument and a.is_complete]

    @property
    def item9_gaps(self) -> list[Assessment]:
        return [a for a in self.assessments if a.item9_gap]

    @property
    def last_acute(self) -> Session | None:
        acute = [s for s in self.sessions if s.kind == SessionKind.ACUTE]
        return max(acute, key=lambda s: s.number) if acute else None

    @property
    def acute_finished(self) -> bool:
        last = self.last_acute
        return last is not None and last.number >= last.planned


def phq9_scores(assessments, sessions_by_id: dict) -> list[outcomes.Score]:
    """Complete PHQ-9s only: an incomplete questionnaire has no total to measure by."""
    return [
        outcomes.Score(a.taken_on, a.total, sessions_by_id[a.session_id].kind if a.session_id else "")
        for a in assessments
        if a.instrument == Instrument.PHQ9 and a.is_complete
    ]


def _table_rows(sessions, assessments) -> list:
    """One row per session (with its scores) and one per score taken outside a session, by date."""
    by_session = defaultdict(dict)
    loose = []
    for a in assessments:
        if a.session_id:
            by_session[a.session_id][a.instrument] = a
        else:
            loose.append((a.taken_on, a.created_at, None, {a.instrument: a}))
    rows = [(s.held_on, s.created_at, s, by_session.get(s.pk, {})) for s in sessions]
    rows.sort(key=lambda r: (r[0], r[1]))
    merged = sorted(rows + loose, key=lambda r: (r[0], r[1]))
    return [(on, session, scores.get("phq9"), scores.get("gad7")) for on, _, session, scores in merged]


OPEN_ALERT = Q(acknowledged_at__isnull=True)
# Whether a referral has rows in each of the panel's lists: EXISTS on each table's referral index. Read with the
# referral on its page (referrals.queries.PAGE_ANNOTATIONS, added in apps.py), else in one query of their own.
LISTS = {
    "care_has_sessions": Exists(Session.objects.filter(referral_id=OuterRef("pk"))),
    "care_has_scores": Exists(Assessment.objects.filter(referral_id=OuterRef("pk"))),
    "care_has_alerts": Exists(SafetyAlert.objects.filter(OPEN_ALERT, referral_id=OuterRef("pk"))),
    "care_has_links": Exists(QuestionnaireLink.objects.filter(referral_id=OuterRef("pk"))),
}


def _lists_with_rows(referral: Referral) -> dict[str, bool]:
    """Which of the panel's lists have rows. A list is skipped only when this read found no row of it."""
    if all(hasattr(referral, name) for name in LISTS):
        return {name: getattr(referral, name) for name in LISTS}
    return Referral.objects.filter(pk=referral.pk).values(**LISTS).get()


# The panel's two longest lists, compiled to SQL once per process (referrals.queries.CompiledOnce, decision 0034).
_panel_sessions = CompiledOnce(
    Session, lambda pk: Session.objects.filter(referral_id=pk).select_related("clinician").order_by("held_on", "id")
)
_panel_scores = CompiledOnce(
    Assessment, lambda pk: Assessment.objects.filter(referral_id=pk).order_by("taken_on", "id")
)


def care_panel(*, user, referral: Referral) -> CarePanel:
    """Everything the referral page shows about care (its audit in the page's row, or one): one query asking which
    of its lists have rows, then one for each that has (most referrals have no care yet, or sessions and scores but
    no open alert or link: none or two, where it was always four; the question is asked with the referral on its
    page, else in a query of its own). `referral` must come from referrals.queries.referral_get, which checked who is
    asking."""
    clinic_staff = user.sees_all_referrals
    has = _lists_with_rows(referral)
    sessions = _panel_sessions(referral.pk) if has["care_has_sessions"] else []
    assessments = _panel_scores(referral.pk) if has["care_has_scores"] else []
    show_alerts, show_links = clinic_staff and has["care_has_alerts"], clinic_staff and has["care_has_links"]
    alerts = list(SafetyAlert.objects.filter(OPEN_ALERT, referral=referral)) if show_alerts else []
    links = list(QuestionnaireLink.objects.filter(referral=referral)[:5]) if show_links else []
    by_id = {s.pk: s for s in sessions}
    panel = CarePanel(sessions, assessments, alerts, links, outcomes.outcome(phq9_scores(assessments, by_id)))
    panel.rows = _table_rows(sessions, assessments)
    audit_part(  # in the referral page's own row when the page is rendering it
        actor=user,
        action="view",
        object_type="care.panel",
        object_id=referral.pk,
        patient_id=referral.patient_id,
        detail={"sessions": len(sessions), "assessments": len(assessments), "alerts": [a.pk for a in alerts]},
    )
    return panel


def assessment_get(*, referral: Referral, pk) -> Assessment:
    """One score of this referral (which referrals.queries.referral_get checked for the asker), or a 404."""
    found = Assessment.objects.filter(referral=referral, pk=pk if str(pk).isdigit() else 0).first()
    if found is None:
        raise Http404("No such score on this referral.")
    return found


# ---------------------------------------------------------------- safety alerts


def _alerts_for(user):
    qs = SafetyAlert.objects.filter(acknowledged_at__isnull=True)
    if not user.is_authenticated or user.role not in ALERT_READERS:
        return qs.none()
    if user.role == Role.CLINICIAN:
        # The treating clinician's own, and every alert on a referral with no clinician assigned.
        from django.db.models import Q

        qs = qs.filter(Q(referral__assigned_clinician=user) | Q(referral__assigned_clinician__isnull=True))
    return qs


def open_alerts_query(*, user):
    """The open safety alerts this person must see: a clinician those on referrals they treat or that have no
    clinician yet; the medical director, administrators and coordinators all of them. Never filtered further."""
    return (
        _alerts_for(user)
        .select_related("referral__patient", "referral__assigned_clinician")
        .order_by("raised_at", "pk")
    )


def open_alerts(*, user) -> list[SafetyAlert]:
    return list(open_alerts_query(user=user))


# What an open alert's list item shows (alert_rows.alert_items writes it), as plain values: a hundred alerts read as
# objects were a hundred alerts, referrals (47 columns each), patients and clinicians built per page.
ALERT_ROW_FIELDS = (
    "id", "referral_id", "kind", "summary", "raised_at", "referral__patient__first_name",
    "referral__patient__last_name", "referral__assigned_clinician__first_name",
    "referral__assigned_clinician__last_name", "referral__assigned_clinician__username",
)  # fmt: skip


def open_alert_rows(*, user) -> QuerySet:
    """`open_alerts_query` as ALERT_ROW_FIELDS, the oldest first."""
    return _alerts_for(user).order_by("raised_at", "pk").values(*ALERT_ROW_FIELDS)


def open_alerts_oldest(*, user, limit: int) -> tuple[list[dict], int]:
    """The oldest `limit` of the open alert rows, and how many are open in all, in one query (a window count), so a
    page that shows them costs the same however many are waiting."""
    found = list(open_alert_rows(user=user).annotate(open_total=Window(Count("id")))[:limit])
    return found, found[0]["open_total"] if found else 0


def alert_get(*, user, pk: int) -> SafetyAlert:
    alert = SafetyAlert.objects.filter(pk=pk).select_related("referral").first()
    if alert is None or not user.is_authenticated or user.role not in ALERT_READERS:
        raise out_of_scope(user=user, model=SafetyAlert, pk=pk, patient_field="referral__patient_id")
    return alert


# ---------------------------------------------------------------- outcome aggregates


@dataclass
class Aggregate:
    key: str
    label: str
    treated: int = 0
    measured: int = 0  # treated referrals with a baseline and a later PHQ-9
    responders: int = 0
    partial: int = 0
    remitted: int = 0

    def _rate(self, n: int) -> int | None:
        return round(100 * n / self.measured) if self.measured else None

    @property
    def response_rate(self) -> int | None:
        return self._rate(self.responders)

    @property
    def remission_rate(self) -> int | None:
        return self._rate(self.remitted)

    @property
    def is_small(self) -> bool:
        return self.measured < SMALL_COUNT

    @classmethod
    def whole(cls, rows: list["Aggregate"]) -> "Aggregate | None":
        """The practice's row: the sum of a grouping's rows (every treated referral is in exactly one)."""
        if not rows:
            return None
        total = cls(key="practice", label="The practice")
        for name in ("treated", "measured", "responders", "partial", "remitted"):
            setattr(total, name, sum(getattr(r, name) for r in rows))
        return total


GROUPINGS = {
    "practice": (),
    "source_type": ("source_type",),
    "referrer": ("referrer_id",),
}
# One sum over the stored counts (care.models.OutcomeCount, decision 0024): stored_outcomes.COUNTS of the
# treated outcomes per (referrer, source type), about as many rows as there are referrers, summed by the grouping.
COUNTS = {name: Sum(name) for name in stored_outcomes.COUNTS}


def outcome_aggregates(*, user, by: str = "practice", referrer_ids: list[int] | None = None):
    """Treated referrals and their response and remission rates, per referrer, per source type or for the
    practice (or only these referrers'). Counts only, never a patient: liaisons may read this. Rows with few
    outcomes are marked small. One query however many referrals; by referrer, a second for their names."""
    if by not in GROUPINGS:
        raise ValueError(f"Group by one of {', '.join(GROUPINGS)}, not {by!r}.")
    if not user.is_authenticated or user.role not in AGGREGATE_READERS:
        return []
    stored = OutcomeCount.objects.all()
    if referrer_ids is not None:
        stored = stored.filter(referrer_id__in=referrer_ids)
    if by == "practice":
        found = [stored.aggregate(**COUNTS)]
    else:
        found = list(stored.order_by().values(*GROUPINGS[by]).annotate(**COUNTS))
    labels = _labels(by, referrer_ids)
    groups: dict[str, Aggregate] = {}
    for row in found:
        if not row["treated"]:
            continue
        key = "practice" if by == "practice" else str(row[GROUPINGS[by][0]] or "")
        groups[key] = Aggregate(key=key, label=labels(key), **{name: row[name] for name in COUNTS})
    return sorted(groups.values(), key=lambda g: (-g.treated, g.label))


def _labels(by: str, referrer_ids: list[int] | None):
    """The row's label from its key. Referrers' names come in one query of the directory (all of it, which is
    cheaper than looking up thousands of ids), each through Referrer.display_name without building a model."""
    from types import SimpleNamespace

    from liaison.directory.choices import SourceType
    from liaison.directory.models import Referrer

    if by == "practice":
        return lambda key: "The practice"
    if by == "source_type":
        return lambda key: SourceType(key).label if key in SourceType.values else key
    referrers = Referrer.objects.all() if referrer_ids is None else Referrer.objects.filter(pk__in=referrer_ids)
    fields = ("first_name", "last_name", "credential")
    names = {
        str(pk): Referrer.display_name.fget(SimpleNamespace(**dict(zip(fields, values, strict=True))))
        for pk, *values in referrers.order_by().values_list("pk", *fields)
    }
    return lambda key: names.get(key, "Self-referrals")


def today() -> date:
    return timezone.localdate()
