"""The task list as its address says: sorted by a column, filtered by window, kind and whose, a page of a chosen
size, in the same statements at 25 rows as at 200; a value it does not know is a 400 naming the parameter."""

from datetime import timedelta

import pytest
import time_machine

from liaison.accounts.tests.factories import DirectorFactory, LiaisonFactory
from liaison.crm import services
from liaison.crm.choices import TaskKind
from liaison.crm.models import Task
from liaison.crm.tests.test_task_list import NOW, get
from liaison.directory.tests.factories import PracticeFactory, ReferrerFactory

pytestmark = pytest.mark.django_db

LIST_QUERIES = [
    "django_session", "accounts_user",  # signed in
    "crm_task",  # how many the list holds
    "crm_task",  # the page's ids, in the chosen order
    "crm_task",  # those rows, joined to their referrer or practice and owner
    "core_clinic",  # the header
    "SAVEPOINT", "django_session", "RELEASE",  # the session's idle timer
]  # fmt: skip


def task(*, last_name="Smith", owner=None, days=1.0, kind=TaskKind.MONTHLY_TOUCH, title="Touch", practice=False):
    rel = services.relationship_ensure(
        practice=PracticeFactory(name=last_name) if practice else None,
        referrer=None if practice else ReferrerFactory(last_name=last_name),
    )
    return Task.objects.create(
        relationship=rel, kind=kind, title=title, owner=owner, created_at=NOW, due_at=NOW + timedelta(days=days)
    )


def order(response, names) -> list[str]:
    page = response.content.decode()
    return sorted(names, key=lambda name: page.find(f">{name}<"))


@pytest.fixture
def cast(liaison):
    zoe = LiaisonFactory(first_name="Zoe", last_name="Zed", username="zoe")
    dina = DirectorFactory(first_name="Abe", last_name="Able", username="abe")
    return {
        "b": task(last_name="Brown", owner=liaison, days=3, title="B-task", kind=TaskKind.OTHER),
        "a": task(last_name="Adams", owner=zoe, days=5, title="A-task"),
        "c": task(last_name="Cole", owner=dina, days=-2, title="C-task", kind=TaskKind.OTHER),
        "p": task(last_name="Avenue Clinic", owner=None, days=40, title="P-task", practice=True),
    }


@pytest.mark.parametrize(
    "query, expected",
    [
        ("?who=all&sort=due", ["C-task", "B-task", "A-task", "P-task"]),
        ("?who=all&sort=-due", ["P-task", "A-task", "B-task", "C-task"]),
        ("?who=all&sort=referrer", ["A-task", "B-task", "C-task", "P-task"]),  # clinicians by surname, then practices
        ("?who=all&sort=owner", ["C-task", "B-task", "A-task", "P-task"]),  # Abe, Lee, Zoe, then the unassigned
        ("?who=all&sort=kind", ["A-task", "P-task", "C-task", "B-task"]),  # monthly touches, then the others, by due
    ],
)
def test_each_column_sorts_the_list(query, expected, cast, client_for, liaison):
    response, _ = get(client_for(liaison), "/crm/" + query)
    assert order(response, expected) == expected
    assert response.context["page"].paginator.count == 4


@pytest.mark.parametrize(
    "query, shown",
    [
        ("?window=overdue&who=all", {"C-task"}),
        ("?window=week&who=all", {"B-task", "A-task"}),
        ("?window=later&who=all", {"P-task"}),
        ("?kind=other&who=all", {"B-task", "C-task"}),
        ("?sort=due", {"B-task", "P-task"}),  # mine: my own and the unassigned
        ("?who=mine&sort=due", {"B-task", "P-task"}),
        ("?who=me&sort=due", {"B-task", "P-task"}),  # the older name of "mine", from bookmarks
        ("?section=overdue&who=all", {"C-task"}),  # the older name of the window
    ],
)
def test_the_filters_are_in_the_address(query, shown, cast, client_for, liaison):
    response, _ = get(client_for(liaison), "/crm/" + query)
    page = response.content.decode()
    assert {t for t in ("A-task", "B-task", "C-task", "P-task") if f">{t}<" in page} == shown


def test_the_sort_links_keep_the_filters_and_start_again_at_page_one(cast, client_for, liaison):
    page = get(client_for(liaison), "/crm/?who=all&kind=other&page=1&size=25")[0].content.decode()
    assert 'href="?who=all&amp;kind=other&amp;size=25&amp;sort=owner"' in page
    assert 'href="?who=all&amp;kind=other&amp;size=50"' in page  # the size links drop the page too


@pytest.mark.parametrize(
    "query, field",
    [
        ("?sort=colour", "sort"),
        ("?size=7", "size"),
        ("?kind=lunch", "kind"),
        ("?window=yesterday", "window"),
        ("?section=nonsense", "section"),
        ("?who=them", "who"),
    ],
)
def test_a_value_the_list_does_not_know_is_a_400_naming_it(query, field, client_for, liaison):
    with time_machine.travel(NOW, tick=False):
        response = client_for(liaison).get("/crm/" + query)
    assert response.status_code == 400
    assert response.context["field"] == field
    assert f"<code>{field}</code>" in response.content.decode()


@pytest.mark.parametrize("size", [25, 200])
def test_the_list_costs_the_same_statements_at_every_page_size(size, client_for, liaison):
    rel = services.relationship_ensure(referrer=ReferrerFactory(last_name="Many"))
    Task.objects.bulk_create(
        Task(relationship=rel, kind=TaskKind.OTHER, title=f"T{i}", owner=liaison, created_at=NOW,
             due_at=NOW + timedelta(hours=i))
        for i in range(230)
    )  # fmt: skip
    client = client_for(liaison)
    for sort in ("due", "referrer", "owner", "-kind"):
        response, queries = get(client, f"/crm/?who=all&window=&size={size}&sort={sort}")
        assert response.content.decode().count('name="ids"') == size
        assert queries == LIST_QUERIES, sort


def test_a_reader_who_may_not_write_sees_no_boxes_and_no_bulk_bar(cast, client_for, coordinator):
    page = get(client_for(coordinator), "/crm/?who=all&sort=due")[0].content.decode()
    assert "B-task" in page and 'name="ids"' not in page and "task-bulk" not in page


@pytest.mark.parametrize("who", ["alice", "bob", "practice_admin"])
def test_outside_roles_are_refused(who, request, client_for, cast):
    with time_machine.travel(NOW, tick=False):
        assert client_for(request.getfixturevalue(who)).get("/crm/?who=all&sort=due").status_code == 403
