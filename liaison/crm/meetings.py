"""Every write of a meeting with a referrer: arranging it (with its thank-you task), recording its notes and
concerns, cancelling it. Like services.py: one transaction each, a row in the audit trail, bad input raises
ValidationError naming each field at fault and writes nothing."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from liaison.core.audit import audit_log
from liaison.crm.choices import (
    ConcernTag,
    InteractionKind,
    MeetingKind,
    MeetingStatus,
    Outcome,
    Stage,
    TaskKind,
    TaskStatus,
)
from liaison.crm.models import Concern, Interaction, Meeting, Relationship, Task
from liaison.crm.stages import stage_advance

THANK_YOU_WITHIN = timedelta(hours=48)
MONTHLY_TOUCHES = 3


def meeting_schedule(
    *,
    relationship: Relationship,
    by,
    starts_at: datetime,
    ends_at: datetime,
    kind: str = MeetingKind.INTRODUCTION,
    place: str = "",
) -> Meeting:
    """Put a meeting in the diary, with its thank-you task due 48 hours after it ends."""
    errors = {}
    if kind not in MeetingKind.values:
        errors["kind"] = [f"Unknown kind of meeting {kind!r}."]
    if starts_at is None:
        errors["starts_at"] = ["Say when the meeting starts."]
    if ends_at is None:
        errors["ends_at"] = ["Say when the meeting ends."]
    elif starts_at is not None and ends_at <= starts_at:
        errors["ends_at"] = ["The meeting must end after it starts."]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        meeting = Meeting.objects.create(
            relationship=relationship, kind=kind, starts_at=starts_at, ends_at=ends_at, place=place, organizer=by
        )
        Interaction.objects.create(
            relationship=relationship,
            kind=InteractionKind.MEETING,
            outcome=Outcome.MEETING_ACCEPTED,
            at=min(now, starts_at),
            meeting=meeting,
            summary=f"{meeting.get_kind_display()} arranged for {timezone.localtime(starts_at):%b %-d, %Y %H:%M}.",
            by=by,
        )
        Task.objects.create(
            relationship=relationship,
            kind=TaskKind.THANK_YOU,
            title=f"Thank them for the meeting on {timezone.localtime(starts_at):%b %-d}",
            detail="A short note within 48 hours: thank them, confirm the next step you agreed.",
            owner=relationship.owner or by,
            due_at=ends_at + THANK_YOU_WITHIN,
            meeting=meeting,
            created_at=now,
        )
        stage_advance(relationship, Stage.MEETING_SCHEDULED, by=by, at=now, why="meeting arranged")
        audit_log(actor=by, action="crm.meeting.schedule", obj=meeting)
    return meeting


AGENDA_FIELDS = ("opening_notes", "listening_notes", "presentation_notes", "discussion_notes", "closing_notes")


def meeting_record(*, meeting: Meeting, by, notes: dict, next_step: str = "", concerns=(), held: bool = True):
    """The notes of the meeting, step by step, the concerns raised and the agreed next step.

    The first time a meeting is recorded as held, the relationship moves to "met" and, after an
    introduction meeting, the monthly touches of the first months are put in the diary."""
    errors = {name: ["Unknown agenda step."] for name in notes if name not in AGENDA_FIELDS}
    for i, (tag, _note) in enumerate(concerns):
        if tag not in ConcernTag.values:
            errors[f"concerns.{i}"] = ["Choose the concern from the list."]
    if held and meeting.starts_at > timezone.now():
        errors["held"] = ["This meeting has not started yet; record it once it has happened."]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    relationship = meeting.relationship
    with transaction.atomic():
        Meeting.objects.filter(pk=meeting.pk).update(**notes, next_step=next_step)
        first_time = held and Meeting.objects.filter(pk=meeting.pk, status=MeetingStatus.SCHEDULED).update(
            status=MeetingStatus.HELD
        )
        for tag, note in concerns:
            Concern.objects.create(relationship=relationship, tag=tag, note=note, meeting=meeting, raised_at=now)
        if first_time:
            stage_advance(relationship, Stage.MET, by=by, at=now, why="meeting held")
            if meeting.kind == MeetingKind.INTRODUCTION:
                _monthly_touches(relationship, meeting, by=by, now=now)
        audit_log(actor=by, action="crm.meeting.record", obj=meeting)
    meeting.refresh_from_db()
    return meeting


def _monthly_touches(relationship: Relationship, meeting: Meeting, *, by, now: datetime) -> None:
    Task.objects.bulk_create(
        [
            Task(
                relationship=relationship,
                kind=TaskKind.MONTHLY_TOUCH,
                title=f"Monthly touch {n} of {MONTHLY_TOUCHES}",
                detail="Something useful, not a sales call: a paper, an answer to a question they raised, an update.",
                owner=relationship.owner or by,
                due_at=meeting.ends_at + timedelta(days=30 * n),
                created_at=now,
            )
            for n in range(1, MONTHLY_TOUCHES + 1)
        ]
    )


def meeting_cancel(*, meeting: Meeting, by) -> Meeting:
    with transaction.atomic():
        changed = Meeting.objects.filter(pk=meeting.pk, status=MeetingStatus.SCHEDULED).update(
            status=MeetingStatus.CANCELLED
        )
        if changed:
            Task.objects.filter(meeting=meeting, status=TaskStatus.OPEN).update(status=TaskStatus.CANCELLED)
        audit_log(actor=by, action="crm.meeting.cancel", obj=meeting)
    meeting.refresh_from_db()
    return meeting
