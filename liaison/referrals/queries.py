"""Reads of referrals, always scoped to who is asking. Looking a referral up by id anywhere
else is a defect: pages, the API and reports come through here."""

from dataclasses import dataclass

from django.db import connections, router
from django.db.models import Expression, F, OrderBy, Prefetch, QuerySet
from django.db.models.query import get_related_populators
from django.utils import timezone

from liaison.accounts.access import out_of_scope
from liaison.accounts.choices import Role
from liaison.core.lists import ListError, Sort, Sorting
from liaison.referrals import lifecycle
from liaison.referrals.choices import Status
from liaison.referrals.models import Diagnosis, MedicationTrial, Referral, ReferralEvent

INBOX_PAGE_SIZE = 50  # the default; lists.PAGE_SIZES are offered
# What an inbox or portal row shows (rows.py writes them): plain values, not five model objects per row.
ROW_FIELDS = (
    "id", "urgency", "received_at", "channel", "source_type", "status", "is_open", "next_action",
    "next_action_role", "next_action_due_at", "patient__first_name", "patient__last_name", "patient__date_of_birth",
    "referrer_id", "referrer__first_name", "referrer__last_name", "referrer__credential",
)  # fmt: skip
INBOX_FIELDS = (
    *ROW_FIELDS, "next_action_owner_id", "next_action_owner__first_name", "next_action_owner__last_name",
    "next_action_owner__username", "screening__id", "screening__safety", "screening__resistance",
    "screening__adequate_failed", "screening__unclear_trials", "screening__missing_count",
    "screening__possible_duplicate",
)  # fmt: skip


def referral_scope(user) -> QuerySet[Referral]:
    """Every referral this person may see: clinical staff see the clinic's; a referring clinician
    the ones they made; a referring practice's administrator their practice's; anyone else none."""
    referrals = Referral.objects.all()
    if not user.is_authenticated or not user.is_active:
        return referrals.none()
    if user.sees_all_referrals:
        return referrals
    if user.role == Role.REFERRER and user.referrer_id:
        return referrals.filter(referrer_id=user.referrer_id)
    if user.role == Role.REFERRER_ADMIN and user.practice_id:
        return referrals.filter(referrer__practice_id=user.practice_id)
    return referrals.none()


# The inbox's columns, by their name in the address. "priority" is the default: urgent first, then the soonest due.
INBOX_SORTING = Sorting(
    columns={
        "priority": ("urgency_rank", "next_action_due_at"),  # written out in _priority_order
        "received": ("received_at",),
        "patient": ("patient__last_name", "patient__first_name"),
        "referrer": ("referrer__last_name", "referrer__first_name"),
        "status": ("status",),
        "owner": ("next_action_owner__last_name", "next_action_owner__first_name", "next_action_owner__username"),
        "due": ("next_action_due_at",),
    },
    default="priority",
)
# Sorts an index answers whatever the filter, so they are offered on all and closed referrals too (1M rows):
# priority (referral_inbox, referral_status_inbox), received (referral_received), status (referral_status_inbox).
# The others sort the open referrals only: a bounded set, the work in hand, read through referral_inbox (is_open
# leads it) and sorted in memory. Sorting a million referrals by a patient's surname would read them all.
INDEXED_SORTS = frozenset({"priority", "received", "status"})
OPEN_STATUSES = frozenset(s.value for s in Status if s not in lifecycle.TERMINAL)


@dataclass(frozen=True)
class InboxFilters:
    status: str = "open"  # "open", "closed", "all" or one status
    source_type: str = ""
    owner: str = ""  # "", "me", "unassigned" or a user id
    overdue: bool = False
    after: int = 0  # offset of the page
    size: int = INBOX_PAGE_SIZE
    sort: Sort | None = None  # INBOX_SORTING.parse(...); None is the default order

    @property
    def open_only(self) -> bool:
        """Whether the list holds open referrals only (the bounded set any column may sort)."""
        return self.status == "open" or self.status in OPEN_STATUSES or self.overdue or self.owner == "unassigned"

    def sortable(self) -> frozenset[str]:
        """The columns this list may be sorted by."""
        return frozenset(INBOX_SORTING.columns) if self.open_only else INDEXED_SORTS


