"""The demo tells a healthy practice's story: after the history is written, the liaison's past work is done as a
practice that runs well would have done it, and the relationships stand in every stage.

- Tasks: every open task that fell due more than TASK_GRACE ago was done, shortly before or on its due day;
  those due in the last days stay open (a few overdue this morning), those due later are the week's work.
- Stages: prospects (referrers who have not referred yet) stand on the road from target to met, one stage each in
  turn; the two busiest referrers who are active are the practice's champions. Each move is written into the
  relationship's history (liaison.crm.stages), at `now`.

Times are relative to `now`, the moment the demo is built."""

import random
from datetime import datetime, timedelta

from django.db.models import Count

from liaison.crm.choices import PRE_REFERRAL_STAGES, Stage, TaskStatus
from liaison.crm.models import Relationship, Task
from liaison.crm.stages import stage_move

TASK_GRACE = timedelta(days=2)
EARLY_STAGES = (Stage.TARGET, Stage.CONTACTED, Stage.MEETING_SCHEDULED, Stage.MET)
CHAMPIONS = 2
WHY = "changed by hand"


def settle_tasks(*, rng: random.Random, now: datetime) -> int:
    """Mark done every open task due before now - TASK_GRACE, at a believable time: up to a day and a half before
    its due time (never before it was made, never after now). One conditional UPDATE each; returns how many."""
    done = 0
    stale = Task.objects.filter(status=TaskStatus.OPEN, due_at__lt=now - TASK_GRACE).order_by("id")
    for pk, due_at, created_at in stale.values_list("id", "due_at", "created_at"):
        at = min(max(due_at - timedelta(hours=rng.uniform(0, 36)), created_at or due_at), now)
        done += Task.objects.filter(pk=pk, status=TaskStatus.OPEN).update(status=TaskStatus.DONE, done_at=at)
    return done


def set_stages(*, by, now: datetime) -> dict[str, int]:
    """Prospects through the early stages in turn, and the busiest active referrers as champions."""
    prospects = Relationship.objects.filter(referrer__isnull=False, stage__in=PRE_REFERRAL_STAGES).order_by("id")
    for n, relationship in enumerate(prospects):
        stage_move(relationship, EARLY_STAGES[n % len(EARLY_STAGES)], by=by, at=now, why=WHY)
    busiest = (
        Relationship.objects.filter(stage=Stage.ACTIVE, referrer__isnull=False)
        .annotate(referrals=Count("referrer__referrals"))
        .order_by("-referrals", "id")[:CHAMPIONS]
    )
    for relationship in busiest:
        stage_move(relationship, Stage.CHAMPION, by=by, at=now, why=WHY)
    return {"prospects": len(prospects), "champions": len(busiest)}
