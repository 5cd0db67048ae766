"""Every write of the liaison's workspace: `<entity>_<action>(*, ...)`, one transaction, a row in the audit
trail. Bad input raises ValidationError naming each field at fault, and nothing is written."""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from liaison.accounts.choices import Role
from liaison.core.audit import audit_log
from liaison.crm import geo, health
from liaison.crm.choices import (
    FIRST_REFERRAL_KINDS,
    HAND_KINDS,
    PRE_REFERRAL_STAGES,
    ConcernTag,
    InteractionKind,
    Outcome,
    Stage,
    Strategy,
    TaskKind,
    TaskStatus,
)
from liaison.crm.models import ClinicLocation, Concern, Interaction, Relationship, SavedList, Task
from liaison.crm.stages import stage_advance, stage_move
from liaison.directory import services as directory_services
from liaison.directory.models import Practice, Referrer
from liaison.referrals.models import Referral

OWNER_ROLES = (Role.LIAISON, Role.DIRECTOR, Role.ADMIN)
MAX_FUTURE_LOG = timedelta(days=1)

FIRST_REFERRAL_PROTOCOL = {
    TaskKind.FIRST_REFERRAL_THANKS: (timedelta(days=1), "Call or write to thank them for trusting us with a patient."),
    TaskKind.FIRST_REFERRAL_REPORT: (
        timedelta(days=2),
        "Ask the evaluating clinician to make the report back on this first referral especially thorough and prompt.",
    ),
    TaskKind.FIRST_REFERRAL_FOLLOW_UP: (
        timedelta(days=21),
        "After the evaluation, follow up in person: how did it go for them, and what would they change?",
    ),
}


# ---------------------------------------------------------------- relationships


def relationship_ensure(*, referrer: Referrer | None = None, practice: Practice | None = None) -> Relationship:
    """The relationship record of a referrer or a practice, made (as a target) the first time it is needed."""
    lookup = {"referrer": referrer} if referrer is not None else {"practice": practice}
    relationship, _ = Relationship.objects.get_or_create(**lookup, defaults={"stage_changed_at": timezone.now()})
    return relationship


EDITABLE = (
    "owner", "introduction", "introduced_by", "shared_care_model", "contact_name", "contact_role", "contact_email",
    "contact_phone", "enthusiasm", "is_opinion_leader", "notes",
)  # fmt: skip


def relationship_update(*, relationship: Relationship, by, data: dict, stage: str | None = None) -> Relationship:
    """Change the record's fields (and, if given, its stage, which goes into the history). The agreed
    shared-care model goes to the directory record, the one the communication protocol reads."""
    errors = {}
    data = dict(data)
    shared_care = data.pop("shared_care_model", None)
    if shared_care is not None:
        errors.update(directory_services.shared_care_check(shared_care))
    if stage is not None and stage not in Stage.values:
        errors["stage"] = [f"Unknown stage {stage!r}."]
    owner = data.get("owner")
    if owner is not None and owner.role not in OWNER_ROLES:
        errors["owner"] = [f"{owner} is not a liaison."]
    for name, value in data.items():
        if name not in EDITABLE:
            errors[name] = ["This field cannot be changed here."]
        else:
            setattr(relationship, name, value)
    try:
        relationship.full_clean(exclude=["referrer", "practice"], validate_unique=False)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        relationship.save(update_fields=[*data.keys()] or None)
        if shared_care is not None:
            _agreement_record(relationship, shared_care, by=by)
        if stage is not None:
            stage_move(relationship, stage, by=by, at=timezone.now(), why="changed by hand")
        audit_log(actor=by, action="crm.relationship.update", obj=relationship)
    return relationship


def _agreement_record(relationship: Relationship, model: str, *, by) -> None:
    """The agreement, when it changed: onto the clinician, or onto the practice and its clinicians."""
    if relationship.referrer_id:
        referrer = relationship.referrer
        if model != (referrer.shared_care_model if referrer.shared_care_own else ""):
            directory_services.referrer_shared_care_set(referrer=referrer, model=model, by=by)
    elif model != relationship.practice.shared_care_model:
        directory_services.practice_shared_care_set(practice=relationship.practice, model=model, by=by)


# ---------------------------------------------------------------- outreach


