"""Moving a relationship along its stages, with the move written into its history. Callers hold the transaction
(crm/services.py, crm/meetings.py)."""

from datetime import datetime

from liaison.crm.choices import InteractionKind, Stage
from liaison.crm.models import Interaction, Relationship


def stage_move(relationship: Relationship, to: str, *, by, at: datetime, why: str = "") -> None:
    """Move the stage and write the move into the history (callers hold the transaction)."""
    if relationship.stage == to:
        return
    text = f"{Stage(relationship.stage).label} → {Stage(to).label}" + (f": {why}" if why else ".")
    Relationship.objects.filter(pk=relationship.pk).update(stage=to, stage_changed_at=at)
    Interaction.objects.create(relationship=relationship, kind=InteractionKind.STAGE, at=at, summary=text, by=by)
    relationship.stage, relationship.stage_changed_at = to, at


def stage_advance(relationship: Relationship, to: str, *, by, at: datetime, why: str) -> None:
    """Move forward along target → contacted → meeting scheduled → met only (never backwards)."""
    order = [Stage.TARGET, Stage.CONTACTED, Stage.MEETING_SCHEDULED, Stage.MET]
    if relationship.stage in order and order.index(to) > order.index(relationship.stage):
        stage_move(relationship, to, by=by, at=at, why=why)