def referral_list(*, user, filters: InboxFilters) -> list[dict]:
    """One page of the inbox in the order `filters.sort` names (default: urgent first, then by when the next action
    is due), as INBOX_FIELDS.

    Returns up to `filters.size` + 1 rows, so the page knows whether there is a next one without counting the whole
    table. ListError ("sort") for a column that is not sortable over all or closed referrals (InboxFilters.sortable)."""
    sort = filters.sort or INBOX_SORTING.parse(None)
    if sort.key not in filters.sortable():
        allowed = ", ".join(sorted(INDEXED_SORTS))
        raise ListError(
            "sort",
            f"Only open referrals can be sorted by {sort.key}: with all or closed referrals, sort by {allowed}.",
        )
    qs = referral_scope(user)
    if filters.status == "open":
        qs = qs.filter(is_open=True)
    elif filters.status == "closed":
        qs = qs.filter(is_open=False)
    elif filters.status and filters.status != "all":
        qs = qs.filter(status=filters.status)
    if filters.source_type:
        qs = qs.filter(source_type=filters.source_type)
    if filters.owner == "me":
        qs = qs.filter(next_action_owner=user)
    elif filters.owner == "unassigned":
        qs = qs.filter(is_open=True, next_action_owner__isnull=True)
    elif filters.owner.isdigit():
        qs = qs.filter(next_action_owner_id=int(filters.owner))
    if filters.overdue:
        qs = qs.filter(is_open=True, next_action_due_at__lt=timezone.now())
    qs = qs.order_by(*_order(sort, filters))
    return list(qs.values(*INBOX_FIELDS)[filters.after : filters.after + filters.size + 1])


def _flip(fields: tuple[str, ...], descending: bool) -> list[OrderBy]:
    """ "name" ascending / "-name" descending, every direction reversed when `descending`: the order an index on
    these fields gives read forward, or read backward (PostgreSQL reads an index backward for the reverse order
    only when NULLS FIRST/LAST is reversed too, so nothing here names NULLS)."""
    order = []
    for name in fields:
        desc = name.startswith("-") != descending
        order.append(F(name.lstrip("-")).desc() if desc else F(name.lstrip("-")).asc())
    return order


def _order(sort: Sort, filters: InboxFilters) -> list:
    if sort.key == "priority":
        if filters.status == "open":
            # The referral_inbox index, is_open first so the WHERE and the ORDER BY are one index range.
            return _flip(("is_open", "-urgency_rank", "next_action_due_at", "-received_at", "-id"), sort.descending)
        # Closed referrals have no due time: they come after open work on every database.
        due = F("next_action_due_at")
        due = due.desc(nulls_last=True) if sort.descending else due.asc(nulls_last=True)
        return [*_flip(("-urgency_rank",), sort.descending), due, *_flip(("-id",), sort.descending)]
    # Over open referrals, is_open (one value there) leads: no index has that order, so PostgreSQL finds the open
    # ones by referral_inbox and sorts them, rather than walking referral_received from the oldest referral through
    # every closed one until it has a page (open work is the newest: the LIMIT's guess of an even spread is wrong).
    lead = [F("is_open").asc()] if filters.open_only else []
    if sort.key == "received":  # referral_received; the id breaks ties among referrals received at one instant
        return [*lead, *_flip(("received_at", "id"), sort.descending)]
    if sort.key == "status":  # referral_status_inbox, whole: within a status, its own inbox order
        return [*lead, *_flip(("status", "-urgency_rank", "next_action_due_at", "-id"), sort.descending)]
    # Over the open referrals only (InboxFilters.sortable): sorted in memory, empty values last either way.
    return sort.order_by("-id")


def referrals_to_assign(*, user, ids: list[int]) -> dict[int, Referral]:
    """The referrals a bulk assignment names, by id, among those this person may see (ids outside their scope are
    simply absent), with the patient (their label) and the care team (kept when a list is left as it is). One
    query; `ids` is at most lists.BULK_LIMIT long."""
    found = (
        referral_scope(user).filter(pk__in=ids).select_related("patient", "assigned_coordinator", "assigned_clinician")
    )
    return {r.pk: r for r in found}


