"""What a practice's records hold besides the referrals themselves, for the large network (liaison.demo.bulk):
per referral, its care (care_rows), its letters (letter_rows) and its audit rows; the proportions are in
decision 0028.

The audit rows are those the services append: the referral's creation and each move (referrals.services),
a few looks at its page (`view`, as the referral page writes them: two, and one more for every three steps),
each session and alert (care), each letter approved and delivered, or drafted where it is still a draft
(comms). Left out, to keep a million referrals to minutes: the rows of each score (recorded with its session)
and of drafting a letter that was then signed.
"""

import random
from datetime import datetime, timedelta

from liaison.care.models import Assessment, SafetyAlert, Session
from liaison.care.outcomes import Score, outcome
from liaison.comms.models import DueCommunication, Letter, Outbox
from liaison.comms.record import CareFacts
from liaison.core.models import AuditEvent
from liaison.demo.audit_rows import AuditTrail
from liaison.demo.care_rows import CareMaker
from liaison.demo.letter_rows import LetterMaker, ReferralFacts, letter_facts
from liaison.demo.tables import Table
from liaison.referrals.choices import Status

PRACTICE_LOADED = (Session, Assessment, SafetyAlert, DueCommunication, Letter, Outbox, AuditEvent)


class PracticeRows:
    def __init__(self, rng: random.Random, tables: dict, *, now: datetime, users: dict):
        for model in PRACTICE_LOADED:
            tables.setdefault(model, Table(model))
        self.rng, self.now, self.tables = rng, now, tables
        self.trail = AuditTrail(tables[AuditEvent])
        self.care = CareMaker(rng, tables, self.trail, now=now)
        self.letters = LetterMaker(rng, tables, self.trail, now=now, users=users)
        self.closed_first: dict[int, datetime] = {}  # each referrer's first referral among the closed ones
        self.open_first: dict[int, datetime] = {}  # ... among the open ones (drawn before anything is written)
        self.first: dict[int, tuple[int, datetime]] = {}  # referrer: their first referral (id, received at)

    def is_first(self, source, referral_id: int, received: datetime, *, is_open: bool) -> bool:
        """Whether this is the referrer's first referral (protocol.is_first_referral), knowing that the closed
        referrals are written first, in date order, and the open ones' referrers were drawn beforehand."""
        if source is None:
            return False
        if not is_open:
            if source.id in self.closed_first:
                return False
            self.closed_first[source.id] = received
            first = received < self.open_first.get(source.id, received + timedelta(seconds=1))
        else:
            closed = self.closed_first.get(source.id)
            first = self.open_first.get(source.id) == received and (closed is None or closed > received)
        if first:
            self.first[source.id] = (referral_id, received)
        return first

    def add(self, rows: dict, *, referral: dict, moves: list, summary, source, first: bool, people: dict) -> None:
        """Everything else one referral left: `referral` holds its row's fields (id, patient_id, received_at,
        status, is_open, closed_at, assigned_coordinator_id), `moves` (status, at, event id, actor) of each
        transition, `people` the coordinator and the referral's clinician."""
        referral_id, patient_id = referral["id"], referral["patient_id"]
        received, is_open = referral["received_at"], referral["is_open"]
        end = self.now if is_open else referral["closed_at"] or moves[-1][1]
        self._referral_audit(rows, referral, moves, people, end)
        clinician = people["clinician"]
        phq9 = referral["phq9_total"]
        done = self.care.make(
            rows,
            referral_id=referral_id,
            patient_id=patient_id,
            clinician=clinician,
            moves=[(status, at) for status, at, _, _ in moves],
            end=end,
            phq9=phq9,
        )
        if source is None:
            return
        facts = ReferralFacts(
            referral_id=referral_id,
            patient_id=patient_id,
            patient=referral["patient_name"],
            source=source,
            coordinator_id=referral["assigned_coordinator_id"],
            clinician=clinician,
            received=received,
            moves=[(status, at, pk) for status, at, pk, _ in moves],
            is_open=is_open,
            first=first,
            care=done,
        )
        scores = outcome([Score(on, total, kind) for on, total, kind in done.scores])
        care = CareFacts(
            baseline_phq9=scores.baseline.total if scores.baseline else None,
            current_phq9=scores.current.total if scores.current else None,
            response=scores.response_label,
            percent_change=scores.percent_change,
            remission=scores.remission,
        )
        kept = letter_facts(
            facts,
            clinic=self.letters.clinic,
            reason=referral["reason"],
            diagnoses=summary.words[0],
            trials=summary.words[1],
            phq9=phq9,
            scores=care,
            born=referral["date_of_birth"],
            status=Status(referral["status"]).label,
            maintenance=done.maintenance,
        )
        self.letters.make(rows, facts, kept)

    def _referral_audit(self, rows: dict, referral: dict, moves: list, people: dict, end: datetime) -> None:
        referral_id, patient_id, add = referral["id"], referral["patient_id"], self.trail.add
        out, received = rows["audit"], referral["received_at"]
        common = {"object_type": "referrals.referral", "object_id": referral_id, "patient_id": patient_id}
        add(out, at=received, actor=referral["intake_user"], action="create", **common)
        previous = Status.RECEIVED
        for status, at, _, actor in moves:
            add(out, at=at, actor=actor, action="transition", detail={"from": previous, "to": status}, **common)
            previous = status
        span = max((end - received).total_seconds(), 60.0)
        looks = sorted(received + timedelta(seconds=self.rng.uniform(30, span)) for _ in range(2 + len(moves) // 3))
        path = f"/referrals/{referral_id}/"
        for at in looks:
            viewer = people["coordinator"] if self.rng.random() < 0.5 else people["clinician"]
            add(out, at=at, actor=viewer, action="view", path=path, **common)

    def close(self) -> None:
        self.trail.close()
