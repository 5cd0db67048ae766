"""The protocol applied to one referral: which letters its history makes owed, and by when.

Pure derivation from the record (status history, care sessions and alerts, the referrer's shared-care
model); services.communications_recompute writes the result.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from liaison.comms import clock, record
from liaison.comms.choices import DeadlineKind, OwnerRole, Trigger
from liaison.comms.models import CommsSettings, Holiday, ProtocolRule
from liaison.core.models import Clinic
from liaison.referrals.choices import EventKind, Status
from liaison.referrals.models import Referral, ReferralEvent


@dataclass(frozen=True)
class Expected:
    key: str
    rule: ProtocolRule
    triggered_at: datetime
    due_at: datetime
    owner_id: int | None


@dataclass(frozen=True)
class Calendar:
    opens: object
    closes: object
    holidays: frozenset

    @classmethod
    def load(cls) -> "Calendar":
        clinic = Clinic.objects.order_by("pk").first()
        opens, closes = (
            (clinic.business_day_start, clinic.business_day_end)
            if clinic
            else (clock.DEFAULT_OPEN, clock.DEFAULT_CLOSE)
        )
        return cls(opens, closes, frozenset(Holiday.objects.values_list("date", flat=True)))


@dataclass(frozen=True)
class Snapshot:
    """What every referral's computation shares, read once per sweep: the active rules and the calendar."""

    rules: dict
    calendar: Calendar
    comms: object = None

    @classmethod
    def load(cls) -> "Snapshot":
        rules: dict[str, dict[str, ProtocolRule]] = {}
        for rule in ProtocolRule.objects.filter(active=True):
            rules.setdefault(rule.shared_care_model, {})[rule.trigger] = rule
        return cls(rules, Calendar.load(), CommsSettings.current())

    def rules_for(self, shared_care_model: str) -> dict[str, ProtocolRule]:
        return self.rules.get(shared_care_model, {})


def due_time(rule: ProtocolRule, triggered_at: datetime, cal: Calendar) -> datetime:
    if rule.deadline_kind == DeadlineKind.IMMEDIATE:
        return triggered_at
    if rule.deadline_kind == DeadlineKind.MONTHLY:
        return clock.add_months(triggered_at, 1)
    if rule.business_hours:
        return clock.add_business_hours(
            triggered_at, rule.deadline_hours, opens=cal.opens, closes=cal.closes, holidays=cal.holidays
        )
    return triggered_at + timedelta(hours=rule.deadline_hours)


def is_first_referral(referral: Referral) -> bool:
    first = Referral.objects.filter(referrer_id=referral.referrer_id).order_by("received_at", "id").values("id")[:1]
    return bool(first) and first[0]["id"] == referral.pk


def triggers(referral: Referral, *, at: datetime) -> list[tuple[str, str, datetime]]:
    """(trigger, key, when) for everything in this referral's history that owes a letter."""
    events = list(ReferralEvent.objects.filter(referral_id=referral.pk, kind=EventKind.TRANSITION).order_by("at", "id"))
    found = [(Trigger.RECEIVED, "ack", referral.received_at)]
    if is_first_referral(referral):
        found.append((Trigger.FIRST_REFERRAL, "first", referral.received_at))
    found += [(Trigger.INFO_MISSING, f"info:{e.pk}", e.at) for e in events if e.to_status == Status.INFO_REQUESTED]
    for status, trigger, key in (
        (Status.EVALUATED, Trigger.EVALUATED, "eval"),
        (Status.ACUTE_COMPLETE, Trigger.ACUTE_COMPLETE, "outcome"),
    ):
        entered = next((e.at for e in events if e.to_status == status), None)
        if entered:
            found.append((trigger, key, entered))
    found += _maintenance_months(events, at)
    found += [(Trigger.SAFETY, f"alert:{pk}", raised) for pk, raised, _ in record.safety_concerns(referral)]
    return found


def _maintenance_months(events: list[ReferralEvent], at: datetime) -> list[tuple[str, str, datetime]]:
    """One item per maintenance month that has begun (month k begins k-1 months after maintenance starts)."""
    start = next((e.at for e in events if e.to_status == Status.MAINTENANCE), None)
    if start is None:
        return []
    left = next((e.at for e in events if e.from_status == Status.MAINTENANCE), None)
    end = min(at, left) if left else at
    months, month = [], 1
    while clock.add_months(start, month - 1) <= end and month <= 120:
        months.append((Trigger.MAINTENANCE_MONTH, f"month:{month}", clock.add_months(start, month - 1)))
        month += 1
    return months


def expected(referral: Referral, *, at: datetime, snapshot: Snapshot | None = None) -> list[Expected]:
    """Every letter owed to this referral's referrer under its shared-care model, with due time and owner."""
    if referral.referrer_id is None:
        return []
    snapshot = snapshot or Snapshot.load()
    rules, cal = snapshot.rules_for(referral.referrer.shared_care_model), snapshot.calendar
    result = []
    for trigger, key, when in triggers(referral, at=at):
        rule = rules.get(trigger)
        if rule is not None:
            result.append(Expected(key, rule, when, due_time(rule, when, cal), _owner(referral, rule)))
    update_rule = rules.get(Trigger.ACUTE_SESSIONS)
    if update_rule is not None:
        result += _session_updates(referral, update_rule, cal)
    return result


def _session_updates(referral: Referral, rule: ProtocolRule, cal: Calendar) -> list[Expected]:
    """A treatment update after every N acute sessions; none after the last (the outcome summary follows)."""
    facts = record.care_facts(referral)
    result = []
    for done in range(rule.every_n_sessions, facts.acute_done + 1, rule.every_n_sessions):
        if facts.acute_planned and done >= facts.acute_planned:
            break
        when = facts.acute_session_times[done - 1]
        result.append(Expected(f"update:{done}", rule, when, due_time(rule, when, cal), _owner(referral, rule)))
    return result


def _owner(referral: Referral, rule: ProtocolRule) -> int | None:
    if rule.owner_role == OwnerRole.CLINICIAN:
        return referral.assigned_clinician_id
    return referral.assigned_coordinator_id
