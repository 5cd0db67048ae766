"""The large network's care (liaison.demo.bulk): for each referral, the sessions its history implies, with
their PHQ-9 and GAD-7 scores and the safety alerts those scores raise, as care's services would have written
them (care.sessions.session_record, care.assessments._save_score, care.alerts):

- an evaluation session just before the move to "evaluated", with a PHQ-9 and a GAD-7;
- the acute series: session 1 is what moved the referral from "accepted" to "acute" (at that moment), then
  sessions spread over the series, six planned (CareSettings' default), until "acute complete" or until the
  referral left the series or now; a PHQ-9 at each, a GAD-7 at every third;
- maintenance: session 1 moved it to "maintenance", then one about every four weeks until it left or now,
  a PHQ-9 at each and a GAD-7 at every other;
- PHQ-9 items that add up to the total, item 9 kept in `item9`; every score with item 9 above 0 raises an
  item-9 alert at the session's time (care.scoring.alerts), acknowledged within the day unless it is recent.

Scores fall over the series as the patient responds (about a third remit, a quarter respond, a fifth
respond partly, the rest do not). Blood pressures stay below the practice's alert thresholds, so no blood
pressure alert is made (a choice of this generator, not of the rules).
"""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from liaison.care.alerts import item9_summary
from liaison.care.choices import AlertKind, DoseUnit, Instrument, Route, ScoreSource, SessionKind
from liaison.care.instruments import spec
from liaison.care.models import Assessment, SafetyAlert, Session
from liaison.care.queries import care_settings
from liaison.care.scoring import alerts as raises_alert
from liaison.care.scoring import minimum_item9
from liaison.referrals.choices import Status

S = Status
ACUTE_SPACING = timedelta(days=3, hours=12)
MAINTENANCE_SPACING = timedelta(days=28)
EVALUATION_BEFORE = timedelta(minutes=25)
ACKNOWLEDGED_AFTER = (timedelta(minutes=20), timedelta(hours=20))
OPEN_ALERT_WITHIN = timedelta(days=2)  # alerts raised in the last two days may still wait for a clinician
ACK_NOTE = "Called the patient the same day: passive thoughts only, no plan or intent; safety plan reviewed."
# Final PHQ-9 as a share of the baseline: remission, response, partial response, none.
COURSES = ((0.35, (0.05, 0.22)), (0.25, (0.25, 0.5)), (0.2, (0.5, 0.75)), (0.2, (0.8, 1.05)))
ROUTES = ((Route.IV, 70), (Route.INTRANASAL, 15), (Route.IM, 10), (Route.ORAL, 5))
DOSES = {
    Route.IV: ((Decimal("0.50"), Decimal("0.60"), Decimal("0.75")), DoseUnit.MG_PER_KG),
    Route.IM: ((Decimal("0.50"), Decimal("0.75")), DoseUnit.MG_PER_KG),
    Route.INTRANASAL: ((Decimal("56"), Decimal("84")), DoseUnit.MG),
    Route.ORAL: ((Decimal("150"), Decimal("200")), DoseUnit.MG),
}


@dataclass
class CareDone:
    """What comms needs from a referral's care: acute session times and its alerts (id, raised at)."""

    acute_times: list[datetime] = field(default_factory=list)
    planned: int | None = None
    alerts: list[tuple[int, datetime, str]] = field(default_factory=list)
    scores: list[tuple] = field(default_factory=list)  # (taken on, PHQ-9 total, session kind)
    maintenance: int = 0


