"""The coordinator's work queue: overdue, due today, coming up (a week), each a page of PAGE rows grouped by owner;
the problems that stop a letter, grouped by referrer; what was escalated to this person; the counts (each stopping
at CAP) in one statement. A fixed number of queries whatever the length of the lists, each on a partial index over
letters still to send, with the index's predicate written in constants (predicates.Inlined, decision 0026), and only
the columns the rows show."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.humanize.templatetags.humanize import intcomma
from django.db import connection
from django.db.models import BooleanField, Q, Value, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber
from django.utils import timezone

from liaison.comms import clock
from liaison.comms.choices import LetterType, OutboxStatus, OwnerRole
from liaison.comms.models import DueCommunication
from liaison.comms.predicates import PENDING_DUE, PROBLEM_DUE, Inlined
from liaison.comms.queries import scoped
from liaison.core import lists

PAGE = 25  # rows per section on a page
MAX_PAGE = 100_000  # beyond any list's end
CAP = 1000  # counts stop here: more shows as "1,000+" (exact totals on the letters-on-time page, comms.sla)
PROBLEMS_SHOWN = 25  # problem rows read (the oldest), grouped by referrer
HORIZON_DAYS = 7
SECTIONS = {"overdue": "Overdue", "today": "Due today", "upcoming": "Coming up"}
ROLES = dict(OwnerRole.choices)
ESCALATED = "escalated"  # the part of the rows' statement that is "escalated to you"
PROBLEMS = "problems"  # ... and the letters with a problem
COUNTED = "#"  # a count's part in the ids' statement: "#overdue" is how many are overdue (up to CAP + 1)
KINDS = dict(LetterType.choices)  # the `kind` filter: the letter owed

# How a section's rows are ordered (decision 0043). "due" is the order of the sections' partial index
# (due_pending_due_at, walked forwards or backwards): any length of section. Every other column sorts a bounded
# set: the section's CAP rows that have waited longest, picked down that index first, then joined and sorted among
# themselves (a thousand rows: never the whole history, never a whole 50,000-letter backlog). A capped section
# sorted so says so on the page. Letter kinds sort by their stored names.
SORTING = lists.Sorting(
    columns={
        "due": ("due_at",),
        "kind": ("letter_type",),
        "patient": ("referral__patient__last_name", "referral__patient__first_name"),
        "referrer": ("referral__referrer__last_name", "referral__referrer__first_name"),
    },
    default="due",
)
DUE = SORTING.parse("")

ROW_FIELDS = (
    "id", "referral_id", "letter_type", "due_at", "reason", "problem", "escalated_at", "owner_id", "owner_role",
    "owner__first_name", "owner__last_name", "owner__username", "escalated_to__first_name",
    "escalated_to__last_name", "escalated_to__username", "referral__patient__first_name",
    "referral__patient__last_name", "referral__referrer__first_name", "referral__referrer__last_name",
    "referral__referrer__credential", "referral__referrer__shared_care_model", "letter__id",
)  # fmt: skip
PROBLEM_FIELDS = (
    "id", "referral_id", "letter_type", "due_at", "problem", "referral__referrer_id",
    "referral__referrer__first_name", "referral__referrer__last_name", "referral__referrer__credential",
    "referral__patient__first_name", "referral__patient__last_name", "letter__id", "letter__outbox__id",
    "letter__outbox__status",
)  # fmt: skip
ALL_FIELDS = ROW_FIELDS + tuple(f for f in PROBLEM_FIELDS if f not in ROW_FIELDS)  # the whole page's rows, one read


@dataclass
class Section:
    key: str
    title: str
    count: int
    page: int = 1
    groups: list = field(default_factory=list)  # (owner label, [row dicts])
    size: int = 0  # rows a page (0: PAGE)
    bounded: bool = False  # sorted by a column other than due: among the CAP rows that have waited longest

    def __post_init__(self):
        self.size = self.size or PAGE

    @property
    def capped(self) -> bool:
        """Counted only to CAP: how many there are beyond is not known (nor read)."""
        return self.count > CAP

    @property
    def pages(self) -> int:
        """The pages there are; capped, the pages there are at least (CAP // size, or this one); capped and sorted
        by another column than due, the pages of the CAP rows sorted (bounded)."""
        if self.capped and self.bounded:
            return max(1, -(-CAP // self.size))
        if self.capped:
            return max(1, CAP // self.size, self.page)
        return max(1, -(-self.count // self.size))

    @property
    def sorted_among_cap(self) -> bool:
        """Sorted among the CAP that have waited longest, and there are more: the page says so."""
        return self.capped and self.bounded

    @property
    def later(self) -> bool:
        """A page after this one: capped, while this page is full (it read a page of rows, there may be more)."""
        return self.shown >= self.size if self.capped and not self.bounded else self.page < self.pages

    @property
    def paged(self) -> bool:
        return self.capped or self.pages > 1

    @property
    def count_shown(self) -> str:
        return shown(self.count)

    @property
    def pages_shown(self) -> str:
        return f"{intcomma(self.pages)}+" if self.capped else intcomma(self.pages)

    @property
    def shown(self) -> int:
        return sum(len(rows) for _, rows in self.groups)


@dataclass
class ProblemGroup:
    referrer_id: int | None
    referrer: str
    rows: list
    failed: int = 0


@dataclass
class Queue:
    counts: dict
    sections: list[Section]
    problems: list[ProblemGroup]
    escalated_to_me: list[dict]

    @property
    def counts_shown(self) -> dict[str, str]:
        return {key: shown(n) for key, n in self.counts.items()}

    @property
    def capped(self) -> bool:
        return any(n > CAP for n in self.counts.values())

    def referral_ids(self) -> list[int]:
        rows = [r for s in self.sections for _, rs in s.groups for r in rs] + self.escalated_to_me
        return [r["referral_id"] for r in rows] + [r["referral_id"] for g in self.problems for r in g.rows]


def _bounds(at: datetime) -> dict[str, Q]:
    today_ends = clock.end_of_day(at)
    return {
        "overdue": Q(due_at__lt=at),
        "today": Q(due_at__gte=at, due_at__lt=today_ends),
        "upcoming": Q(due_at__gte=today_ends, due_at__lt=today_ends + timedelta(days=HORIZON_DAYS)),
    }


def _mine(queryset, user, mine: bool, kind: str = ""):
    """`mine`: owned by this person or escalated to them; `kind`: one kind of letter (a parameter: the user's)."""
    if kind:
        queryset = queryset.filter(letter_type=kind)
    return queryset.filter(Q(owner=user) | Q(escalated_to=user)) if mine else queryset


def _counted(*, user, at: datetime, mine: bool, kind: str = "") -> dict:
    """What queue_counts counts: {key: rows}. With `kind`, each count reads the rows' letter type beside the index:
    bounded by the pending letters it walks, and stopping at CAP + 1 found."""
    bounds = _bounds(at)
    pending = _mine(scoped(DueCommunication.objects.filter(Inlined(PENDING_DUE)), user), user, mine, kind)
    problems = _mine(scoped(DueCommunication.objects.filter(Inlined(PROBLEM_DUE)), user), user, mine, kind)
    return {
        "overdue": pending.filter(bounds["overdue"]),
        "escalated": pending.filter(bounds["overdue"], escalated_at__isnull=False),
        "today": pending.filter(bounds["today"]),
        "upcoming": pending.filter(bounds["upcoming"]),
        "problems": problems,
    }


def queue_counts(*, user, at: datetime, mine: bool = False, kind: str = "") -> dict[str, int]:
    """Overdue (and of them escalated), due today, coming up, with a problem, each counted up to CAP + 1 (more
    than CAP shows as "1,000+"): one statement of scalar subqueries, each a LIMITed read of its partial index, so
    a view costs the same at 50,000 overdue letters as at 1,001 (decision 0026). Exact totals: comms.sla."""
    counted = _counted(user=user, at=at, mine=mine, kind=kind)
    parts, params = [], []
    for key, rows in counted.items():
        sql, part_params = rows.order_by().values("id")[: CAP + 1].query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS {key})")  # noqa: S608  (the ORM's SQL; values are params)
        params.extend(part_params)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        return dict(zip(counted, cursor.fetchone(), strict=True))


def shown(count: int) -> str:
    """A count as the page shows it: 1,234 below the cap, "1,000+" above it."""
    return f"{intcomma(CAP)}+" if count > CAP else intcomma(count)


def _picked(rows, start: int, stop: int, fields, part: str, sort: lists.Sort | None = None):
    """The rows `start`..`stop` of `rows` in due order, with the columns `fields` and their joins, tagged `part`:
    the page's ids are picked on the partial index first (a LIMIT inside IN), then only those rows are joined.
    Picked and joined in one statement, PostgreSQL would join every letter due this week before sorting (its
    statistics cannot tell how many are due in the future). `pos` is the row's place on the page when `sort` is
    another column than due (SORTING): the CAP rows that have waited longest are picked on the index, the page's
    ids sorted among them, and the page's rows numbered in that order; by due time it is 0 (the rows' due time
    orders them)."""
    sort = sort or DUE
    if sort.key == DUE.key:
        order = ("-due_at", "-id") if sort.descending else ("due_at", "id")
        ids = rows.order_by(*order).values("id")[start:stop]
        return DueCommunication.objects.filter(id__in=ids).order_by().values(*fields, part=Value(part), pos=Value(0))
    bounded = rows.order_by("due_at", "id").values("id")[:CAP]
    order = sort.order_by("due_at", "id")
    ids = DueCommunication.objects.filter(id__in=bounded).order_by(*order).values("id")[start:stop]
    pos = Window(RowNumber(), order_by=order)
    return DueCommunication.objects.filter(id__in=ids).order_by().values(*fields, part=Value(part), pos=pos)


def _in_order(rows: list[dict], sort: lists.Sort | None) -> None:
    """The page's rows in the order `sort` picked them (in place)."""
    sort = sort or DUE
    if sort.key == DUE.key:
        rows.sort(key=lambda r: (r["due_at"], r["id"]), reverse=sort.descending)
    else:
        rows.sort(key=lambda r: r["pos"])


def _pages(parts: dict[str, tuple], fields, counted: dict | None = None, sort=None) -> dict[str, list[dict]]:
    """Each part's page, {key: (rows, start, stop)}, the sections (SECTIONS) in `sort`'s order, "escalated to
    you" and the problems by due time. One part: one statement. Several (the sections and "escalated
    to you"): their ids first, in one UNION ALL of picks on the partial indexes (each cheap to plan), then the rows
    of those ids, joined once. The parts' joins in one UNION ALL cost PostgreSQL more to plan (~13 ms at 1M, four
    nine-table joins) than to run (~3 ms)."""
    found: dict[str, list[dict]] = {key: [] for key in parts}
    columns = fields if len(parts) == 1 else ("id",)
    sorts = {key: sort if key in SECTIONS else None for key in parts}
    picked = [_picked(rows, start, stop, columns, key, sorts[key]) for key, (rows, start, stop) in parts.items()]
    if len(picked) == 1:
        for row in picked[0]:
            found[row.pop("part")].append(row)
    elif picked:
        part_of = defaultdict(list)
        for row_id, part, pos in _picked_ids(picked, counted):
            if part.startswith(COUNTED):  # a count (`counted`): the number, not an id
                found[part] = row_id
            else:
                part_of[row_id].append((part, pos))
        rows = DueCommunication.objects.filter(_id_in(list(part_of))).order_by().values(*fields) if part_of else []
        for row in rows:
            for key, pos in part_of[row["id"]]:
                found[key].append(dict(row, pos=pos))
    for key, rows in found.items():
        if isinstance(rows, list):
            _in_order(rows, sorts.get(key))
    return found


def _picked_ids(picked: list, counted: dict | None) -> list[tuple[int, str]]:
    """(id, part, pos) of the picks' UNION ALL, and (`counted`) each count as (n, COUNTED + key, 0) in the same
    statement, counted as queue_counts counts: one round trip fewer for the page's first view."""
    sql, params = picked[0].union(*picked[1:], all=True).query.sql_with_params()  # columns: id, part, pos
    for key, rows in (counted or {}).items():
        count_sql, count_params = rows.order_by().values("id")[: CAP + 1].query.sql_with_params()
        sql += f" UNION ALL SELECT COUNT(*), %s, 0 FROM ({count_sql}) AS {key}"  # noqa: S608  (the ORM's SQL)
        params = (*params, COUNTED + key, *count_params)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _id_in(ids: list[int]) -> Q:
    """id in `ids`: on PostgreSQL one array parameter, so the statement's text is the same for any number of ids
    and stays prepared (an IN list of 60 or 75 ids is a new statement, planned each time: 1.4 ms at 1k for a few
    joins); an IN list elsewhere."""
    if connection.vendor == "postgresql":
        return Q(RawSQL('"comms_duecommunication"."id" = ANY(%s::bigint[])', (ids,), output_field=BooleanField()))
    return Q(id__in=ids)


def _section(user, key: str, at: datetime, mine: bool, kind: str = ""):
    rows = _mine(scoped(DueCommunication.objects.filter(Inlined(PENDING_DUE)), user), user, mine, kind)
    return rows.filter(_bounds(at)[key])


def section_rows(*, user, key: str, at: datetime, page: int = 1, mine: bool = False) -> list[dict]:
    start = (page - 1) * PAGE
    return _pages({key: (_section(user, key, at, mine), start, start + PAGE)}, ROW_FIELDS)[key]


def work_queue(
    *,
    user,
    at: datetime | None = None,
    mine: bool = False,
    only: str | None = None,
    page: int = 1,
    kind: str = "",
    sort: lists.Sort | None = None,
    size: int | None = None,
) -> Queue:
    """The page: every section's first `size` rows (PAGE unless given), or (`only`) one section's `page`-th;
    the sections in `sort`'s order (SORTING), only letters of `kind` (LetterType) when given."""
    at, size, sort = at or timezone.now(), size or PAGE, sort or DUE
    bounded = sort.key != DUE.key
    if not only and page <= 1:  # the first view: every section's first page, picked with the counts (_picked_ids)
        parts = {key: (_section(user, key, at, mine, kind), 0, size) for key in SECTIONS}
        escalated = _mine(scoped(DueCommunication.objects.filter(Inlined(PENDING_DUE), escalated_to=user), user),
                          user, False, kind)  # fmt: skip
        parts[ESCALATED] = (escalated, 0, PAGE)
        parts[PROBLEMS] = (_problem_rows(user, mine, kind), 0, PROBLEMS_SHOWN)
        rows = _pages(parts, ALL_FIELDS, counted=_counted(user=user, at=at, mine=mine, kind=kind), sort=sort)
        counts = {key: rows.pop(COUNTED + key) for key in ("overdue", "escalated", "today", "upcoming", "problems")}
        sections = [Section(key, title, counts[key], size=size, bounded=bounded) for key, title in SECTIONS.items()]
    else:
        counts = queue_counts(user=user, at=at, mine=mine, kind=kind)
        sections, parts = [], {}
        for key, title in SECTIONS.items():
            if only and key != only:
                continue
            section = Section(key, title, counts[key], size=size, bounded=bounded)
            # capped, the pages go on while they are full (a page past the end shows nothing); MAX_PAGE keeps the
            # offset a number the database takes; sorted by another column, the CAP rows sorted are the end
            section.page = min(max(page, 1), MAX_PAGE if section.capped and not bounded else section.pages)
            if section.count:  # an empty section reads nothing
                start = (section.page - 1) * size
                parts[key] = (_section(user, key, at, mine, kind), start, start + size)
            sections.append(section)
        if only:
            rows = _pages(parts, ROW_FIELDS, sort=sort)
        else:  # "escalated to you" and the problems: picked in the same statement, their rows read in the same one
            escalated = _mine(scoped(DueCommunication.objects.filter(Inlined(PENDING_DUE), escalated_to=user), user),
                              user, False, kind)  # fmt: skip
            parts[ESCALATED] = (escalated, 0, PAGE)
            parts[PROBLEMS] = (_problem_rows(user, mine, kind), 0, PROBLEMS_SHOWN)
            rows = _pages(parts, ALL_FIELDS, sort=sort)
    for section in sections:
        section.groups = _by_owner(rows.get(section.key, []))
    if only:
        return Queue(counts, sections, [], [])
    return Queue(counts, sections, _problems(rows[PROBLEMS]), rows[ESCALATED])


def owner_label(row: dict) -> str:
    """As User.__str__ writes it (full name, else username); nobody: 'Unassigned <role>'."""
    if row["owner_id"] is None:
        return f"Unassigned {ROLES.get(row['owner_role'], row['owner_role']).lower()}"
    name = f"{row['owner__first_name']} {row['owner__last_name']}".strip()
    return name or row["owner__username"]


def _by_owner(rows: list[dict]) -> list[tuple[str, list[dict]]]:
    groups: dict[str, list] = defaultdict(list)
    for row in rows:
        groups[owner_label(row)].append(row)
    return sorted(groups.items(), key=lambda g: (g[0].startswith("Unassigned"), g[0]))


def _problem_rows(user, mine: bool, kind: str = ""):
    return _mine(scoped(DueCommunication.objects.filter(Inlined(PROBLEM_DUE)), user), user, mine, kind)


def _problems(rows: list[dict]) -> list[ProblemGroup]:
    """Letters that cannot go as they are (the PROBLEMS_SHOWN oldest, `rows`), grouped by referrer (a referrer
    without a usable address stops every letter to them: one fix for the group)."""
    groups: dict[int | None, ProblemGroup] = {}
    for row in rows:
        ref = row["referral__referrer_id"]
        if ref not in groups:
            name = f"{row['referral__referrer__first_name'] or ''} {row['referral__referrer__last_name'] or ''}"
            credential = row["referral__referrer__credential"]
            name = f"{name.strip()}, {credential}" if credential else name.strip()
            groups[ref] = ProblemGroup(ref, name or "Self-referrals (no referring clinician)", [])
        groups[ref].rows.append(row)
        groups[ref].failed += row["letter__outbox__status"] == OutboxStatus.FAILED
    return list(groups.values())
