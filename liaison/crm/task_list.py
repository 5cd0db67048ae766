"""The liaison's task list: open tasks in three sections (overdue, due in the next 7 days, later in the next 60),
each section's count from one grouped query and its first rows shown, the rest a page away ("all overdue", 50 to
a page). A network's open tasks grow with its history (21,668 at 1M referrals): listing 500 of them on every visit
cost 340 ms of template work. The rows are written here rather than by template loops (the target list's
approach); every value from the database goes through format_html's escaping. Scoped like queries.py."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.timesince import timesince

from liaison.crm.choices import TaskStatus
from liaison.crm.models import Task
from liaison.crm.queries import check_can_read

SHOWN = 25  # rows of each section on the list
PER_PAGE = 50  # rows of one section's own pages
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


def _rows_of(qs: QuerySet[Task]) -> QuerySet[Task]:
    return qs.select_related("owner", "relationship__referrer", "relationship__practice").order_by("due_at", "id")


def _first(qs: QuerySet[Task], n: int) -> list[Task]:
    """The first n tasks of qs by due time, with their relationship, referrer or practice and owner: the n ids
    chosen in a subquery over the tasks alone, then joined. Asked as one query with the joins, PostgreSQL joined
    every task of the window (1,339 at 1M) before keeping 25 (20-35 ms)."""
    ids = qs.order_by("due_at", "id").values("id")[:n]
    return list(_rows_of(Task.objects.filter(id__in=Subquery(ids))))


def task_sections(*, user, who: str, now: datetime | None = None, csrf_token: str | None = None) -> list[Section]:
    """Each section's count (one grouped query) and its first SHOWN rows (one query each, read down the
    owner/status/due index)."""
    now = now or timezone.now()
    qs, windows = open_tasks(user=user, who=who), _windows(now)
    # Only the next 60 days' tasks are counted: most open tasks (18,000 of 21,668 at 1M) are due after them.
    counts = qs.filter(due_at__lt=now + HORIZON).aggregate(**{key: Count("id", filter=q) for key, q in windows.items()})
    out = []
    for key, (heading, empty) in SECTIONS.items():
        items = _first(qs.filter(windows[key]), SHOWN)  # asked even when empty: the same queries every time
        rows = rows_html(items, key=key, now=now, csrf_token=csrf_token)
        out.append(Section(key, heading, empty, counts[key], rows, counts[key] > SHOWN))
    return out


def section_page(
    *, user, who: str, key: str, number, now: datetime | None = None, csrf_token: str | None = None
) -> tuple[Section, Page]:
    """One section's tasks, PER_PAGE to a page (an unknown section is the caller's 404; a page number past the end
    shows the last page)."""
    now = now or timezone.now()
    heading, empty = SECTIONS[key]
    paginator = Paginator(_rows_of(open_tasks(user=user, who=who).filter(_windows(now)[key])), PER_PAGE)
    page = paginator.get_page(number)
    rows = rows_html(list(page.object_list), key=key, now=now, csrf_token=csrf_token)
    return Section(key, heading, empty, paginator.count, rows, False), page


# ---------------------------------------------------------------- rows

DONE = (
    '<td><form method="post" action="{}"><input type="hidden" name="csrfmiddlewaretoken" value="{}">'
    '<button class="btn quiet">Done</button></form></td>'
)


def rows_html(items: list[Task], *, key: str, now: datetime, csrf_token: str | None = None) -> SafeString:
    """The rows of the _task_table.html table. `csrf_token` given: each row has its "Done" button."""
    referrer_url = reverse("crm:referrer", args=[0])[: -len("0/")]
    practice_url = reverse("crm:practice", args=[0])[: -len("0/")]
    done_url = reverse("crm:task_done", args=[0])[: -len("0/done/")]
    overdue = key == "overdue"

    def row(t: Task) -> SafeString:
        due = date_format(timezone.localtime(t.due_at), "D M j")
        late = format_html('<div class="small">{} late</div>', timesince(t.due_at, now)) if overdue else ""
        detail = format_html('<div class="muted small">{}</div>', t.detail) if t.detail else ""
        rel = t.relationship
        if rel.referrer_id:
            who = format_html('<a href="{}{}/">{}</a>', referrer_url, rel.referrer_id, rel.referrer.display_name)
        else:
            who = format_html('<a href="{}{}/">{}</a>', practice_url, rel.practice_id, rel.practice.name)
        done = format_html(DONE, f"{done_url}{t.pk}/done/", csrf_token) if csrf_token else ""
        return format_html(
            '<tr><td class="crm-nowrap{}">{}{}</td><td>{}{}</td><td>{}</td><td>{}</td>{}</tr>',
            " overdue" if overdue else "", due, late, t.title, detail, who, t.owner or "Unassigned", done,
        )  # fmt: skip

    return format_html_join("\n", "{}", ((row(t),) for t in items))