# What the staff's referral page shows with the referral. Not the assigned coordinator and clinician: the page shows
# them from the care team's lists by id, and two more joins doubled the time PostgreSQL took to plan this query
# (1.6 against 3.0 ms).
PAGE_RELATED = (
    "patient", "referrer", "referrer__practice", "referrer__taxonomy", "next_action_owner",
    "screening",  # the screening panel (intake)
    "safety_review", "safety_review__decided_by",  # the clinician's safety review of an urgent referral
)  # fmt: skip


# Facts other apps' parts of the referral page need, read in the referral's own query rather than one more round
# trip each: name → expression over the referral's row. The care app adds whether the referral has sessions, scores,
# open alerts and questionnaire links (liaison/care/apps.py), so its panel skips the lists that have none.
PAGE_ANNOTATIONS: dict[str, Expression] = {}


def _summary_lists() -> tuple[Prefetch, Prefetch]:
    return (
        Prefetch("diagnoses", queryset=Diagnosis.objects.order_by("id")),
        Prefetch("trials", queryset=MedicationTrial.objects.order_by("id")),
    )


class CompiledOnce:
    """A read whose SQL is the same every time but for one value (a referral's id), compiled by the ORM once per
    process and database, then run with each value. `build(value)` returns the QuerySet of `model`; the value must
    appear once among the compiled statement's parameters. The rows become model instances (with their
    select_related rows and annotations) as QuerySet iteration makes them, with the same compiler's converters.

    For the staff referral page's own read: writing the SQL of nine tables' columns and four EXISTS cost the ORM
    about 4 ms a view, ten times what PostgreSQL takes to run it as a prepared statement."""

    MARK = -7_654_321  # a value no row holds, compiled in where the value goes

    def __init__(self, model, build):
        self.model, self.build = model, build
        self._compiled: dict[str, tuple] = {}

    def _compile(self, db: str) -> tuple:
        queryset = self.build(self.MARK)
        compiler = queryset.query.get_compiler(using=db)
        sql, params = compiler.as_sql()
        slots = [n for n, value in enumerate(params) if value == self.MARK]
        if len(slots) != 1:
            raise ValueError(f"The compiled read must take its value once, not {len(slots)} times.")
        info, select = compiler.klass_info, compiler.select
        start, end = info["select_fields"][0], info["select_fields"][-1] + 1
        fields = [column[0].target.attname for column in select[start:end]]
        populators = get_related_populators(info, select, db)
        compiled = (compiler, sql, tuple(params), slots[0], info["model"], start, end, fields, populators)
        self._compiled[db] = compiled
        return compiled

    def __call__(self, value) -> list:
        db = router.db_for_read(self.model)
        compiled = self._compiled.get(db) or self._compile(db)
        compiler, sql, params, slot, model, start, end, fields, populators = compiled
        params = list(params)
        params[slot] = value
        with connections[db].cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        found = []
        for row in compiler.results_iter([rows]):
            obj = model.from_db(db, fields, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for name, position in compiler.annotation_col_map.items():
                setattr(obj, name, row[position])
            found.append(obj)
        return found


# The staff referral page's reads (a clinic person sees every referral, so there is nothing else in their WHERE).
_page_read = CompiledOnce(
    Referral, lambda pk: Referral.objects.select_related(*PAGE_RELATED).annotate(**PAGE_ANNOTATIONS).filter(pk=pk)
)
_page_diagnoses = CompiledOnce(Diagnosis, lambda pk: Diagnosis.objects.filter(referral_id=pk).order_by("id"))
_page_trials = CompiledOnce(MedicationTrial, lambda pk: MedicationTrial.objects.filter(referral_id=pk).order_by("id"))
_page_timeline = CompiledOnce(
    ReferralEvent, lambda pk: ReferralEvent.objects.filter(referral_id=pk).select_related("actor").order_by("at", "id")
)


def _prefetched(referral: Referral, name: str, rows: list) -> None:
    """`referral.<name>.all()` answers `rows` without a query, as prefetch_related leaves it."""
    if not hasattr(referral, "_prefetched_objects_cache"):
        referral._prefetched_objects_cache = {}
    listed = getattr(referral, name).get_queryset()
    listed._result_cache, listed._prefetch_done = rows, True
    referral._prefetched_objects_cache[name] = listed


def referral_get(*, user, pk: int, related: tuple[str, ...] = PAGE_RELATED) -> Referral:
    """One referral with everything its page shows (`related`, joined; its diagnoses and trials; PAGE_ANNOTATIONS
    with the page's own related), or 404 if this person may not see it (a 404, not a 403: an outsider learns nothing
    about which referrals exist). The clinic's own page read is compiled once (CompiledOnce)."""
    if related is PAGE_RELATED and user.is_authenticated and user.is_active and user.sees_all_referrals:
        found = _page_read(int(pk))
        if not found:
            raise _refused(user, pk)
        _prefetched(found[0], "diagnoses", _page_diagnoses(found[0].pk))
        _prefetched(found[0], "trials", _page_trials(found[0].pk))
        return found[0]
    annotations = PAGE_ANNOTATIONS if related is PAGE_RELATED else {}
    return _scoped_get(
        user,
        pk,
        referral_scope(user).select_related(*related).annotate(**annotations).prefetch_related(*_summary_lists()),
    )


def referral_row(*, user, pk: int) -> Referral:
    """The referral's own row, without the related rows, diagnoses and trials its page reads, scoped and refused as
    referral_get: for a page that only names the referral (what it owes its referrer). One query without joins."""
    return _scoped_get(user, pk, referral_scope(user))


def _scoped_get(user, pk: int, referrals: QuerySet[Referral]) -> Referral:
    try:
        return referrals.get(pk=pk)
    except Referral.DoesNotExist:
        raise _refused(user, pk) from None


def _refused(user, pk: int) -> Exception:
    return out_of_scope(user=user, model=Referral, pk=pk, patient_field="patient_id", message="No such referral.")


def referral_timeline(referral: Referral) -> list[ReferralEvent]:
    return _page_timeline(referral.pk)


def referral_safety_flags(referral: Referral) -> list[str]:
    """The safety considerations the referrer marked, in words, most serious first."""
    flags = []
    if referral.suicidal_ideation_current:
        flags.append("Current suicidal ideation")
    if referral.suicide_attempt_history == "recent":
        flags.append("Suicide attempt within the past year")
    elif referral.suicide_attempt_history == "past":
        flags.append("Past suicide attempt")
    item9 = referral.phq9_item9_known
    if item9:
        flags.append(f"PHQ-9 item 9 answered {item9}")
    elif item9 is None and (referral.phq9_score or 0) >= 25:
        flags.append(f"PHQ-9 total {referral.phq9_score} with item 9 not asked: item 9 is at least 1")
    checks = [
        ("psychosis_or_mania_history", "History of psychosis or mania"),
        ("uncontrolled_hypertension", "Uncontrolled hypertension"),
        ("cardiac_disease", "Unstable cardiac disease"),
        ("aneurysmal_vascular_disease", "Aneurysmal vascular disease or AVM"),
        ("intracerebral_haemorrhage", "History of intracerebral haemorrhage"),
        ("pregnancy", "Pregnant or planning pregnancy"),
        ("seizures", "Seizure disorder"),
    ]
    flags += [text for field, text in checks if getattr(referral, field)]
    if referral.substance_use == "active":
        flags.append("Active substance use")
    return flags


def staff_choices(*roles: str):
    from liaison.accounts.models import User

    return User.objects.filter(role__in=roles, is_active=True).order_by("first_name", "last_name")


def referral_of(event):
    """The referral an event (liaison.core.events) is about, for the apps that react: the publisher's own
    object when the handler runs in its transaction, else loaded once for the worker's whole batch (with its
    referrer). None when it has since been deleted."""
    if "referral" in event.context:
        return event.context["referral"]
    cache = event.shared.setdefault("referrals", {})
    if event.referral_id not in cache:
        ids = (set(event.shared.get("referral_ids", ())) | {event.referral_id}) - set(cache)
        found = Referral.objects.select_related("referrer").in_bulk(ids)
        cache.update({pk: found.get(pk) for pk in ids})
    return cache.get(event.referral_id)
