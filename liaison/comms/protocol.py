"""The protocol applied to one referral: which letters its history makes owed, and by when.

Pure derivation from the record (status history, screening's gaps, care sessions and alerts, the referrer's
shared-care model and the record of its changes); services.communications_recompute writes the result.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib import import_module

from django.db.models import Q
from django.utils import timezone

from liaison.comms import clock, record
from liaison.comms.choices import DeadlineKind, OwnerRole, Trigger
from liaison.comms.models import CommsSettings, Holiday, ProtocolRule
from liaison.core.models import Clinic
from liaison.directory.choices import SharedCareModel
from liaison.directory.models import SharedCareChange
from liaison.referrals.choices import EventKind, Status
from liaison.referrals.models import Referral, ReferralEvent

SEEDED = import_module("liaison.comms.migrations.0002_seed_protocol_and_freeze").BASE


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
        for rule in ProtocolRule.objects.filter(Q(active=True) | Q(trigger=Trigger.SAFETY)):
            rules.setdefault(rule.shared_care_model, {})[rule.trigger] = rule
        for model in SharedCareModel.values:
            if Trigger.SAFETY not in rules.get(model, {}):
                rules.setdefault(model, {})[Trigger.SAFETY] = safety_rule_restore(model)
        return cls(rules, Calendar.load(), CommsSettings.current())

    def rules_for(self, shared_care_model: str) -> dict[str, ProtocolRule]:
        return self.rules.get(shared_care_model, {})


def safety_rule_restore(shared_care_model: str) -> ProtocolRule:
    """The safety letter cannot be switched off (decision 0018): a deleted safety rule comes back as seeded."""
    letter, owner, kind, hours, business = SEEDED[Trigger.SAFETY]
    rule, _ = ProtocolRule.objects.get_or_create(
        trigger=Trigger.SAFETY,
        shared_care_model=shared_care_model,
        defaults={
            "letter_type": letter,
            "owner_role": owner,
            "deadline_kind": kind,
            "deadline_hours": hours,
            "business_hours": business,
            "active": True,
        },
    )
    return rule


def due_time(rule: ProtocolRule, triggered_at: datetime, cal: Calendar) -> datetime:
    if rule.deadline_kind == DeadlineKind.IMMEDIATE:
        return triggered_at
    if rule.deadline_kind == DeadlineKind.MONTHLY:
        return clock.add_months(triggered_at, 1)
    if rule.business_hours:
        return clock.add_business_deadline(
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
    found += _info_requests(referral, events)
    for status, trigger, key in (
        (Status.EVALUATED, Trigger.EVALUATED, "eval"),
        (Status.ACUTE_COMPLETE, Trigger.ACUTE_COMPLETE, "outcome"),
    ):
        entered = next((e.at for e in events if e.to_status == status), None)
        if entered:
            found.append((trigger, key, entered))
    found += _maintenance_months(events, at)
    found += _evaluation_booked(referral)
    found += [(Trigger.SAFETY, f"alert:{pk}", raised) for pk, raised, _ in record.safety_concerns(referral)]
    return found


def _info_requests(referral: Referral, events: list[ReferralEvent]) -> list[tuple[str, str, datetime]]:
    """Screening's gaps owe a request on receipt, with nobody clicking; that request is also the one the first
    move to 'information requested' would owe. Each later move owes another."""
    asked = [e for e in events if e.to_status == Status.INFO_REQUESTED]
    found = []
    if record.screening_gaps(referral):
        found.append((Trigger.INFO_MISSING, "info:screening", referral.received_at))
        asked = asked[1:]
    return found + [(Trigger.INFO_MISSING, f"info:{e.pk}", e.at) for e in asked]


def _evaluation_booked(referral: Referral) -> list[tuple[str, str, datetime]]:
    """The open evaluation booking, when it was made after the acknowledgment was signed: the referrer is told the
    date in a letter of its own (decision 0044). Keyed by the booking, so a booking moved before its letter went
    owes a letter for the new time instead (the old one is no longer owed), and one moved after owes another.
    Before the acknowledgment is signed, the acknowledgment itself names the slot."""
    booking = record.open_evaluation_booking(referral)
    if booking is None:
        return []
    signed = record.acknowledgment_signed_at(referral)
    if signed is None or signed > booking.created_at:
        return []
    return [(Trigger.EVAL_BOOKED, f"booked:{booking.pk}", booking.created_at)]


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


@dataclass(frozen=True)
class ModelHistory:
    """The referrer's shared-care model over time: `changes` are (at, previous, model) in order. A model applies
    from its change on, so what happened before a change stays under the model of its time."""

    current: str
    changes: tuple = ()

    @classmethod
    def of(cls, referrer) -> "ModelHistory":
        rows = SharedCareChange.objects.filter(referrer_id=referrer.pk).order_by("at", "id")
        return cls(referrer.shared_care_model, tuple(rows.values_list("at", "previous", "model")))

    def at(self, when: datetime) -> tuple[int, str]:
        """(period number, model) in force at `when`."""
        for period, (changed_at, previous, _) in enumerate(self.changes):
            if when < changed_at:
                return period, previous
        return len(self.changes), self.current


def expected(referral: Referral, *, at: datetime, snapshot: Snapshot | None = None) -> list[Expected]:
    """Every letter owed to this referral's referrer, each under the shared-care model in force when it became
    owed (the referrer's one field, and the record of its changes), with due time and owner."""
    if referral.referrer_id is None:
        return []
    snapshot = snapshot or Snapshot.load()
    history, cal = ModelHistory.of(referral.referrer), snapshot.calendar
    result = []
    for trigger, key, when in triggers(referral, at=at):
        rule = snapshot.rules_for(history.at(when)[1]).get(trigger)
        if rule is not None:
            result.append(Expected(key, rule, when, due_time(rule, when, cal), _owner(referral, rule)))
    return result + _session_updates(referral, snapshot, history)


def _session_updates(referral: Referral, snapshot: Snapshot, history: ModelHistory) -> list[Expected]:
    """A treatment update after every N acute sessions, N from the model in force at each session and counted
    from the last change of model; none after the last planned session (the outcome summary follows). Of the
    updates whose sessions were held on the same day, only the last is owed: it tells the referrer everything the
    earlier one would have, and one day's treatment is reported once."""
    facts = record.care_facts(referral)
    found, period, counted = [], None, 0
    days = facts.acute_session_days or (None,) * len(facts.acute_session_times)
    held = zip(facts.acute_session_times, days, strict=True)
    for done, (recorded, held_on) in enumerate(held, start=1):
        if facts.acute_planned and done >= facts.acute_planned:
            break
        when = _session_done_at(recorded, held_on, snapshot.calendar)
        number, model = history.at(when)
        period, counted = number, (counted + 1 if number == period else 1)
        rule = snapshot.rules_for(model).get(Trigger.ACUTE_SESSIONS)
        if rule is not None and rule.every_n_sessions and counted % rule.every_n_sessions == 0:
            due = due_time(rule, when, snapshot.calendar)
            day = held_on or timezone.localdate(recorded)
            found.append((day, Expected(f"update:{done}", rule, when, due, _owner(referral, rule))))
    return [e for i, (day, e) in enumerate(found) if i + 1 == len(found) or found[i + 1][0] != day]


def _session_done_at(recorded: datetime, held_on: date | None, cal: Calendar) -> datetime:
    """When a session owes the update it completes: when it was recorded, if that was on the day it was held; a
    session recorded on a later day (a course entered after the fact, or the demo's history written at once)
    counts from the close of the day it was held. Each update then keeps the day of its own session: timed by
    the moment of entry, the updates after sessions 2 and 4 of a course entered at once fell due together, two
    identical lines on the work queue weeks after the outcome summary had gone."""
    if held_on is None or timezone.localdate(recorded) <= held_on:
        return recorded
    return timezone.make_aware(datetime.combine(held_on, cal.closes))


def _owner(referral: Referral, rule: ProtocolRule) -> int | None:
    if rule.owner_role == OwnerRole.CLINICIAN:
        return referral.assigned_clinician_id
    return referral.assigned_coordinator_id


# ---------------------------------------------------------------- why a letter is owed

EVENT = {
    Trigger.RECEIVED: "of receipt",
    Trigger.INFO_MISSING: "when information is found missing",
    Trigger.EVALUATED: "of the evaluation",
    Trigger.ACUTE_COMPLETE: "of completing the acute series",
    Trigger.SAFETY: "when a safety concern is raised",
    Trigger.FIRST_REFERRAL: "of a first referral",
    Trigger.EVAL_BOOKED: "of booking the evaluation after the acknowledgment",
}


def reason(rule: ProtocolRule) -> str:
    """The rule in words, as the owed-letters card shows it: 'collaborative: every 2 sessions',
    'acknowledgment: within 1 business day of receipt'."""
    if rule.trigger == Trigger.ACUTE_SESSIONS:
        n = rule.every_n_sessions or 0
        return f"{rule.shared_care_model}: every {n} session{'s' if n != 1 else ''}"
    if rule.trigger == Trigger.MAINTENANCE_MONTH:
        return f"{rule.shared_care_model}: monthly in maintenance"
    return f"{rule.get_letter_type_display().lower()}: {_deadline_words(rule)} {EVENT[rule.trigger]}"


def _deadline_words(rule: ProtocolRule) -> str:
    hours = rule.deadline_hours
    if rule.deadline_kind == DeadlineKind.IMMEDIATE:
        return "at once,"
    if rule.deadline_kind == DeadlineKind.MONTHLY:
        return "monthly,"
    if rule.business_hours and hours % 24 == 0:
        return f"within {hours // 24} business day{'s' if hours != 24 else ''}"
    if rule.business_hours:
        return f"within {hours} open hour{'s' if hours != 1 else ''}"
    if hours and hours % 168 == 0:
        return f"within {hours // 168} week{'s' if hours != 168 else ''}"
    return f"within {hours} hour{'s' if hours != 1 else ''}"
