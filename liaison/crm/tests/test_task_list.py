"""The liaison's task list shows each section's count and its first rows, the rest on the section's own pages,
in the same queries for 3 tasks as for 80; mine are mine and the unassigned, everyone's are everyone's."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from liaison.accounts.tests.factories import LiaisonFactory
from liaison.crm import services
from liaison.crm.choices import TaskKind, TaskStatus
from liaison.crm.models import Task
from liaison.crm.task_list import PER_PAGE, SHOWN
from liaison.directory.tests.factories import ReferrerFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 7, 15, 16, 0, tzinfo=UTC)
TABLE = re.compile(r'^(?:SELECT .*? FROM|INSERT INTO|UPDATE|DELETE FROM) "(\w+)"', re.S)
TASK_QUERIES = [
    "django_session", "accounts_user",  # signed in
    "crm_task",  # the three sections' counts and their first ids (mine and the unassigned walked apart), one statement
    "crm_task",  # the rows of those ids, joined
    "core_clinic",  # the header
    "SAVEPOINT", "django_session", "RELEASE",  # the session's idle timer
]  # fmt: skip


def tasks(n: int, *, owner, days: float, title: str = "Touch") -> list[Task]:
    rel = services.relationship_ensure(referrer=ReferrerFactory(last_name="<Smith>"))
    return [
        Task.objects.create(
            relationship=rel, kind=TaskKind.MONTHLY_TOUCH, title=f"{title} {i}", owner=owner, created_at=NOW,
            due_at=NOW + timedelta(days=days, minutes=i),
        )
        for i in range(n)
    ]  # fmt: skip


def get(client, url):
    with CaptureQueriesContext(connection) as captured, time_machine.travel(NOW, tick=False):
        response = client.get(url)
    assert response.status_code == 200
    return response, [(m.group(1) if (m := TABLE.match(q["sql"])) else q["sql"].split()[0]) for q in captured]


@pytest.mark.parametrize("n", [3, 80])
def test_each_section_shows_its_count_and_its_most_urgent_rows_in_the_same_queries(n, client_for, liaison):
    tasks(n, owner=liaison, days=-3, title="Late")
    tasks(n, owner=None, days=2, title="Soon")
    tasks(n, owner=liaison, days=30, title="Later")
    tasks(2, owner=liaison, days=90, title="Far")  # beyond the 60 days: on no section
    Task.objects.filter(title="Late 1").update(status=TaskStatus.DONE)
    response, queries = get(client_for(liaison), "/crm/")
    sections = {s.key: s for s in response.context["sections"]}
    assert [sections[k].count for k in ("overdue", "week", "later")] == [n - 1, n, n]
    page = response.content.decode()
    assert page.count("<tr><td") == min(n - 1, SHOWN) + 2 * min(n, SHOWN)
    assert "Late 0<" in page and "Late 1<" not in page and "Far 0<" not in page
    assert ('href="?window=later"' in page) is (n > SHOWN)
    assert "&lt;Smith&gt;" in page and "<Smith>" not in page  # every value escaped
    assert "csrfmiddlewaretoken" in page, page[page.find("<tbody>") :][:600]
    assert "3\xa0days late" in page, page[page.find("<tbody>") :][:600]
    assert queries == TASK_QUERIES  # on failure, the diff names the query that came or went


def test_a_section_pages_through_all_its_tasks_in_due_order(client_for, liaison):
    made = tasks(PER_PAGE + 5, owner=liaison, days=-10)
    client = client_for(liaison)
    first, _ = get(client, "/crm/?section=overdue")
    second, _ = get(client, "/crm/?section=overdue&page=2")
    assert first.context["page"].paginator.count == PER_PAGE + 5
    assert f"Touch {PER_PAGE - 1}<" in first.content.decode() and f"Touch {PER_PAGE}<" not in first.content.decode()
    assert f"Touch {PER_PAGE}<" in second.content.decode() and "page=1" in second.content.decode()
    assert len(made) == PER_PAGE + 5
    with time_machine.travel(NOW, tick=False):
        assert client.get("/crm/?section=nonsense").status_code == 400  # named, as every list's unknown value


def test_mine_are_mine_and_the_unassigned_everyones_are_everyones(client_for, liaison):
    other = LiaisonFactory()
    tasks(1, owner=liaison, days=1, title="Mine")
    tasks(1, owner=None, days=1, title="Nobody's")
    tasks(1, owner=other, days=1, title="Theirs")
    client = client_for(liaison)
    mine = get(client, "/crm/")[0].content.decode()
    everyone = get(client, "/crm/?who=all")[0].content.decode()
    assert "Mine 0" in mine and "Nobody&#x27;s 0" in mine and "Theirs 0" not in mine
    assert "Mine 0" in everyone and "Theirs 0" in everyone


def test_readers_who_may_not_write_see_no_done_button(client_for, coordinator):
    tasks(1, owner=None, days=1)
    page = get(client_for(coordinator), "/crm/?who=all")[0].content.decode()
    assert "Touch 0<" in page and "/done/" not in page


def test_a_section_with_more_than_it_shows_links_to_the_rest_by_its_heading_and_its_foot(client_for, liaison):
    """The reviewer's 27 due this week, 25 shown: the heading says so and links to all of them, as the foot does."""
    tasks(SHOWN + 2, owner=liaison, days=2, title="Soon")
    response, _ = get(client_for(liaison), "/crm/")
    page = response.content.decode()
    assert f"first {SHOWN} shown · all {SHOWN + 2} →" in page
    assert page.count('href="?window=week"') == 2  # by the heading and below the rows
    assert 'href="?window=overdue"' not in page and 'href="?window=later"' not in page  # nothing more to see


def test_a_task_counted_but_not_read_still_gets_the_link(client_for, liaison, monkeypatch):
    """Fewer rows than counted, under SHOWN (a task done between the count and the rows): the rest is a link away."""
    from liaison.crm import task_list

    tasks(3, owner=liaison, days=2, title="Soon")
    first = task_list._first

    def one_gone(**kwargs):
        counts, rows = first(**kwargs)
        return counts, rows | {"week": rows["week"][:2]}

    monkeypatch.setattr(task_list, "_first", one_gone)
    page = get(client_for(liaison), "/crm/")[0].content.decode()
    assert "first 2 shown · all 3 →" in page and 'href="?window=week"' in page
