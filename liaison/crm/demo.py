"""Demo data for the liaison's workspace: relationships at every stage, outreach, meetings with notes,
concerns, tasks and health. Called by the demo generator after it has made referrers and referrals:

    from liaison.crm.demo import build_demo_crm
    build_demo_crm(rng=random.Random(7), referrers=list_of_referrers, liaison_user=lee, now=timezone.now())
"""

import random
from datetime import datetime, timedelta

from django.db import transaction

from liaison.crm import geo, health
from liaison.crm.choices import (
    ConcernTag,
    InteractionKind,
    Introduction,
    MeetingKind,
    MeetingStatus,
    Outcome,
    Stage,
    Strategy,
    TaskKind,
)
from liaison.crm.models import ClinicLocation, Concern, Interaction, Meeting, Relationship, Task

OUTREACH = [InteractionKind.CALL, InteractionKind.EMAIL, InteractionKind.VISIT, InteractionKind.LUNCH_AND_LEARN,
            InteractionKind.GRAND_ROUNDS, InteractionKind.CME, InteractionKind.NEWSLETTER]  # fmt: skip
OUTCOMES = [Outcome.NO_RESPONSE, Outcome.RESPONDED, Outcome.MEETING_ACCEPTED, Outcome.MEETING_DECLINED]
EARLY = [Stage.TARGET, Stage.CONTACTED, Stage.MEETING_SCHEDULED, Stage.MET]
NOTES = {
    "opening_notes": "Thanked them for the time; twenty minutes agreed.",
    "listening_notes": "Several patients on a fourth antidepressant trial; worried about wait times elsewhere.",
    "presentation_notes": "How evaluation works, who is a good fit, how reports come back.",
    "discussion_notes": "Asked about dissociation and blood pressure monitoring; about insurance.",
    "closing_notes": "Will send the patient leaflet and the referral link.",
}


@transaction.atomic
def build_demo_crm(*, rng: random.Random, referrers, liaison_user, now: datetime, clinic_zip: str = "10001") -> dict:
    """Seed the workspace for these referrers (a list of directory.Referrer); returns counts for the log."""
    if not ClinicLocation.objects.exists():
        ClinicLocation.objects.create(name="Main clinic", zip_code=clinic_zip)
    geo.distances_rebuild()
    counts = {"relationships": 0, "interactions": 0, "meetings": 0, "tasks": 0}
    for referrer in referrers:
        rel, _ = Relationship.objects.get_or_create(referrer=referrer, defaults={"stage_changed_at": now})
        rel.owner = liaison_user if rng.random() < 0.8 else None
        rel.enthusiasm = rng.choice([None, 2, 3, 4, 4, 5])
        rel.introduction = rng.choice(Introduction.values)
        rel.introduced_by = "Dr. Imani Okafor" if rel.introduction == Introduction.WARM else ""
        rel.is_opinion_leader = rng.random() < 0.05
        has_referrals = referrer.referrals.exists()
        rel.stage = Stage.FIRST_REFERRAL if has_referrals else rng.choice(EARLY)
        if has_referrals:
            rel.first_referral_at = referrer.referrals.order_by("received_at").values_list("received_at", flat=True)[0]
        rel.save()
        counts["relationships"] += 1
        counts["interactions"] += _outreach(rng, rel, liaison_user, now)
        if rel.stage in (Stage.MEETING_SCHEDULED, Stage.MET) or (has_referrals and rng.random() < 0.5):
            counts["meetings"] += 1
            counts["tasks"] += _meeting(rng, rel, liaison_user, now)
        if rng.random() < 0.15:
            tag = rng.choice(ConcernTag.values)
            when = now - timedelta(days=20)
            Concern.objects.create(relationship=rel, tag=tag, note="Raised on the phone.", raised_at=when)
    result = health.health_refresh(now=now)
    counts["tasks"] += result.tasks
    return counts


def _outreach(rng, rel, user, now) -> int:
    rows = [
        Interaction(
            relationship=rel,
            kind=rng.choice(OUTREACH),
            strategy=rng.choice(Strategy.values),
            outcome=rng.choice(OUTCOMES),
            at=now - timedelta(days=rng.randint(5, 400)),
            by=user,
            summary="Dropped off the practice leaflet and offered a lunch-and-learn.",
        )  # fmt: skip
        for _ in range(rng.randint(0 if rel.stage == Stage.TARGET else 1, 0 if rel.stage == Stage.TARGET else 5))
    ]
    Interaction.objects.bulk_create(rows)
    return len(rows)


def _meeting(rng, rel, user, now) -> int:
    upcoming = rel.stage == Stage.MEETING_SCHEDULED
    start = now + timedelta(days=rng.randint(2, 20)) if upcoming else now - timedelta(days=rng.randint(3, 200))
    start = start.replace(hour=12, minute=30, second=0, microsecond=0)
    meeting = Meeting.objects.create(
        relationship=rel, kind=MeetingKind.INTRODUCTION, starts_at=start, ends_at=start + timedelta(minutes=40),
        status=MeetingStatus.SCHEDULED if upcoming else MeetingStatus.HELD, place="Their office", organizer=user,
        next_step="" if upcoming else "Send the referral link and the patient leaflet", **({} if upcoming else NOTES),
    )  # fmt: skip
    Interaction.objects.create(
        relationship=rel, kind=InteractionKind.MEETING, outcome=Outcome.MEETING_ACCEPTED, at=min(now, start),
        meeting=meeting, by=user, summary="Introduction meeting.",
    )  # fmt: skip
    Task.objects.create(
        relationship=rel, kind=TaskKind.THANK_YOU, title=f"Thank them for the meeting on {start:%b %-d}",
        owner=rel.owner or user, due_at=meeting.ends_at + timedelta(hours=48), meeting=meeting, created_at=now,
        status="open" if upcoming or meeting.ends_at > now - timedelta(days=4) else "done",
    )  # fmt: skip
    return 1
