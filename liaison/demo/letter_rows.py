"""The large network's letters (liaison.demo.bulk): for each referral from a referrer, what the practice's
protocol made owed (comms.protocol.expected, mirrored here from the history being written, with the protocol's
own rules, due times and reasons) and how far each got, as comms' services would have left it:

- delivered: drafted, signed (comms.drafting.letter_approve: a signed letter, one outbox row) and sent by the
  worker (comms.outbox._finish: the outbox row sent, the owed letter delivered, a note on the referral's
  timeline, an audit row); about 8 % later than due (LATE_SHARE). An "immediate" letter (an information
  request, a safety letter) is due the moment it becomes owed, so it is always counted late by the on-time
  figure (delivered_at <= due_at), as it would be in practice;
- drafted: a draft letter still to sign; owed: nothing done yet. Only on open referrals, and only for letters
  that became owed in the last SETTLED days; a pending letter past due was escalated by the sweep to its
  owner's lead (comms.owed.communications_escalate), a few minutes after falling due;
- a referrer with no usable channel (comms.delivery.route_for) leaves every letter owed with the problem.

Every letter of a closed referral was delivered. Self-referrals owe no letters (there is no referrer).
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from liaison.comms import letters, protocol
from liaison.comms.choices import ADMINISTRATIVE_LETTERS, DueStatus, LetterStatus, LetterType, OutboxStatus, Trigger
from liaison.comms.drafting import _mail_domain
from liaison.comms.models import CommsSettings, DueCommunication, Letter, Outbox
from liaison.comms.record import CareFacts
from liaison.referrals.choices import EventKind, Status
from liaison.referrals.models import ReferralEvent

LATE_SHARE = 0.08
SETTLED = timedelta(days=10)  # letters owed longer ago than this on an open referral were sent
PENDING_SHARES = ((DueStatus.OWED, 0.4), (DueStatus.DRAFTED, 0.2))  # of recent letters; the rest were sent
SWEEP_AFTER = timedelta(minutes=10)
FILL = "Discussed with the patient; see the attached plan."
SENTINEL = {"name": "\x01N\x01", "first": "\x01F\x01", "referrer": "\x01R\x01", "reference": "\x01X\x01"}
CHANNEL_WORDS = {"email": "secure email", "fax": "fax (email-to-fax gateway)", "portal": "referrer portal"}


@dataclass(frozen=True)
class Owed:
    key: str
    trigger: str
    at: datetime


@dataclass
class ReferralFacts:
    """What the letters of one referral need to know about it."""

    referral_id: int
    patient_id: int
    patient: tuple[str, str]  # first, last
    source: object  # bulk.Source
    coordinator_id: int | None
    clinician: object
    received: datetime
    moves: list  # (status, at, event id) of each transition, in order
    is_open: bool
    first: bool
    care: object  # care_rows.CareDone


class LetterMaker:
    def __init__(self, rng: random.Random, tables: dict, trail, *, now: datetime, users: dict):
        self.rng, self.tables, self.trail, self.now = rng, tables, trail, now
        self.snapshot = protocol.Snapshot.load()
        self.reasons: dict[int, str] = {}
        self.users = {u.pk: u for u in users.values()}
        self.coordinator = users["coordinator"]
        self.escalate = timedelta(hours=CommsSettings.current().escalate_after_hours)
        self.domain = _mail_domain()
        self.bodies = _bodies()
        self.clinic = letters.clinic_facts()
        self.templates = {m: tables[m].row({}) for m in (DueCommunication, Letter, Outbox, ReferralEvent)}

    def expected(self, r: ReferralFacts) -> list[tuple[Owed, object]]:
        """(what is owed, its rule) under the referrer's shared-care model, as protocol.expected finds them."""
        rules = self.snapshot.rules_for(r.source.shared_care_model)
        found = [Owed("ack", Trigger.RECEIVED, r.received)]
        if r.first:
            found.append(Owed("first", Trigger.FIRST_REFERRAL, r.received))
        found += [Owed(f"info:{pk}", Trigger.INFO_MISSING, at) for s, at, pk in r.moves if s == Status.INFO_REQUESTED]
        for status, trigger, key in ((Status.EVALUATED, Trigger.EVALUATED, "eval"),
                                     (Status.ACUTE_COMPLETE, Trigger.ACUTE_COMPLETE, "outcome")):  # fmt: skip
            entered = next((at for s, at, _ in r.moves if s == status), None)
            if entered:
                found.append(Owed(key, trigger, entered))
        found += self._months(r)
        found += [Owed(f"alert:{pk}", Trigger.SAFETY, at) for pk, at, _ in r.care.alerts]
        result = [(o, rules[o.trigger]) for o in found if o.trigger in rules]
        update = rules.get(Trigger.ACUTE_SESSIONS)
        for done, at in enumerate(r.care.acute_times, start=1):
            if r.care.planned and done >= r.care.planned:
                break
            if update is not None and update.every_n_sessions and done % update.every_n_sessions == 0:
                result.append((Owed(f"update:{done}", Trigger.ACUTE_SESSIONS, at), update))
        return result

    def _months(self, r: ReferralFacts) -> list[Owed]:
        start = next((at for s, at, _ in r.moves if s == Status.MAINTENANCE), None)
        if start is None:
            return []
        after = [at for (s, _, _), (_, at, _) in zip(r.moves, r.moves[1:], strict=False) if s == Status.MAINTENANCE]
        end = min(self.now, after[0]) if after else self.now
        found, month = [], 1
        while (begins := protocol.clock.add_months(start, month - 1)) <= end and month <= 120:
            found.append(Owed(f"month:{month}", Trigger.MAINTENANCE_MONTH, begins))
            month += 1
        return found

    def make(self, rows: dict, r: ReferralFacts, facts: dict) -> None:
        route = r.source.route
        for owed, rule in self.expected(r):
            owner_id = r.clinician.pk if rule.owner_role == "clinician" else r.coordinator_id
            due_at = protocol.due_time(rule, owed.at, self.snapshot.calendar)
            state = self._state(r, owed, route)
            sent = self._sent_at(owed.at, due_at) if state == DueStatus.DELIVERED else None
            if state == DueStatus.DELIVERED and sent is None:
                state = DueStatus.OWED
            due_id = self.tables[DueCommunication].take()
            pending = state in (DueStatus.OWED, DueStatus.DRAFTED)
            escalated = due_at + self.escalate + SWEEP_AFTER if pending else None
            escalated = escalated if escalated and escalated < self.now else None
            rows[DueCommunication].append(
                self.tables[DueCommunication].fill(
                    self.templates[DueCommunication],
                    id=due_id,
                    referral_id=r.referral_id,
                    key=owed.key,
                    rule_id=rule.pk,
                    letter_type=rule.letter_type,
                    status=state,
                    triggered_at=owed.at,
                    due_at=due_at,
                    owner_id=owner_id,
                    owner_role=rule.owner_role,
                    escalated_at=escalated,
                    escalated_to_id=self._lead(owner_id) if escalated else None,
                    problem=route.problem if pending else "",
                    reason=self._reason(rule),
                    delivered_at=sent,
                    created_at=owed.at,
                )
            )
            if state != DueStatus.OWED:
                self._letter(rows, r, rule.letter_type, due_id, owed.at, sent, route, facts)

    def _state(self, r: ReferralFacts, owed: Owed, route) -> str:
        if route.problem:
            return DueStatus.OWED
        if not r.is_open or owed.at < self.now - SETTLED:
            return DueStatus.DELIVERED
        u = self.rng.random()
        for state, share in PENDING_SHARES:
            if u < share:
                return state
            u -= share
        return DueStatus.DELIVERED

    def _sent_at(self, triggered: datetime, due: datetime) -> datetime | None:
        rng, span = self.rng, (due - triggered).total_seconds()
        if not span:
            sent = triggered + timedelta(minutes=rng.uniform(5, 150))
        elif rng.random() < LATE_SHARE:
            sent = due + timedelta(hours=rng.uniform(2, 96))
        else:
            sent = triggered + timedelta(seconds=span * rng.uniform(0.1, 0.95))
        sent = min(sent, self.now - timedelta(minutes=5))
        return sent if sent > triggered + timedelta(minutes=3) else None

    def _letter(self, rows, r: ReferralFacts, letter_type, due_id, triggered, sent, route, facts) -> None:
        rng, table = self.rng, self.tables[Letter]
        by = self.coordinator if letter_type in ADMINISTRATIVE_LETTERS else r.clinician
        letter_id = table.take()
        if sent is None:
            drafted = min(triggered + timedelta(minutes=rng.uniform(10, 600)), self.now - timedelta(minutes=1))
            signed = None
        else:
            drafted = max(triggered + timedelta(minutes=1), sent - timedelta(minutes=rng.uniform(15, 180)))
            signed = max(drafted, sent - timedelta(minutes=2))
        subject = letters.SUBJECTS[letter_type].format(patient=f"{r.patient[0]} {r.patient[1]}")
        body = self.bodies[letter_type]
        body = body.replace(SENTINEL["name"], f"{r.patient[0]} {r.patient[1]}").replace(SENTINEL["first"], r.patient[0])
        body = body.replace(SENTINEL["referrer"], r.source.name).replace(
            SENTINEL["reference"], f"R-{r.referral_id:06d}"
        )
        if signed is not None:
            body = letters.PLACEHOLDER_RE.sub(FILL, body)
        rows[Letter].append(
            table.fill(
                self.templates[Letter],
                id=letter_id,
                due_id=due_id,
                referral_id=r.referral_id,
                letter_type=letter_type,
                status=LetterStatus.SIGNED if signed else LetterStatus.DRAFT,
                subject=subject,
                body=body,
                facts=facts,
                drafted_at=drafted,
                drafted_by_id=by.pk,
                signed_at=signed,
                signed_by_id=by.pk if signed else None,
                signature=f"{by.get_full_name() or by.username}, {by.get_role_display()}" if signed else "",
            )
        )
        if signed is None:
            self._audit(rows, drafted, by, "letter_draft", letter_id, r, None)
            return
        message_id = f"<letter-{letter_id}.{r.referral_id}@{self.domain}>"
        outbox = self.tables[Outbox]
        rows[Outbox].append(
            outbox.fill(
                self.templates[Outbox],
                id=outbox.take(),
                letter_id=letter_id,
                channel=route.channel,
                address=route.address,
                message_id=message_id,
                status=OutboxStatus.SENT,
                attempts=1,
                next_attempt_at=signed,
                leased_by="worker",
                sent_at=sent,
                confirmed=True,
                created_at=signed,
            )
        )
        self._audit(rows, signed, by, "letter_approve", letter_id, r, {"channel": route.channel})
        to = f" to {route.address}" if route.address else ""
        label = LetterType(letter_type).label
        events = self.tables[ReferralEvent]
        rows[ReferralEvent].append(
            events.fill(
                self.templates[ReferralEvent],
                id=events.take(),
                referral_id=r.referral_id,
                at=sent,
                actor_id=None,
                actor_label="liaison",
                kind=EventKind.NOTE,
                reason=f"{label} delivered by {CHANNEL_WORDS[route.channel]}{to}.",
                detail={
                    "comms": "delivered",
                    "letter": letter_id,
                    "channel": route.channel,
                    "message_id": message_id,
                    "confirmed": True,
                },  # fmt: skip
            )
        )
        detail = {"channel": route.channel, "message_id": message_id}
        self._audit(rows, sent, None, "letter_delivered", letter_id, r, detail)

    def _audit(self, rows, at, actor, action, letter_id, r: ReferralFacts, detail) -> None:
        self.trail.add(
            rows["audit"],
            at=at,
            actor=actor,
            action=action,
            object_type="comms.letter",
            object_id=letter_id,
            patient_id=r.patient_id,
            detail=detail,
        )

    def _reason(self, rule) -> str:
        if rule.pk not in self.reasons:
            self.reasons[rule.pk] = protocol.reason(rule)
        return self.reasons[rule.pk]

    def _lead(self, owner_id: int | None) -> int | None:
        owner = self.users.get(owner_id)
        return owner.lead_id if owner else None


