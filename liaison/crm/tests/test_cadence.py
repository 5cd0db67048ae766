"""Cadences as tasks: made by events, with owners and due dates; bad input writes nothing."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from liaison.crm import meetings, services
from liaison.crm.choices import FIRST_REFERRAL_KINDS, MeetingStatus, Stage, TaskKind, TaskStatus
from liaison.crm.models import Interaction, Meeting, Relationship, Task
from liaison.crm.tests.conftest import T0
from liaison.directory.tests.factories import ReferrerFactory
from liaison.referrals.tests.factories import ReferralDataFactory, ReferralFactory, receive_referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def rel(liaison):
    relationship = services.relationship_ensure(referrer=ReferrerFactory())
    services.relationship_update(relationship=relationship, by=liaison, data={"owner": liaison})
    return relationship


def test_a_meeting_creates_its_thank_you_task_due_48_hours_after_it_ends(rel, liaison):
    with time_machine.travel(T0, tick=False):
        meeting = meetings.meeting_schedule(
            relationship=rel, by=liaison, starts_at=T0 + timedelta(days=3), ends_at=T0 + timedelta(days=3, minutes=45)
        )
    task = Task.objects.get(relationship=rel, kind=TaskKind.THANK_YOU)
    assert task.due_at == meeting.ends_at + timedelta(hours=48)
    assert task.owner == liaison
    rel.refresh_from_db()
    assert rel.stage == Stage.MEETING_SCHEDULED


def test_recording_an_introduction_meeting_moves_to_met_and_plans_three_monthly_touches_once(rel, liaison):
    with time_machine.travel(T0, tick=False):
        meeting = meetings.meeting_schedule(
            relationship=rel, by=liaison, starts_at=T0 - timedelta(hours=2), ends_at=T0 - timedelta(hours=1)
        )
        notes = {"listening_notes": "Worried about dissociation in older patients."}
        meetings.meeting_record(meeting=meeting, by=liaison, notes=notes, next_step="Send the safety paper",
                                concerns=[("safety", "Dissociation")])  # fmt: skip
        meetings.meeting_record(meeting=meeting, by=liaison, notes=notes, next_step="Send the safety paper")
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD
    touches = Task.objects.filter(relationship=rel, kind=TaskKind.MONTHLY_TOUCH).order_by("due_at")
    assert [t.due_at - meeting.ends_at for t in touches] == [timedelta(days=30 * n) for n in (1, 2, 3)]
    rel.refresh_from_db()
    assert rel.stage == Stage.MET
    assert rel.concerns.get().tag == "safety"


def test_cancelling_a_meeting_cancels_its_thank_you(rel, liaison):
    meeting = meetings.meeting_schedule(relationship=rel, by=liaison, starts_at=T0, ends_at=T0 + timedelta(hours=1))
    meetings.meeting_cancel(meeting=meeting, by=liaison)
    assert Task.objects.get(meeting=meeting).status == TaskStatus.CANCELLED


def test_a_first_referral_starts_the_first_referral_protocol_exactly_once(liaison):
    referrer = ReferrerFactory()
    relationship = services.relationship_ensure(referrer=referrer)
    services.relationship_update(relationship=relationship, by=liaison, data={"owner": liaison}, stage=Stage.MET)
    first = receive_referral(referral=ReferralDataFactory(referrer=referrer))
    services.relationship_referral_received(referral=first)  # a second call changes nothing
    receive_referral(referral=ReferralDataFactory(referrer=referrer))
    protocol = Task.objects.filter(relationship=relationship, kind__in=FIRST_REFERRAL_KINDS)
    assert sorted(protocol.values_list("kind", flat=True)) == sorted(FIRST_REFERRAL_KINDS)
    assert {t.owner for t in protocol} == {liaison}
    relationship.refresh_from_db()
    assert relationship.first_referral_at == first.received_at
    assert relationship.stage == Stage.ACTIVE  # second referral: the refresh on referral moved it on
    assert relationship.referrer.health.total_referrals == 2


def test_the_protocol_is_a_database_fact(liaison):
    from django.db import IntegrityError, transaction

    relationship = services.relationship_ensure(referrer=ReferrerFactory())
    kwargs = {"relationship": relationship, "kind": TaskKind.FIRST_REFERRAL_THANKS, "title": "x", "due_at": T0,
              "created_at": T0}  # fmt: skip
    Task.objects.create(**kwargs)
    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.create(**kwargs)


def test_a_referrer_with_old_referrals_does_not_start_the_protocol():
    referrer = ReferrerFactory()
    ReferralFactory(referrer=referrer, received_at=T0)
    receive_referral(referral=ReferralDataFactory(referrer=referrer))
    assert not Task.objects.filter(kind__in=FIRST_REFERRAL_KINDS).exists()


def test_a_self_referral_touches_no_relationship():
    from liaison.referrals.choices import IntakeChannel

    before = Relationship.objects.count()
    receive_referral(referral={"reason": "I would like an assessment."}, channel=IntakeChannel.SELF)
    assert Relationship.objects.count() == before


def test_a_task_cannot_be_made_for_a_referrer_that_does_not_exist(liaison):
    before = Task.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.task_create(by=liaison, referrer_id=999999, kind=TaskKind.OTHER, title="", due_at=None)
    assert set(exc.value.message_dict) == {"referrer", "title", "due_at"}
    assert Task.objects.count() == before


def test_dates_in_the_wrong_order_are_refused(rel, liaison):
    counts = (Meeting.objects.count(), Task.objects.count(), Interaction.objects.count())
    with pytest.raises(ValidationError) as exc:
        meetings.meeting_schedule(relationship=rel, by=liaison, starts_at=T0, ends_at=T0 - timedelta(minutes=1))
    assert "ends_at" in exc.value.message_dict
    with time_machine.travel(T0, tick=False), pytest.raises(ValidationError) as exc:
        services.task_create(by=liaison, referrer_id=rel.referrer_id, kind="other", title="Call",
                             due_at=T0 - timedelta(days=2))  # fmt: skip
    assert "due_at" in exc.value.message_dict
    with time_machine.travel(T0, tick=False), pytest.raises(ValidationError) as exc:
        services.interaction_log(relationship=rel, by=liaison, kind="call", at=T0 + timedelta(days=5))
    assert "at" in exc.value.message_dict
    assert (Meeting.objects.count(), Task.objects.count(), Interaction.objects.count()) == counts


def test_logging_outreach_moves_a_target_to_contacted(rel, liaison):
    services.interaction_log(relationship=rel, by=liaison, kind="lunch_and_learn", strategy="educational",
                             outcome="responded", at=T0)  # fmt: skip
    rel.refresh_from_db()
    assert rel.stage == Stage.CONTACTED
    assert rel.interactions.filter(kind="stage").exists()


def test_a_meeting_not_yet_begun_cannot_be_recorded_as_held_and_nothing_is_written(rel, liaison):
    meeting = meetings.meeting_schedule(relationship=rel, by=liaison, starts_at=T0, ends_at=T0 + timedelta(hours=1))
    tasks = Task.objects.count()
    with time_machine.travel(T0 - timedelta(days=1), tick=False), pytest.raises(ValidationError) as exc:
        meetings.meeting_record(meeting=meeting, by=liaison, notes={}, next_step="", concerns=[("nonsense", "")])
    assert set(exc.value.message_dict) == {"held", "concerns.0"}
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.SCHEDULED and Task.objects.count() == tasks


def test_the_refresh_command_refuses_a_chunk_of_nothing():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="--chunk must be at least 1, not 0."):
        call_command("refresh_relationships", "--chunk", "0")


def test_a_relationship_edit_with_bad_values_names_each_and_changes_nothing(rel, liaison, coordinator):
    before = (rel.stage, rel.owner_id, rel.enthusiasm)
    with pytest.raises(ValidationError) as exc:
        services.relationship_update(
            relationship=rel, by=liaison, stage="best_friends",
            data={"owner": coordinator, "enthusiasm": 9, "referrer": None},
        )  # fmt: skip
    assert set(exc.value.message_dict) == {"stage", "owner", "enthusiasm", "referrer"}
    rel.refresh_from_db()
    assert (rel.stage, rel.owner_id, rel.enthusiasm) == before
    assert not Interaction.objects.filter(relationship=rel, kind="stage").exists()
    with pytest.raises(ValidationError, match="Choose the concern from the list."):
        services.concern_add(relationship=rel, by=liaison, tag="vibes")
    assert not rel.concerns.exists()