def interaction_log(
    *,
    relationship: Relationship,
    by,
    kind: str,
    at: datetime,
    strategy: str = "",
    outcome: str = "",
    summary: str = "",
) -> Interaction:
    """Log a call, an email, a visit or a talk with its outcome; a target becomes "contacted"."""
    errors = {}
    if kind not in InteractionKind.values or kind in (InteractionKind.STAGE, InteractionKind.MEETING):
        errors["kind"] = ["Choose what kind of contact this was."]
    if strategy not in ("", *Strategy.values):
        errors["strategy"] = [f"Unknown strategy {strategy!r}."]
    if outcome not in Outcome.values:
        errors["outcome"] = [f"Unknown outcome {outcome!r}."]
    if at is None:
        errors["at"] = ["Say when it happened."]
    elif at > timezone.now() + MAX_FUTURE_LOG:
        errors["at"] = ["This date is in the future; log contacts once they have happened."]
    if len(summary) > 5000:
        errors["summary"] = ["A summary is at most 5,000 characters."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        item = Interaction.objects.create(
            relationship=relationship, by=by, kind=kind, at=at, strategy=strategy, outcome=outcome, summary=summary
        )
        if kind != InteractionKind.RECIPROCAL and kind != InteractionKind.NOTE:
            stage_advance(relationship, Stage.CONTACTED, by=by, at=at, why=f"{item.get_kind_display().lower()} logged")
        audit_log(actor=by, action="crm.interaction.log", obj=item)
    return item


def concern_add(*, relationship: Relationship, by, tag: str, note: str = "", meeting=None, at=None) -> Concern:
    if tag not in ConcernTag.values:
        raise ValidationError({"tag": ["Choose the concern from the list."]})
    with transaction.atomic():
        concern = Concern.objects.create(
            relationship=relationship, tag=tag, note=note, meeting=meeting, raised_at=at or timezone.now()
        )
        audit_log(actor=by, action="crm.concern.add", obj=concern)
    return concern


def concern_resolve(*, concern: Concern, by) -> Concern:
    with transaction.atomic():
        Concern.objects.filter(pk=concern.pk).update(resolved=True)
        concern.resolved = True
        audit_log(actor=by, action="crm.concern.resolve", obj=concern)
    return concern


# ---------------------------------------------------------------- tasks


def task_create(*, by, referrer_id, kind: str, title: str, due_at: datetime, owner=None, detail: str = "") -> Task:
    """A task by hand. The referrer must exist and the due date must not be before today."""
    errors = {}
    referrer = Referrer.objects.filter(pk=referrer_id).first() if str(referrer_id).isdigit() else None
    if referrer is None:
        errors["referrer"] = [f"There is no referrer with id {referrer_id!r}."]
    if kind not in dict(HAND_KINDS):
        errors["kind"] = [f"{kind!r} is not a kind of task to add by hand."]
    if not (title or "").strip():
        errors["title"] = ["Say what is to be done."]
    if due_at is None:
        errors["due_at"] = ["Say when it is due."]
    elif timezone.localdate(due_at) < timezone.localdate():
        errors["due_at"] = ["The due date is before today."]
    if owner is not None and owner.role not in OWNER_ROLES:
        errors["owner"] = [f"{owner} is not a liaison."]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            relationship = relationship_ensure(referrer=referrer)
            task = Task.objects.create(
                relationship=relationship, kind=kind, title=title.strip(), detail=detail, due_at=due_at,
                owner=owner or relationship.owner or by, created_at=timezone.now(),
            )  # fmt: skip
            audit_log(actor=by, action="crm.task.create", obj=task)
    except IntegrityError:  # crm_task_one_open_per_kind: one open quarterly meeting, review or playbook task
        label = TaskKind(kind).label
        raise ValidationError({"kind": [f"There is already an open “{label}” task; finish that one first."]}) from None
    return task


def task_complete(*, task: Task, by) -> Task:
    """Mark done (a conditional update: finishing a finished task changes nothing)."""
    with transaction.atomic():
        now = timezone.now()
        Task.objects.filter(pk=task.pk, status=TaskStatus.OPEN).update(status=TaskStatus.DONE, done_at=now)
        audit_log(actor=by, action="crm.task.complete", obj=task)
    task.refresh_from_db()
    return task


def task_reassign(*, task: Task, owner, by) -> Task:
    """Give an open task to another liaison, director or administrator (the people who own tasks, as task_create
    and the relationship's owner allow). A conditional update: a task finished or already theirs is refused by
    name, and nothing is written."""
    if owner is None or owner.role not in OWNER_ROLES or not owner.is_active:
        raise ValidationError({"owner": [f"{owner or 'Nobody'} cannot own tasks: choose a liaison or the director."]})
    if task.owner_id == owner.pk:
        raise ValidationError({"owner": [f"It is {owner}'s already."]})
    with transaction.atomic():
        before = task.owner_id
        if not Task.objects.filter(pk=task.pk, status=TaskStatus.OPEN).update(owner=owner):
            raise ValidationError({"status": ["It is done already; only open tasks are reassigned."]})
        audit_log(actor=by, action="crm.task.reassign", obj=task, detail={"from": before, "to": owner.pk})
    task.owner = owner
    return task


# ---------------------------------------------------------------- referrals


def relationship_referral_received(*, referral, refresh_health: bool = True) -> None:
    """Part of every new referral's follow-up (referrals.followup), in a transaction.

    A referrer's first ever referral moves their relationship to "first referral" and starts the
    first-referral protocol (three tasks); a unique constraint makes that happen once whatever
    happens twice. Then the referrer's health is refreshed (unless the caller refreshes a batch's
    referrers once itself). Safe to call again for the same referral."""
    if not referral.referrer_id:
        return
    relationship = relationship_ensure(referrer=referral.referrer)
    if relationship.first_referral_at is None and not _earlier_referral(referral):
        _first_referral(relationship, referral)
    if refresh_health:
        health.health_refresh_one(referrer_id=referral.referrer_id, now=max(timezone.now(), referral.received_at))


def _earlier_referral(referral) -> bool:
    """Whether the referrer sent another referral before this one, or at the same moment: one row found through
    the (referrer, received_at) index, never a count of their history (a busy referrer has tens of thousands)."""
    earlier = Referral.objects.filter(referrer_id=referral.referrer_id, received_at__lte=referral.received_at)
    return earlier.exclude(pk=referral.pk).exists()


def _first_referral(relationship: Relationship, referral) -> None:
    at = referral.received_at
    Relationship.objects.filter(pk=relationship.pk, first_referral_at__isnull=True).update(first_referral_at=at)
    relationship.first_referral_at = at
    if relationship.stage in PRE_REFERRAL_STAGES:
        stage_move(relationship, Stage.FIRST_REFERRAL, by=None, at=at, why="their first referral arrived")
    for kind in FIRST_REFERRAL_KINDS:
        due_in, detail = FIRST_REFERRAL_PROTOCOL[kind]
        task = Task(
            relationship=relationship, kind=kind, title=TaskKind(kind).label, detail=detail,
            owner=relationship.owner, due_at=at + due_in, referral=referral, created_at=timezone.now(),
        )  # fmt: skip
        try:
            with transaction.atomic():
                task.save()
        except IntegrityError:
            continue  # already started: the protocol runs once


# ---------------------------------------------------------------- lists, locations


def saved_list_create(*, owner, name: str, filters: dict) -> SavedList:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": ["Give the list a name."]})
    try:
        with transaction.atomic():  # the unique (owner, name) constraint decides, also for two saves at once
            saved = SavedList.objects.create(owner=owner, name=name[:100], filters=filters)
            audit_log(actor=owner, action="crm.saved_list.create", obj=saved)
    except IntegrityError:
        raise ValidationError({"name": [f"You already have a list called “{name}”."]}) from None
    return saved


def clinic_location_save(*, location: ClinicLocation, by) -> ClinicLocation:
    """Save one of the clinic's sites; every distance is then measured again."""
    if not geo.is_known_zip(location.zip_code):
        raise ValidationError({"zip_code": [f"{location.zip_code} is not a US ZIP code we know."]})
    with transaction.atomic():
        location.save()
        geo.distances_rebuild()
        audit_log(actor=by, action="crm.location.save", obj=location)
    return location


def clinic_locations_delete(*, locations, by) -> int:
    """Remove clinic sites; distances are then measured from the sites that remain."""
    with transaction.atomic():
        rows = list(locations)
        for location in rows:
            audit_log(actor=by, action="crm.location.delete", obj=location)
        ClinicLocation.objects.filter(pk__in=[loc.pk for loc in rows]).delete()
        geo.distances_rebuild()
    return len(rows)
