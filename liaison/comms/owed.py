"""What a referral owes its referrer, kept up to date: the recompute after every step (comms.handlers runs it
from the event registry), the periodic sweep (maintenance months, escalation of overdue letters), the
year's holidays and the practice's protocol rules. Callers import these from liaison.comms.services."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from liaison.comms import closed_days, delivery, letter_days, next_action, protocol
from liaison.comms.choices import (
    PENDING,
    DeadlineKind,
    DueStatus,
    Trigger,
)
from liaison.comms.models import (
    SAFETY_RULE_FIXED,
    SAFETY_RULE_LOCKED,
    CommsSettings,
    DueCommunication,
    Holiday,
    HolidayYear,
    ProtocolRule,
)
from liaison.comms.predicates import PENDING_DUE, Inlined
from liaison.core.audit import audit_log
from liaison.referrals.choices import Status
from liaison.referrals.models import Referral

CHANNEL_PROBLEM_PREFIX = "No usable channel"


# ---------------------------------------------------------------- what is owed


def communications_recompute(
    *, referral: Referral, at: datetime | None = None, snapshot: protocol.Snapshot | None = None
) -> list[DueCommunication]:
    """Bring the referral's owed letters in line with its history: add what became owed, follow the owner and
    wording of letters not yet approved (their due time stays as set when they became owed, unless what
    triggered them moved), and cancel those no longer owed. Safe to run twice.

    Derived data only: the step that caused it (intake, transition, session, alert) wrote the audit row,
    in the same transaction."""
    at = at or timezone.now()
    with transaction.atomic():
        # The referral's row is locked first, so that two recomputes of one referral (a coordinator's step and
        # the worker's follow-up) take turns and the second sees the letters the first added. FOR NO KEY UPDATE:
        # a new referral's foreign key to this one (a possible duplicate) need not wait for the worker's batch.
        referral = (
            Referral.objects.select_for_update(of=("self",), no_key=True).select_related("referrer").get(pk=referral.pk)
        )
        wanted = {e.key: e for e in protocol.expected(referral, at=at, snapshot=snapshot)}
        comms = snapshot.comms if snapshot is not None else None
        route = delivery.route_for(referral.referrer, comms) if wanted else None
        problem = route.problem if route and route.problem else ""
        existing = {d.key: d for d in DueCommunication.objects.filter(referral_id=referral.pk)}
        before = {d.pk: letter_days.State.of(d) for d in existing.values()}
        new = [_new_due(referral, e, problem) for key, e in wanted.items() if key not in existing]
        changed = [d for key, d in existing.items() if d.status in PENDING and _refresh(d, wanted.get(key), problem)]
        DueCommunication.objects.bulk_create(new)
        DueCommunication.objects.bulk_update(
            changed, ["due_at", "owner", "status", "problem", "triggered_at", "reason"]
        )
        # The letters-on-time figures by day: a letter owed, moved to another day or cancelled (decision 0033).
        letter_days.record((referral.referrer_id, before.get(d.pk), letter_days.State.of(d)) for d in [*new, *changed])
        # In maintenance, the referral's next action is due when its monthly letter is (comms.next_action).
        calendar = snapshot.calendar if snapshot is not None else None
        next_action.maintenance_due_sync(referral, [*existing.values(), *new], calendar)
    return new + changed


def _new_due(referral: Referral, e: protocol.Expected, problem: str) -> DueCommunication:
    return DueCommunication(
        referral=referral,
        key=e.key,
        rule=e.rule,
        letter_type=e.rule.letter_type,
        triggered_at=e.triggered_at,
        due_at=e.due_at,
        owner_id=e.owner_id,
        owner_role=e.rule.owner_role,
        problem=problem,
        reason=protocol.reason(e.rule),
    )


def _refresh(due: DueCommunication, e: protocol.Expected | None, problem: str) -> bool:
    before = (due.due_at, due.owner_id, due.status, due.problem, due.triggered_at, due.reason)
    if e is None:
        due.status = DueStatus.CANCELLED
    else:
        # The due time is fixed when the letter becomes owed: a later change to the rule (or the calendar) does
        # not move it. Only a new triggering moment (e.g. a later request for the same information) does.
        if e.triggered_at != due.triggered_at:
            due.due_at, due.triggered_at = e.due_at, e.triggered_at
        due.owner_id = e.owner_id
        due.reason = protocol.reason(e.rule)
        if not due.problem or due.problem.startswith(CHANNEL_PROBLEM_PREFIX) or "self-referral" in due.problem:
            due.problem = problem
    return before != (due.due_at, due.owner_id, due.status, due.problem, due.triggered_at, due.reason)


def protocol_rule_save(*, rule: ProtocolRule, by) -> ProtocolRule:
    """The practice's change to one line of the protocol (how often updates go out, a deadline, on or off),
    checked field by field first. The safety letter's rule keeps its effect: only its wording changes (decision
    0021). Letters already owed keep their due time; the audit row names each changed field, before and after."""
    before = ProtocolRule.objects.filter(pk=rule.pk).first() if rule.pk else None
    if before is not None and before.is_safety:
        locked = [f for f in SAFETY_RULE_LOCKED if getattr(before, f) != getattr(rule, f)]
        if locked:
            raise ValidationError({f: SAFETY_RULE_FIXED for f in locked})
    rule.full_clean()
    with transaction.atomic():
        rule.save()
        audit_log(actor=by, action="comms_protocol_rule_save", obj=rule, detail={"changed": _rule_diff(before, rule)})
    return rule


def _rule_diff(before: ProtocolRule | None, after: ProtocolRule) -> dict:
    names = [f.attname for f in ProtocolRule._meta.concrete_fields if f.attname != "id"]
    old = {n: getattr(before, n) for n in names} if before is not None else dict.fromkeys(names)
    return {n: {"before": old[n], "after": getattr(after, n)} for n in names if old[n] != getattr(after, n)}


def communications_sweep(*, at: datetime | None = None) -> dict:
    """The periodic pass: start the letters of maintenance months that have begun, then escalate overdue
    letters to their owner's lead. Reads only open referrals and pending letters (both indexed)."""
    at = at or timezone.now()
    holidays = holidays_refresh(at=at)
    recomputed, snapshot = 0, protocol.Snapshot.load()
    for referral in _months_to_start(at):
        communications_recompute(referral=referral, at=at, snapshot=snapshot)
        recomputed += 1
    return {"recomputed": recomputed, "escalated": communications_escalate(at=at), "holidays": holidays}