def letter_facts(
    r: ReferralFacts, *, clinic, reason, diagnoses, trials, phq9, scores: CareFacts, born, status, maintenance
):
    """The facts a letter keeps, in comms.letters.letter_context's shape, as of the referral's last step."""
    when = {s: at for s, at, _ in r.moves}
    alert = r.care.alerts[-1] if r.care.alerts else None
    return {
        "reference": f"R-{r.referral_id:06d}",
        "patient": {"name": f"{r.patient[0]} {r.patient[1]}", "first_name": r.patient[0], "date_of_birth": _day(born)},
        "referrer": {"name": r.source.name, "last_name": r.source.last_name, "practice": r.source.practice},
        "clinic": clinic,
        "received_on": _day(r.received),
        "evaluated_on": _day(when.get(Status.EVALUATED)),
        "eval_scheduled": Status.EVAL_SCHEDULED in when,
        "completed_on": _day(when.get(Status.ACUTE_COMPLETE)),
        "reason": reason,
        "diagnoses": diagnoses,
        "trials": trials,
        "referral_phq9": phq9,
        "care": {
            "sessions_done": len(r.care.acute_times),
            "sessions_planned": r.care.planned,
            "maintenance_done": maintenance,
            "baseline_phq9": scores.baseline_phq9 if scores.baseline_phq9 is not None else phq9,
            "current_phq9": scores.current_phq9,
            "response": scores.response or "Not yet measured",
            "percent_change": scores.percent_change,
            "remission": scores.remission,
            "course": letters.course_words(scores.response, scores.remission),
        },
        "concern": alert[2] if alert else "",
        "concern_on": _day(alert[1]) if alert else "",
        "missing": [],
        "status": status,
    }


