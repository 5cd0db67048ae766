"""The relationship page's four lists in one query (liaison.crm.relationship_panels): each list in its own order
and limit, each row the same values the ORM reads, on SQLite and PostgreSQL alike."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from liaison.accounts.tests.factories import LiaisonFactory
from liaison.crm import services
from liaison.crm.choices import ConcernTag, InteractionKind, MeetingKind, MeetingStatus, TaskKind, TaskStatus
from liaison.crm.models import Concern, Interaction, Meeting, Task
from liaison.crm.relationship_panels import relationship_panels
from liaison.directory.tests.factories import ReferrerFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 5, 4, 15, 30, tzinfo=UTC)
FIELDS = {
    Interaction: ("pk", "at", "kind", "strategy", "outcome", "summary", "meeting_id", "by_id"),
    Task: ("pk", "due_at", "title", "detail", "owner_id"),
    Meeting: ("pk", "starts_at", "kind", "status"),
    Concern: ("pk", "raised_at", "tag", "note", "resolved"),
}


def values(items) -> list[tuple]:
    return [tuple(getattr(item, name) for name in FIELDS[type(item)]) for item in items]


def test_the_four_lists_come_in_one_query_in_their_own_orders_and_limits_as_the_orm_reads_them():
    liaison = LiaisonFactory(first_name="Lee", last_name="Liaison")
    rel = services.relationship_ensure(referrer=ReferrerFactory())
    other = services.relationship_ensure(referrer=ReferrerFactory())  # none of its rows may show
    meeting = Meeting.objects.create(relationship=rel, starts_at=T0, ends_at=T0 + timedelta(hours=1))
    for i in range(5):
        at = T0 + timedelta(days=i)
        for r in (rel, other):
            Interaction.objects.create(
                relationship=r, kind=InteractionKind.CALL, at=at, summary=f"Call {i}", by=liaison if i % 2 else None,
                meeting=meeting if i == 3 and r is rel else None,
            )  # fmt: skip
            Task.objects.create(
                relationship=r, kind=TaskKind.MONTHLY_TOUCH, title=f"Touch {i}", due_at=T0 - timedelta(days=i),
                created_at=T0, owner=liaison if i % 2 else None, status=TaskStatus.DONE if i == 2 else TaskStatus.OPEN,
            )  # fmt: skip
            Concern.objects.create(relationship=r, tag=ConcernTag.EVIDENCE, note=f"N{i}", raised_at=at, resolved=i == 0)
        Meeting.objects.create(
            relationship=rel, kind=MeetingKind.QUARTERLY, status=MeetingStatus.SCHEDULED, starts_at=at + timedelta(1),
            ends_at=at + timedelta(days=1, hours=1),
        )  # fmt: skip

    with CaptureQueriesContext(connection) as captured:
        contacts, tasks, meetings, concerns = relationship_panels(rel, history=3, limit=3)
    assert len(captured) == 1
    assert values(contacts) == values(rel.interactions.order_by("-at", "-id")[:3])
    assert values(tasks) == values(rel.tasks.filter(status=TaskStatus.OPEN).order_by("due_at", "id")[:3])
    assert values(meetings) == values(rel.meetings.order_by("-starts_at", "-id")[:3])
    assert values(concerns) == values(rel.concerns.order_by("resolved", "-raised_at", "-id")[:3])
    assert all(str(t.owner) == "Lee Liaison" for t in tasks if t.owner_id) and any(t.owner_id for t in tasks)
    assert contacts[0].by is None and str(contacts[1].by) == "Lee Liaison" and contacts[1].meeting_id == meeting.pk
    assert meetings[0].get_kind_display() == "Quarterly meeting" and concerns[-1].category


def test_a_relationship_with_nothing_has_four_empty_lists():
    rel = services.relationship_ensure(referrer=ReferrerFactory())
    assert relationship_panels(rel, history=21, limit=21) == ([], [], [], [])


def test_the_owners_and_the_templates_come_in_one_query_in_the_forms_orders():
    from liaison.crm.forms import liaisons
    from liaison.crm.models import OutreachTemplate
    from liaison.crm.relationship_panels import owners_and_templates

    for first, last in (("Zed", "Able"), ("Ann", "Zorn"), ("Ann", "Bell")):
        LiaisonFactory(first_name=first, last_name=last)
    OutreachTemplate.objects.create(name="Old one", subject="s", body="b", is_active=False)
    with CaptureQueriesContext(connection) as captured:
        owners, templates = owners_and_templates()
    assert len(captured) == 1
    assert owners == [(u.pk, str(u)) for u in liaisons()]
    assert templates == [(t.pk, str(t)) for t in OutreachTemplate.objects.filter(is_active=True)]


def test_a_writers_page_reads_the_panels_and_the_forms_lists_in_the_same_one_query():
    from liaison.crm.models import OutreachTemplate
    from liaison.crm.relationship_panels import owners_and_templates, panels_and_choices

    for first, last in (("Zed", "Able"), ("Ann", "Zorn"), ("Ann", "Bell")):
        LiaisonFactory(first_name=first, last_name=last)
    OutreachTemplate.objects.create(name="Old one", subject="s", body="b", is_active=False)
    OutreachTemplate.objects.create(name="New one", subject="s", body="b")
    rel = services.relationship_ensure(referrer=ReferrerFactory())
    owner = LiaisonFactory(first_name="Lee", last_name="Liaison")
    Task.objects.create(
        relationship=rel, kind=TaskKind.MONTHLY_TOUCH, title="Touch", due_at=T0, created_at=T0, owner=owner
    )
    with CaptureQueriesContext(connection) as captured:
        panels, choices = panels_and_choices(rel, history=3, limit=3, choices=True)
    assert len(captured) == 1
    assert [values(items) for items in panels] == [
        values(items) for items in relationship_panels(rel, history=3, limit=3)
    ]
    assert choices == owners_and_templates() and len(choices[0]) == 4 and choices[1]
    assert panels_and_choices(rel, history=3, limit=3, choices=False) == (panels, None)