def holidays_refresh(*, at: datetime | None = None) -> int:
    """This year's and next year's public holidays, each year loaded once (a day the practice removed stays
    removed). One query when both are there. Returns how many days were added."""
    at = at or timezone.now()
    year = timezone.localdate(at).year
    if HolidayYear.objects.filter(year__in=[year, year + 1]).count() == 2:
        return 0
    with transaction.atomic():
        added, _ = closed_days.load_years(
            Holiday, HolidayYear, years=[year, year + 1], state=settings.CLINIC_STATE, at=at
        )
        audit_log(actor=None, action="comms_holidays_load", object_type="comms.holiday", detail={"added": added})
    return added


def _months_to_start(at: datetime):
    monthly = ProtocolRule.objects.filter(
        trigger=Trigger.MAINTENANCE_MONTH, deadline_kind=DeadlineKind.MONTHLY, active=True
    ).values_list("shared_care_model", flat=True)
    current = DueCommunication.objects.filter(referral_id=OuterRef("pk"), key__startswith="month:", due_at__gt=at)
    return (
        Referral.objects.filter(is_open=True, status=Status.MAINTENANCE, referrer__shared_care_model__in=list(monthly))
        .exclude(Exists(current))
        .only("pk")
        .iterator(chunk_size=500)
    )


def communications_escalate(*, at: datetime | None = None) -> int:
    """Overdue letters not yet escalated go to their owner's lead (or stay with the practice when the owner
    has none); each is counted once. Returns how many were escalated now."""
    at = at or timezone.now()
    delay = timedelta(hours=CommsSettings.current().escalate_after_hours)
    rows = list(
        DueCommunication.objects.filter(Inlined(PENDING_DUE), due_at__lt=at - delay, escalated_at__isnull=True)
        .order_by("due_at")
        .values_list("pk", "owner__lead_id")[:5000]
    )
    by_lead: dict[int | None, list[int]] = {}
    for pk, lead_id in rows:
        by_lead.setdefault(lead_id, []).append(pk)
    with transaction.atomic():
        for lead_id, ids in by_lead.items():
            DueCommunication.objects.filter(pk__in=ids, escalated_at__isnull=True).update(
                escalated_at=at, escalated_to_id=lead_id
            )
        if rows:
            audit_log(
                actor=None,
                action="comms_escalate",
                object_type="comms.duecommunication",
                detail={"count": len(rows), "ids": [pk for pk, _ in rows[:500]]},
            )
    return len(rows)