def _day(moment) -> str:
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        moment = timezone.localtime(moment)
    return moment.strftime("%B %-d, %Y")


def _bodies() -> dict[str, str]:
    """Each letter type's words, drafted once from its own template with stand-in names (replaced per letter)."""
    facts = {
        "reference": SENTINEL["reference"],
        "patient": {"name": SENTINEL["name"], "first_name": SENTINEL["first"], "date_of_birth": "March 3, 1981"},
        "referrer": {"name": SENTINEL["referrer"], "last_name": "", "practice": ""},
        "clinic": letters.clinic_facts(),
        "received_on": "the date received",
        "evaluated_on": "the day of the evaluation",
        "eval_scheduled": True,
        "completed_on": "the last session",
        "reason": "",
        "diagnoses": ["F33.2 Major depressive disorder, recurrent severe without psychotic features"],
        "trials": ["Sertraline", "Bupropion XL"],
        "referral_phq9": 19,
        "care": {
            "sessions_done": 6,
            "sessions_planned": 6,
            "maintenance_done": 2,
            "baseline_phq9": 19,
            "current_phq9": 8,
            "response": "Response",
            "percent_change": -58,
            "remission": False,
            "course": "response, not in remission",
        },  # fmt: skip
        "concern": "PHQ-9 item 9 answered 1 of 3 (see the record).",
        "concern_on": "the day it was raised",
        "missing": ["Doses and durations of past antidepressant trials"],
        "status": "In treatment",
    }
    return {t: letters.draft_words(t, facts)[1] for t in letters.SUBJECTS}
