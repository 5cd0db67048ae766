"""The liaison's task list: open tasks in three sections (overdue, due in the next 7 days, later in the next 60),
each section's count from one grouped query and its first rows shown, the rest a page away ("all overdue", 50 to
a page). A network's open tasks grow with its history (21,668 at 1M referrals): listing 500 of them on every visit
cost 340 ms of template work. The rows are written here rather than by template loops (the target list's
approach); every value from the database goes through format_html's escaping. Scoped like queries.py.

The list (`task_page`): open tasks filtered by window, kind and whose, sorted by a column, a page of a chosen size.
Its ids first (one statement, the count another), then the page's rows by id, joined: the same three statements
at 25 rows and at 200."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.timesince import timesince

from liaison.core.lists import Sort, Sorting
from liaison.core.templatetags.lists import select_row
from liaison.crm.choices import TaskKind, TaskStatus
from liaison.crm.models import Task
from liaison.crm.queries import check_can_read

SHOWN = 25  # rows of each section on the list
PER_PAGE = 50  # rows of one section's own pages, unless the address asks for another size (lists.PAGE_SIZES)
HORIZON = timedelta(days=60)  # "later" ends here
SECTIONS = {  # key: (heading, empty)
    "overdue": ("Overdue", "Nothing overdue."),
    "week": ("Due in the next 7 days", "Nothing due this week."),
    "later": ("Later (next 60 days)", "Nothing planned."),
}


@dataclass
class Section:
    key: str
    heading: str
    empty: str
    count: int
    rows: SafeString
    more: bool  # more rows than shown: the section's own pages list them
    shown: int = 0  # rows shown (on the sections page: its first SHOWN)


def _windows(now: datetime) -> dict[str, Q]:
    week, horizon = now + timedelta(days=7), now + HORIZON
    return {
        "overdue": Q(due_at__lt=now),
        "week": Q(due_at__gte=now, due_at__lt=week),
        "later": Q(due_at__gte=week, due_at__lt=horizon),
    }


def open_tasks(*, user, who: str) -> QuerySet[Task]:
    """Open tasks, the user's own and the unassigned ones unless `who` is "all"."""
    check_can_read(user)
    qs = Task.objects.filter(status=TaskStatus.OPEN)
    if who == "me":
        qs = qs.filter(Q(owner=user) | Q(owner__isnull=True))
    return qs


ROW_FIELDS = (
    "id", "title", "detail", "kind", "due_at", "relationship__referrer_id", "relationship__practice_id",
    "relationship__referrer__first_name", "relationship__referrer__last_name", "relationship__referrer__credential",
    "relationship__practice__name", "owner_id", "owner__first_name", "owner__last_name", "owner__username",
)  # fmt: skip

# The three sections' first rows and counts, in one statement of fixed text (prepared once per connection, so not
# planned again on every view). "Mine" is mine-or-unassigned, which no one index walks in due order: each section is
# two ordered walks of the owner/status/due index, mine and the unassigned, their first SHOWN each; the first SHOWN of
# both together are among them. Asked as one filter with an OR, every task of the 60-day window was read and sorted
# (1,490 at 1M). Each pick is a LIMITed subquery in FROM (SQLite takes no LIMIT in a compound's own parts).
_PICK = (
    'SELECT * FROM (SELECT %s AS part, "id", "due_at" FROM "crm_task" WHERE "status" = %s AND {owner}'
    ' AND "due_at" >= %s AND "due_at" < %s ORDER BY "due_at", "id" LIMIT %s) AS "{alias}"'
)
_COUNT = (
    'SELECT %s AS part, COUNT(*) AS "id", NULL AS "due_at" FROM "crm_task" WHERE "status" = %s AND {owner}'
    ' AND "due_at" >= %s AND "due_at" < %s'
)
_OWNERS = {
    "me": ('"owner_id" = %s', '"owner_id" IS NULL'),
    "all": ("1 = 1",),  # no owner parameter
}
_SQL = {
    who: " UNION ALL ".join(
        [_PICK.format(owner=o, alias=f"{key}_{i}") for key in SECTIONS for i, o in enumerate(owners)]
        + [_COUNT.format(owner=f"({' OR '.join(owners)})") for _ in SECTIONS]
    )
    for who, owners in _OWNERS.items()
}  # fmt: skip
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)  # "overdue" has no lower bound: one shape of SQL for every section


