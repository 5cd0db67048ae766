"""Bulk actions on the task list: mark done and reassign. One confirmation that changes nothing, then each task
through services.task_complete or services.task_reassign, and a summary naming what changed and what did not; a
request that is wrong itself (no tasks, an unknown one, nobody to give them to) changes nothing."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from liaison.accounts.tests.factories import ClinicianFactory, LiaisonFactory
from liaison.core.models import AuditEvent
from liaison.crm import services
from liaison.crm.choices import TaskKind, TaskStatus
from liaison.crm.models import Task
from liaison.crm.tests.test_task_list import NOW
from liaison.directory.tests.factories import ReferrerFactory

pytestmark = pytest.mark.django_db
URL = reverse("crm:tasks_bulk")


@pytest.fixture
def three(liaison):
    rel = services.relationship_ensure(referrer=ReferrerFactory(first_name="Rita", last_name="Reyes", credential=""))
    return [
        Task.objects.create(relationship=rel, kind=TaskKind.OTHER, title=f"Call {i}", owner=liaison, created_at=NOW,
                            due_at=NOW + timedelta(days=i))
        for i in range(3)
    ]  # fmt: skip


def ids(tasks) -> list[str]:
    return [str(t.pk) for t in tasks]


def said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_mark_done_asks_once_then_finishes_each_and_says_so(client_for, liaison, three):
    client = client_for(liaison)
    asked = client.post(URL, {"action": "done", "ids": ids(three), "next": "/crm/?who=all"})
    assert asked.status_code == 200 and "Call 0 (Rita Reyes)" in asked.content.decode()
    assert Task.objects.filter(status=TaskStatus.OPEN).count() == 3  # the confirmation changed nothing
    done = client.post(URL, {"action": "done", "ids": ids(three), "confirm": "1", "next": "/crm/?who=all"})
    assert done.status_code == 302 and done.url == "/crm/?who=all"
    assert Task.objects.filter(status=TaskStatus.DONE).count() == 3
    assert said(done) == ["Marked done 3 tasks: Call 0 (Rita Reyes), Call 1 (Rita Reyes), Call 2 (Rita Reyes)."]
    assert AuditEvent.objects.filter(action="crm.task.complete", actor=liaison).count() == 3


def test_a_task_done_meanwhile_is_named_and_the_others_still_change(client_for, liaison, three):
    services.task_complete(task=three[1], by=liaison)
    before = AuditEvent.objects.count()
    done = client_for(liaison).post(URL, {"action": "done", "ids": ids(three), "confirm": "1"})
    assert said(done) == [
        "Marked done 2 tasks: Call 0 (Rita Reyes), Call 2 (Rita Reyes).",
        "Call 1 (Rita Reyes) was not changed: It is done already.",
    ]
    assert AuditEvent.objects.count() == before + 2


def test_reassign_asks_whom_then_gives_each_and_records_it(client_for, liaison, three):
    zoe = LiaisonFactory(first_name="Zoe", last_name="Zed")
    client = client_for(liaison)
    asked = client.post(URL, {"action": "reassign", "ids": ids(three)})
    assert asked.status_code == 200 and "Zoe Zed" in asked.content.decode() and 'name="owner"' in asked.content.decode()
    confirm = client.post(URL, {"action": "reassign", "ids": ids(three), "owner": zoe.pk})
    assert confirm.status_code == 200 and "Give them to Zoe Zed" in confirm.content.decode()
    assert not Task.objects.filter(owner=zoe).exists()
    done = client.post(URL, {"action": "reassign", "ids": ids(three), "owner": zoe.pk, "confirm": "1"})
    assert Task.objects.filter(owner=zoe).count() == 3
    assert said(done)[0].startswith("Gave Zoe Zed 3 tasks: Call 0")
    rows = AuditEvent.objects.filter(action="crm.task.reassign")
    assert rows.count() == 3 and rows.first().detail == {"from": liaison.pk, "to": zoe.pk}


def test_reassign_without_anyone_chosen_asks_again_naming_the_field(client_for, liaison, three):
    """The reassign step sent with "Choose someone" left: the same tasks, and an error at "Give them to"."""
    response = client_for(liaison).post(URL, {"action": "reassign", "ids": ids(three), "owner": "", "confirm": "1"})
    body = response.content.decode()
    assert response.status_code == 400 and "Reassign 3 tasks" in body
    assert "Give them to: Choose who takes the tasks" in body and 'aria-invalid="true"' in body
    assert body.count('name="ids"') == 3 and "Call 2 (Rita Reyes)" in body
    assert Task.objects.filter(owner=liaison, status=TaskStatus.OPEN).count() == 3


def test_the_confirmations_say_what_will_happen_in_a_plain_sentence(client_for, liaison, three):
    zoe = LiaisonFactory(first_name="Zoe", last_name="Zed")
    client = client_for(liaison)
    done = client.post(URL, {"action": "done", "ids": ids(three)}).content.decode()
    assert "Mark these 3 tasks done? Nothing has changed yet." in done and "about to" not in done
    one = client.post(URL, {"action": "done", "ids": ids(three)[:1]}).content.decode()
    assert "Mark this task done? Nothing has changed yet." in one and "Mark it done" in one
    give = client.post(URL, {"action": "reassign", "ids": ids(three), "owner": zoe.pk}).content.decode()
    assert "Give these 3 tasks to Zoe Zed? Nothing has changed yet." in give


def test_reassign_names_the_tasks_it_could_not_give(client_for, liaison, three):
    zoe = LiaisonFactory(first_name="Zoe", last_name="Zed")
    services.task_complete(task=three[0], by=liaison)
    Task.objects.filter(pk=three[1].pk).update(owner=zoe)
    done = client_for(liaison).post(URL, {"action": "reassign", "ids": ids(three), "owner": zoe.pk, "confirm": "1"})
    assert said(done) == [
        "Gave Zoe Zed 1 task: Call 2 (Rita Reyes).",
        "Call 0 (Rita Reyes) was not changed: It is done already; only open tasks are reassigned.",
        "Call 1 (Rita Reyes) was not changed: It is Zoe Zed's already.",
    ]


@pytest.mark.parametrize(
    "data, field",
    [
        ({"action": "done"}, "Select at least one row"),
        ({"action": "done", "ids": ["x"]}, "is not a row of this list"),
        ({"action": "done", "ids": ["987654"]}, "No task has the number 987654"),
        ({"action": "shred", "ids": "T"}, "Choose what to do"),
        ({"action": "reassign", "ids": "T", "owner": "987654", "confirm": "1"}, "Choose who takes the tasks"),
        ({"action": "reassign", "ids": "T", "confirm": "1"}, "Choose who takes the tasks"),
        ({"action": "reassign", "ids": "T", "owner": "CLINICIAN", "confirm": "1"}, "Choose who takes the tasks"),
    ],
)
def test_a_wrong_request_is_refused_whole_and_changes_nothing(data, field, client_for, liaison, three):
    clinician = ClinicianFactory()
    data = {k: (ids(three) if v == "T" else str(clinician.pk) if v == "CLINICIAN" else v) for k, v in data.items()}
    before = AuditEvent.objects.count()
    response = client_for(liaison).post(URL, data | {"confirm": data.get("confirm", "1")})
    assert response.status_code == 400 and field in response.content.decode()
    assert Task.objects.filter(status=TaskStatus.OPEN, owner=liaison).count() == 3
    assert AuditEvent.objects.count() == before


def test_the_service_refuses_someone_who_cannot_own_tasks(liaison, three):
    with pytest.raises(services.ValidationError) as caught:
        services.task_reassign(task=three[0], owner=ClinicianFactory(), by=liaison)
    assert "owner" in caught.value.message_dict and Task.objects.get(pk=three[0].pk).owner == liaison


def test_a_next_address_off_the_site_is_not_followed(client_for, liaison, three):
    done = client_for(liaison).post(URL, {"action": "done", "ids": ids(three), "confirm": "1", "next": "https://x.io/"})
    assert done.url == reverse("crm:tasks")


ROLES = [("director", 302), ("admin", 302), ("coordinator", 403), ("clinician", 403), ("alice", 403), ("bob", 403),
         ("practice_admin", 403)]  # fmt: skip


@pytest.mark.parametrize("who, status", ROLES)
def test_who_may_act_on_many_tasks(who, status, request, client_for, three):
    response = client_for(request.getfixturevalue(who)).post(URL, {"action": "done", "ids": ids(three), "confirm": "1"})
    assert response.status_code == status
    assert Task.objects.filter(status=TaskStatus.DONE).count() == (3 if status == 302 else 0)


def test_signed_out_goes_to_sign_in_and_nothing_changes(anonymous_client, three):
    response = anonymous_client.post(URL, {"action": "done", "ids": ids(three), "confirm": "1"})
    assert response.status_code == 302 and "login" in response.url
    assert not Task.objects.filter(status=TaskStatus.DONE).exists()