class CareMaker:
    """Sessions, scores and alerts for one referral at a time, appended to the load's rows."""

    def __init__(self, rng: random.Random, tables: dict, trail, *, now: datetime):
        self.rng, self.tables, self.trail, self.now = rng, tables, trail, now
        self.planned = care_settings().acute_sessions_planned
        self.loinc = {i: spec(i).panel_loinc for i in Instrument.values}
        self.templates = {model: tables[model].row({}) for model in (Session, Assessment, SafetyAlert)}
        self.route_weights = ([r for r, _ in ROUTES], [w for _, w in ROUTES])

    def make(self, rows: dict, *, referral_id: int, patient_id: int, clinician, moves: list, end: datetime, phq9):
        """`moves`: (status, at) of each transition in order; `end`: when the referral closed, or now."""
        done = CareDone()
        reached = {status: at for status, at in moves}
        if S.EVALUATED not in reached and S.ACUTE not in reached:
            return done
        rng = self.rng
        baseline = phq9 if phq9 is not None and phq9 >= 10 else rng.randint(13, 24)
        baseline = min(27, max(8, baseline + rng.randint(-2, 2)))
        share = self._course()
        gad = min(21, max(4, round(rng.gauss(12, 4))))
        route = rng.choices(*self.route_weights)[0]
        ctx = _Ctx(referral_id, patient_id, clinician, baseline, share, gad, route, rows, done)
        if S.EVALUATED in reached:
            self._session(ctx, SessionKind.EVALUATION, reached[S.EVALUATED] - EVALUATION_BEFORE, progress=0.0, gad=True)
        if S.ACUTE in reached:
            self._acute(ctx, reached, moves, end)
        if S.MAINTENANCE in reached:
            start = reached[S.MAINTENANCE]
            stop = _left(moves, S.MAINTENANCE, end)
            at, k = start, 0
            while at < stop:
                self._session(ctx, SessionKind.MAINTENANCE, at, progress=1.0 + 0.05 * k, gad=k % 2 == 0)
                k += 1
                at = start + MAINTENANCE_SPACING * k + timedelta(hours=rng.uniform(-72, 72))
        return done

    def _course(self) -> float:
        u, total = self.rng.random(), 0.0
        for weight, (lo, hi) in COURSES:
            total += weight
            if u < total:
                return self.rng.uniform(lo, hi)
        return 1.0

    def _acute(self, ctx: "_Ctx", reached: dict, moves: list, end: datetime) -> None:
        start = reached[S.ACUTE]
        if S.ACUTE_COMPLETE in reached:
            spacing, count = (reached[S.ACUTE_COMPLETE] - start) / self.planned, self.planned
        else:
            stop = _left(moves, S.ACUTE, end)
            spacing = ACUTE_SPACING
            count = min(self.planned, 1 + int((stop - start) / spacing))
        ctx.done.planned = self.planned
        for number in range(1, count + 1):
            at = start + spacing * (number - 1)
            if number > 1:
                at += timedelta(minutes=self.rng.randint(-90, 90))
            self._session(
                ctx, SessionKind.ACUTE, at, progress=number / self.planned, gad=number % 3 == 0, number=number
            )
            ctx.done.acute_times.append(at)

    def _session(self, ctx: "_Ctx", kind: str, at: datetime, *, progress: float, gad: bool, number=None) -> None:
        rng, table = self.rng, self.tables[Session]
        session_id = table.take()
        on = timezone.localdate(at)
        treated = kind != SessionKind.EVALUATION
        doses, unit = DOSES[ctx.route] if treated else ((None,), "")
        systolic, diastolic = rng.randint(108, 150), rng.randint(66, 94)
        row = table.fill(
            self.templates[Session],
            id=session_id,
            referral_id=ctx.referral_id,
            kind=kind,
            number=number,
            planned=self.planned if number else None,
            held_on=on,
            route=ctx.route if treated else "",
            dose=rng.choice(doses),
            dose_unit=unit,
            bp_before_systolic=systolic,
            bp_before_diastolic=diastolic,
            bp_after_systolic=min(172, systolic + rng.randint(0, 22)) if treated else None,
            bp_after_diastolic=min(104, diastolic + rng.randint(0, 12)) if treated else None,
            adverse_effects=rng.sample(("nausea", "dissociation", "dizziness", "headache"), rng.randint(0, 2))
            if treated
            else [],
            clinician_id=ctx.clinician.pk,
            recorded_by_id=ctx.clinician.pk,
            created_at=at,
        )
        ctx.rows[Session].append(row)
        self._audit(ctx, at, "create", "care.session", session_id, {"kind": kind})
        phq9 = self._phq9_total(ctx, progress)
        self._score(ctx, Instrument.PHQ9, phq9, session_id, on, at)
        ctx.done.scores.append((on, phq9, kind))
        ctx.done.maintenance += kind == SessionKind.MAINTENANCE
        if gad:
            self._score(
                ctx, Instrument.GAD7, round(ctx.gad * (1 - (1 - ctx.share) * min(progress, 1))), session_id, on, at
            )

    def _phq9_total(self, ctx: "_Ctx", progress: float) -> int:
        target = ctx.baseline * (1 - (1 - ctx.share) * min(progress, 1.0))
        return max(0, min(27, round(target + self.rng.gauss(0, 1.5)))) if progress else ctx.baseline

    def _score(self, ctx: "_Ctx", instrument: str, total: int, session_id: int, on, at: datetime) -> None:
        rng, table = self.rng, self.tables[Assessment]
        total = max(0, min(total, 27 if instrument == Instrument.PHQ9 else 21))
        item9 = None
        if instrument == Instrument.PHQ9:
            chance = 0.16 * total / 27 * (1.0 if total >= 15 else 0.5)
            item9 = min(3, total, max(minimum_item9(None, total), 1 if rng.random() < chance else 0))
            items = _items(rng, total - item9, 8) + [item9]
        else:
            items = _items(rng, total, 7)
        score_id = table.take()
        ctx.rows[Assessment].append(
            table.fill(
                self.templates[Assessment],
                id=score_id,
                referral_id=ctx.referral_id,
                session_id=session_id,
                instrument=instrument,
                loinc=self.loinc[instrument],
                items=items,
                total=total,
                item9=item9,
                difficulty=min(3, total // 7),
                taken_on=on,
                source=ScoreSource.STAFF,
                recorded_by_id=ctx.clinician.pk,
                created_at=at,
            )
        )
        if instrument == Instrument.PHQ9 and raises_alert(_Clean(instrument, item9, total)):
            self._alert(ctx, score_id, session_id, item9=item9, total=total, on=on, at=at)

    def _alert(self, ctx: "_Ctx", score_id: int, session_id: int, *, item9: int, total: int, on, at) -> None:
        table = self.tables[SafetyAlert]
        alert_id = table.take()
        summary = item9_summary(item9=item9, total=total, on=on, answered=9)
        fields = {"acknowledged_at": None, "acknowledged_by_id": None, "acknowledgement": ""}
        if at < self.now - OPEN_ALERT_WITHIN or self.rng.random() < 0.5:
            seen = min(
                at + timedelta(seconds=self.rng.uniform(*(d.total_seconds() for d in ACKNOWLEDGED_AFTER))), self.now
            )
            fields = {"acknowledged_at": seen, "acknowledged_by_id": ctx.clinician.pk, "acknowledgement": ACK_NOTE}
        ctx.rows[SafetyAlert].append(
            table.fill(
                self.templates[SafetyAlert],
                id=alert_id,
                referral_id=ctx.referral_id,
                kind=AlertKind.ITEM9,
                assessment_id=score_id,
                session_id=session_id,
                summary=summary,
                raised_at=at,
                **fields,
            )
        )
        ctx.done.alerts.append((alert_id, at, summary))
        self._audit(ctx, at, "alert_raised", "care.safetyalert", alert_id, {"kind": AlertKind.ITEM9})
        if fields["acknowledged_at"]:
            self._audit(ctx, fields["acknowledged_at"], "alert_acknowledged", "care.safetyalert", alert_id, None)

    def _audit(self, ctx: "_Ctx", at, action: str, object_type: str, object_id: int, detail) -> None:
        self.trail.add(
            ctx.rows["audit"],
            at=at,
            actor=ctx.clinician,
            action=action,
            object_type=object_type,
            object_id=object_id,
            patient_id=ctx.patient_id,
            detail=detail,
        )


@dataclass(frozen=True)
class _Ctx:
    referral_id: int
    patient_id: int
    clinician: object
    baseline: int
    share: float
    gad: int
    route: str
    rows: dict
    done: CareDone


@dataclass(frozen=True)
class _Clean:
    """What care.scoring.alerts reads of a checked score."""

    instrument: str
    item9: int | None
    total: int | None

    @property
    def item9_floor(self) -> int:
        return minimum_item9(self.item9, self.total)


def _items(rng: random.Random, total: int, count: int) -> list[int]:
    """`count` answers of 0 to 3 that add up to `total` (at most 3 × count)."""
    items = [0] * count
    for _ in range(min(total, 3 * count)):
        i = rng.randrange(count)
        while items[i] == 3:
            i = (i + 1) % count
        items[i] += 1
    return items


def _left(moves: list, status: Status, end: datetime) -> datetime:
    """When the referral left `status` (the next move after reaching it), or `end`."""
    for (was, _), (_, at) in zip(moves, moves[1:], strict=False):
        if was == status:
            return at
    return end