def _params(*, user, who: str, bounds: dict[str, tuple[datetime, datetime]]) -> list:
    owner_params = {"me": ([user.pk], []), "all": ([],)}[who]
    picks = [[key, TaskStatus.OPEN, *o, low, high, SHOWN] for key, (low, high) in bounds.items() for o in owner_params]
    counts = [
        [f"#{key}", TaskStatus.OPEN, *([user.pk] if who == "me" else []), low, high]
        for key, (low, high) in bounds.items()
    ]
    return [p for part in picks + counts for p in part]


def _first(*, user, who: str, now: datetime) -> tuple[dict[str, int], dict[str, list[dict]]]:
    """Each section's count and its first SHOWN rows by due time: two statements whatever the lists' length, the
    ids and counts first (above), then the rows of those ids, joined. Asked as one query with the joins,
    PostgreSQL joined every task of the window (1,339 at 1M) before keeping 25 (20-35 ms)."""
    week, horizon = now + timedelta(days=7), now + HORIZON
    bounds = {"overdue": (EARLIEST, now), "week": (now, week), "later": (week, horizon)}
    with connection.cursor() as cursor:
        cursor.execute(_SQL[who], _params(user=user, who=who, bounds=bounds))
        found = cursor.fetchall()
    counts = {part[1:]: n for part, n, _ in found if part.startswith("#")}
    picked: dict[str, list[tuple]] = {key: [] for key in SECTIONS}
    for part, task_id, due_at in found:
        if not part.startswith("#"):
            picked[part].append((_aware(due_at), task_id))
    chosen = {key: [task_id for _, task_id in sorted(picks)[:SHOWN]] for key, picks in picked.items()}
    ids = [task_id for section in chosen.values() for task_id in section]
    by_id = {row["id"]: row for row in Task.objects.filter(_id_in(ids)).values(*ROW_FIELDS)} if ids else {}
    return counts, {key: [by_id[i] for i in section if i in by_id] for key, section in chosen.items()}


def _aware(value) -> datetime:
    """A due time as the cursor gives it: PostgreSQL's are aware datetimes, SQLite's text in UTC."""
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)
    return parse_datetime(value).replace(tzinfo=UTC)


def _id_in(ids: list[int]) -> Q:
    """id in `ids`, as one array parameter on PostgreSQL (one text of SQL for any number of ids, so prepared once
    and not planned again); an IN list elsewhere."""
    if connection.vendor == "postgresql":
        return Q(RawSQL('"crm_task"."id" = ANY(%s::bigint[])', (ids,), output_field=BooleanField()))
    return Q(id__in=ids)


def task_sections(
    *, user, who: str, now: datetime | None = None, csrf_token: str | None = None, select: str = ""
) -> list[Section]:
    """Each section's count and its first SHOWN rows (two statements, _first)."""
    check_can_read(user)
    now = now or timezone.now()
    counts, rows = _first(user=user, who=who, now=now)
    out = []
    for key, (heading, empty) in SECTIONS.items():
        html = rows_html(rows[key], key=key, now=now, csrf_token=csrf_token, select=select)
        # The link to the rest whenever fewer rows are shown than counted (not only past SHOWN: a task done between
        # the count and the rows' read is counted but not shown).
        shown = len(rows[key])
        out.append(Section(key, heading, empty, counts[key], html, counts[key] > shown, shown))
    return out


# The list's columns. Due and kind walk an index of crm_task ((owner, status, due_at) for mine, (status, due_at) and
# (status, kind, due_at) for everyone's); referrer and owner sort a bounded set: the open tasks of the chosen window
# and whose (a few per relationship; 21,668 in all at 1M referrals), their ids only, joined to the names they sort by.
SORTING = Sorting(
    columns={
        "due": ("due_at",),
        "referrer": ("relationship__referrer__last_name", "relationship__referrer__first_name",
                     "relationship__practice__name"),
        "kind": ("kind", "due_at"),
        "owner": ("owner__first_name", "owner__last_name", "owner__username"),
    },
    default="due",
)  # fmt: skip
WINDOWS = {"": "Every open task", **{key: heading for key, (heading, _) in SECTIONS.items()}}
WHO = {"mine": "Mine and the unassigned", "all": "Everyone's"}


