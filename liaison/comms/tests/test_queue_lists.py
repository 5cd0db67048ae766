"""The work queue as a list people work from: sorted within its sections (due time by the index; patient,
referrer and letter kind among a section's CAP oldest), narrowed to one kind of letter, a page size, all in the
address; a value it does not have is a 400 naming the parameter; the same queries whatever the page size or sort."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from liaison.comms import queue
from liaison.comms.models import DueCommunication
from liaison.comms.tests.helpers import referral_for

MORNING = time_machine.travel(datetime(2026, 11, 25, 15, 0, tzinfo=UTC), tick=False)
NAMES = (("Zoe", "Adams"), ("Yan", "Moss"), ("Xia", "Baker"), ("Will", "Young"))


@pytest.fixture
def morning():
    with MORNING:
        yield


@pytest.fixture
def cast(morning, protocol, clinic, coordinator, clinician):
    """Four referrals, each from its own referrer, each with overdue letters of two kinds."""
    referrals = []
    for i, (first, last) in enumerate(NAMES):
        referral = referral_for(
            coordinator=coordinator,
            clinician=clinician,
            patient={"first_name": first, "last_name": last},
            last_name=f"Ref{'DCBA'[i]}",
        )
        referrals.append(referral)
        now = timezone.now()
        DueCommunication.objects.bulk_create(
            DueCommunication(
                referral=referral, key=f"late:{n}", letter_type=kind, status="owed", owner=clinician,
                owner_role="clinician", triggered_at=now - timedelta(days=3), due_at=now - timedelta(hours=10 + i + n),
            )
            for n, kind in enumerate(("treatment_update", "outcome_summary"))
        )  # fmt: skip
    return referrals


def _overdue(client, query=""):
    response = client.get(f"/comms/?section=overdue{query}")
    assert response.status_code == 200, response.content
    (section,) = response.context["queue"].sections
    return response, [row for _, rows in section.groups for row in rows]


def _overdue_ids(order_by):
    rows = DueCommunication.objects.filter(status__in=["owed", "drafted"], due_at__lt=timezone.now())
    return list(rows.order_by(*order_by).values_list("id", flat=True))


@pytest.mark.django_db
def test_sorted_by_due_time_by_default_and_reversed(cast, client_for, coordinator, clinician):
    client = client_for(coordinator)
    # one owner: a single table in the section, so its rows are the section's order
    _, rows = _overdue(client)
    assert [r["id"] for r in rows] == _overdue_ids(["due_at", "id"])
    _, rows = _overdue(client, "&sort=-due")
    assert [r["id"] for r in rows] == _overdue_ids(["-due_at", "-id"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    "sort, order",
    [
        ("patient", ["referral__patient__last_name", "referral__patient__first_name", "due_at", "id"]),
        ("-patient", ["-referral__patient__last_name", "-referral__patient__first_name", "due_at", "id"]),
        ("referrer", ["referral__referrer__last_name", "referral__referrer__first_name", "due_at", "id"]),
        ("kind", ["letter_type", "due_at", "id"]),
    ],
)
def test_sorted_by_a_column_within_the_section(cast, client_for, coordinator, sort, order):
    response, rows = _overdue(client_for(coordinator), f"&sort={sort}")
    assert [r["id"] for r in rows] == _overdue_ids(order)
    body = response.content.decode()
    assert 'aria-sort="descending"' in body if sort.startswith("-") else 'aria-sort="ascending"' in body
    assert "Sorted among the" not in body  # not capped: every row of the section was sorted


@pytest.mark.django_db
def test_the_first_view_sorts_every_section_and_keeps_the_view_in_its_links(cast, client_for, clinician):
    response = client_for(clinician).get("/comms/?sort=patient&size=50&kind=treatment_update&mine=1")
    assert response.status_code == 200
    overdue = response.context["queue"].sections[0]
    names = [r["referral__patient__last_name"] for _, rows in overdue.groups for r in rows]
    assert names == sorted(names) and {r["letter_type"] for _, rows in overdue.groups for r in rows} == {
        "treatment_update"
    }
    body = response.content.decode()
    assert 'href="?sort=patient&amp;size=50&amp;kind=treatment_update&amp;mine=1&amp;section=overdue"' in body
    assert 'href="/comms/?sort=patient&amp;size=50&amp;kind=treatment_update"' in body  # "Everyone's" keeps the rest
    assert '<option value="treatment_update" selected>' in body and 'name="sort" value="patient"' in body


@pytest.mark.django_db
def test_sorted_by_another_column_among_the_oldest_when_capped(cast, client_for, coordinator, monkeypatch):
    monkeypatch.setattr(queue, "CAP", 3)
    response, rows = _overdue(client_for(coordinator), "&sort=-patient")
    oldest = _overdue_ids(["due_at", "id"])[:3]
    expected = DueCommunication.objects.filter(id__in=oldest).order_by(
        "-referral__patient__last_name", "-referral__patient__first_name", "due_at", "id"
    )
    assert [r["id"] for r in rows] == list(expected.values_list("id", flat=True))
    assert "Sorted among the 3 that have waited longest" in response.content.decode()
    (section,) = response.context["queue"].sections
    assert section.pages == 1 and not section.later


@pytest.mark.django_db
def test_one_kind_of_letter(cast, client_for, coordinator):
    response, rows = _overdue(client_for(coordinator), "&kind=outcome_summary")
    assert len(rows) == 4 and {r["letter_type"] for r in rows} == {"outcome_summary"}
    assert response.context["counts"]["overdue"] == 4
    first = client_for(coordinator).get("/comms/?kind=outcome_summary")
    assert first.context["counts"]["overdue"] == 4 and first.context["counts"]["today"] == 0


@pytest.mark.django_db
def test_a_page_size_in_the_address(cast, client_for, coordinator, clinician, monkeypatch):
    monkeypatch.setattr(queue, "PAGE", 3)  # the default when the address says none
    client = client_for(coordinator)
    _, rows = _overdue(client)
    assert len(rows) == 3
    response, rows = _overdue(client, "&size=25")
    (section,) = response.context["queue"].sections
    assert len(rows) == 8 == section.count and section.pages == 1
    assert '<strong aria-current="true">25</strong>' in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query, field",
    [
        ("sort=colour", "sort"),
        ("sort=-", "sort"),
        ("size=30", "size"),
        ("size=all", "size"),
        ("kind=postcard", "kind"),
        ("mine=yes", "mine"),
        ("section=late", "section"),
    ],
)
def test_a_value_the_queue_does_not_have_is_refused_by_name(cast, client_for, coordinator, query, field):
    response = client_for(coordinator).get(f"/comms/?{query}")
    assert response.status_code == 400
    assert f"<code>{field}</code>" in response.content.decode()


def _count(client, url):
    client.get(url)  # warm: the session, the caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.django_db
def test_the_same_queries_whatever_the_size_sort_or_kind(cast, client_for, director):
    from liaison.comms.tests.test_queue import PAGE_QUERIES, SECTION_PAGE_QUERIES

    client = client_for(director)
    for view in ("", "?size=200", "?sort=patient&size=100", "?sort=-referrer&kind=treatment_update", "?sort=kind"):
        assert _count(client, f"/comms/{view}") == PAGE_QUERIES, view
    for view in ("", "&size=200", "&sort=patient&size=50&page=2", "&sort=-due&kind=outcome_summary"):
        assert _count(client, f"/comms/?section=overdue{view}") == SECTION_PAGE_QUERIES, view