@dataclass(frozen=True)
class View:
    """What the task list's address asks for (task_views reads it; lists.ListError names a value it lacks)."""

    who: str = "me"  # "me" (mine and the unassigned) or "all"
    window: str = ""  # "" (every open task) or a key of SECTIONS
    kind: str = ""
    sort: Sort = SORTING.parse(None)
    size: int = PER_PAGE


def task_page(
    *, user, view: View, number, now: datetime | None = None, csrf_token: str | None = None, select: str = ""
) -> tuple[Section, Page]:
    """Open tasks as `view` says, a page of them (a page number past the end shows the last page): the count and
    the page's ids, then its rows by id."""
    now = now or timezone.now()
    tasks = open_tasks(user=user, who=view.who)
    if view.window:
        tasks = tasks.filter(_windows(now)[view.window])
    if view.kind:
        tasks = tasks.filter(kind=view.kind)
    ids = tasks.order_by(*view.sort.order_by("due_at", "id")).values_list("id", flat=True)
    page = Paginator(ids, view.size).get_page(number)
    page_ids = list(page.object_list)
    by_id = {row["id"]: row for row in Task.objects.filter(_id_in(page_ids)).values(*ROW_FIELDS)} if page_ids else {}
    rows = rows_html([by_id[i] for i in page_ids if i in by_id], now=now, csrf_token=csrf_token, select=select)
    heading = WINDOWS[view.window] + (f": {TaskKind(view.kind).label}" if view.kind else "")
    return Section(view.window or "open", heading, "No open tasks here.", page.paginator.count, rows, False), page


# ---------------------------------------------------------------- rows

DONE = (
    '<td><form method="post" action="{}"><input type="hidden" name="csrfmiddlewaretoken" value="{}">'
    '<button class="btn quiet">Done</button></form></td>'
)


def rows_html(
    items: list[dict], *, key: str = "", now: datetime, csrf_token: str | None = None, select: str = ""
) -> SafeString:
    """The rows of the _task_table.html table. `csrf_token` given: each row has its "Done" button; `select` (a bulk
    form's id): each row its box for the bulk actions. A row due before `now` is marked late."""
    referrer_url = reverse("crm:referrer", args=[0])[: -len("0/")]
    practice_url = reverse("crm:practice", args=[0])[: -len("0/")]
    done_url = reverse("crm:task_done", args=[0])[: -len("0/done/")]
    kinds = dict(TaskKind.choices)

    def row(t: dict) -> SafeString:
        due_at = t["due_at"]
        overdue = due_at < now
        due = date_format(timezone.localtime(due_at), "D M j")
        late = format_html('<div class="small">{} late</div>', timesince(due_at, now)) if overdue else ""
        detail = format_html('<div class="muted small">{}</div>', t["detail"]) if t["detail"] else ""
        if t["relationship__referrer_id"]:
            name = f"{t['relationship__referrer__first_name']} {t['relationship__referrer__last_name']}"
            credential = t["relationship__referrer__credential"]
            name = f"{name}, {credential}" if credential else name  # as Referrer.display_name
            who = format_html('<a href="{}{}/">{}</a>', referrer_url, t["relationship__referrer_id"], name)
        else:
            practice = t["relationship__practice__name"]
            who = format_html('<a href="{}{}/">{}</a>', practice_url, t["relationship__practice_id"], practice)
        done = format_html(DONE, f"{done_url}{t['id']}/done/", csrf_token) if csrf_token else ""
        pick = format_html('<td class="pick">{}</td>', select_row(select, t["id"], t["title"])) if select else ""
        return format_html(
            '<tr>{}<td class="crm-nowrap{}">{}{}</td><td>{}{}</td><td class="small">{}</td><td>{}</td><td>{}</td>{}'
            "</tr>",
            pick, " overdue" if overdue else "", due, late, t["title"], detail, kinds.get(t["kind"], t["kind"]), who,
            _owner(t), done,
        )  # fmt: skip

    return format_html_join("\n", "{}", ((row(t),) for t in items))


def _owner(t: dict) -> str:
    """As User.__str__ writes it (full name, else username); nobody: "Unassigned"."""
    if t["owner_id"] is None:
        return "Unassigned"
    return f"{t['owner__first_name']} {t['owner__last_name']}".strip() or t["owner__username"]
