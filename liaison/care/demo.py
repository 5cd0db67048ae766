"""Demo data for measurement-based care: an evaluation, acute series and maintenance sessions with PHQ-9 and
GAD-7 scores for the demo's treated referrals, and a couple of item-9 alerts (one open, one acknowledged).

Called by the demo generator (liaison/demo/) after it has made referrals, with its own random generator:

    from liaison.care.demo import build_demo_care
    build_demo_care(rng=rng, referrals=referrals, clinicians=clinicians, at=now)

Starting answers are real (data/baseline_answers.csv, see data/SOURCE.md); each patient then improves
strongly, partly or hardly at all. Rows are written in bulk, straight to the tables: the referrals are already
in their final status, so no lifecycle move is made here. Every item-9 answer above 0 has its alert; the stored
outcomes are reconciled at the end. The coming days' bookings (evaluations waiting, the acute series' next
sessions) fill the schedule.
"""

import csv
import datetime
import random
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from liaison.care.choices import AlertKind, BookingKind, BookingStatus, DoseUnit, Route, ScoreSource, SessionKind
from liaison.care.instruments import GAD7, PHQ9
from liaison.care.models import Assessment, Booking, SafetyAlert, Session
from liaison.care.stored_outcomes import reconcile_outcomes
from liaison.referrals.choices import Status

BASELINES = Path(__file__).resolve().parent / "data" / "baseline_answers.csv"
TREATED = {Status.ACUTE, Status.ACUTE_COMPLETE, Status.MAINTENANCE, Status.RETURNED}
PLANNED = 6
# How much of the baseline is left at the end: a strong, a partial and a weak response.
COURSES = [(0.25, 5), (0.6, 3), (0.95, 2)]
ROUTES = [
    (Route.IV, Decimal("0.50"), DoseUnit.MG_PER_KG, 6),
    (Route.INTRANASAL, Decimal("84"), DoseUnit.MG, 2),
    (Route.IM, Decimal("0.50"), DoseUnit.MG_PER_KG, 1),
]


def _baselines() -> list[tuple[list[int], list[int]]]:
    with open(BASELINES, newline="") as f:
        rows = [[int(v) for v in row] for row in list(csv.reader(f))[1:]]
    return [(row[:9], row[9:]) for row in rows]


def _visits(referral, rng: random.Random, at: datetime.date) -> list[tuple[str, datetime.date]]:
    acute = {Status.ACUTE: rng.randint(1, PLANNED - 1)}.get(referral.status, PLANNED)
    maintenance = rng.randint(1, 4) if referral.status == Status.MAINTENANCE else 0
    if referral.status == Status.RETURNED:
        maintenance = rng.randint(0, 2)
    day = timezone.localdate(referral.received_at) + datetime.timedelta(days=rng.randint(7, 20))
    visits = [(SessionKind.EVALUATION, day)]
    day += datetime.timedelta(days=rng.randint(5, 10))
    for _ in range(acute):
        visits.append((SessionKind.ACUTE, day))
        day += datetime.timedelta(days=rng.choice((2, 3, 4)))
    for _ in range(maintenance):
        day += datetime.timedelta(days=rng.randint(21, 35))
        visits.append((SessionKind.MAINTENANCE, day))
    return _fit(visits, timezone.localdate(referral.received_at), at)


def _fit(visits, first: datetime.date, last: datetime.date):
    """Shift the visits back so the last is not after `last`, never before `first`; squeeze if need be."""
    shift = max(datetime.timedelta(0), visits[-1][1] - last)
    moved = [(kind, max(first, day - shift)) for kind, day in visits]
    return [(kind, min(day, last)) for kind, day in moved]


def _answers(items: list[int], left: float, rng: random.Random) -> list[int]:
    return [max(0, min(3, round(v * left + rng.choice((-1, 0, 0, 0, 1)) * (v > 0)))) for v in items]


def _session(referral, kind, day, n, clinician, route, rng) -> Session:
    systolic, diastolic = rng.randint(112, 142), rng.randint(70, 90)
    treated = kind != SessionKind.EVALUATION
    return Session(
        referral=referral,
        kind=kind,
        number=n if kind == SessionKind.ACUTE else None,
        planned=PLANNED if kind == SessionKind.ACUTE else None,
        held_on=day,
        route=route[0] if treated else "",
        dose=route[1] if treated else None,
        dose_unit=route[2] if treated else "",
        bp_before_systolic=systolic,
        bp_before_diastolic=diastolic,
        bp_after_systolic=systolic + rng.randint(0, 18) if treated else None,
        bp_after_diastolic=diastolic + rng.randint(0, 10) if treated else None,
        adverse_effects=rng.sample(["nausea", "dissociation", "dizziness", "headache"], rng.choice((0, 0, 1, 2)))
        if treated
        else [],
        notes="",
        clinician=clinician,
        recorded_by=clinician,
    )


def _course(referral, rng, clinicians, at_date, baselines):
    """One referral's sessions and their (phq9 items, gad7 items)."""
    clinician = referral.assigned_clinician or rng.choice(clinicians)
    phq9, gad7 = rng.choice(baselines)
    phq9 = [*phq9[:8], 0]  # item 9 only where an alert is made for it
    left, _ = rng.choices(COURSES, weights=[w for _, w in COURSES])[0]
    route = rng.choices(ROUTES, weights=[w for *_, w in ROUTES])[0]
    visits = _visits(referral, rng, at_date)
    out, acute_n = [], 0
    for i, (kind, day) in enumerate(visits):
        acute_n += kind == SessionKind.ACUTE
        progress = 1 - (1 - left) * min(1.0, i / max(1, min(len(visits) - 1, PLANNED)))
        session = _session(referral, kind, day, acute_n, clinician, route, rng)
        out.append((session, _answers(phq9, progress, rng) if i else phq9, _answers(gad7, progress, rng)))
    return out


def build_demo_care(*, rng: random.Random, referrals, clinicians, at: datetime.datetime, alerts: int = 2) -> dict:
    """Sessions and scores for every treated referral among `referrals`; returns counts of what was written."""
    at_date = timezone.localdate(at)
    baselines = _baselines()
    courses = [_course(r, rng, clinicians, at_date, baselines) for r in referrals if r.status in TREATED]
    flagged = set(rng.sample(range(len(courses)), min(alerts, len(courses))))
    with transaction.atomic():
        sessions = Session.objects.bulk_create([s for course in courses for s, _, _ in course])
        assessments, alert_rows = _scores(courses, flagged, at)
        Assessment.objects.bulk_create(assessments)
        SafetyAlert.objects.bulk_create([make(assessments) for make in alert_rows])
        reconcile_outcomes()  # written in bulk, past the services: the stored outcomes are filled in sets
        bookings = Booking.objects.bulk_create(_bookings(rng, referrals, clinicians, at))
    return {
        "sessions": len(sessions),
        "assessments": len(assessments),
        "alerts": len(alert_rows),
        "bookings": len(bookings),
    }


EVALUATION_PLACES = ["Room 1", "Room 2", "Video call"]
SESSION_PLACES = ["Infusion room 1", "Infusion room 2"]
HOURS = [9, 10, 11, 13, 14, 15]


def _bookings(rng: random.Random, referrals, clinicians, at: datetime.datetime) -> list[Booking]:
    """The coming days' schedule: each referral waiting for its evaluation has it booked on one of the next eight
    working days, and each patient in an acute series their next session, with no clinician booked twice at once
    (the rule the booking service keeps)."""
    taken: set[tuple[int, datetime.date, int]] = set()
    rows = []
    booked = set()  # the demo's history books evaluations through the service (liaison.demo.evaluations)
    for referral_id, clinician_id, starts_at in Booking.objects.filter(
        referral__in=[r.pk for r in referrals], kind=BookingKind.EVALUATION, status=BookingStatus.BOOKED
    ).values_list("referral_id", "clinician_id", "starts_at"):
        booked.add(referral_id)
        local = timezone.localtime(starts_at)
        taken.add((clinician_id, local.date(), local.hour))
    for referral in referrals:
        if referral.pk in booked:
            continue
        if referral.status == Status.EVAL_SCHEDULED:
            kind, hours, places, days = BookingKind.EVALUATION, 1, EVALUATION_PLACES, 8
        elif referral.status == Status.ACUTE:
            kind, hours, places, days = BookingKind.SESSION, 2, SESSION_PLACES, 3
        else:
            continue
        chosen = [c for c in clinicians if c.pk == referral.assigned_clinician_id] or [rng.choice(clinicians)]
        slot = _free_slot(rng, chosen[0], timezone.localdate(at), days, taken)
        if slot is None:
            continue
        free = [h for h in HOURS if all((chosen[0].pk, slot, h + k) not in taken for k in range(hours))]
        if not free:
            continue
        start = timezone.make_aware(datetime.datetime.combine(slot, datetime.time(rng.choice(free))))
        taken.update((chosen[0].pk, slot, start.hour + k) for k in range(hours))
        end = start + datetime.timedelta(hours=hours)
        rows.append(
            Booking(referral=referral, kind=kind, starts_at=start, ends_at=end, clinician=chosen[0],
                    place=rng.choice(places), booked_by=None)
        )  # fmt: skip
    return rows


def _free_slot(rng, clinician, today: datetime.date, days: int, taken) -> datetime.date | None:
    """A working day among the next `days` with an hour left for this clinician."""
    workdays = [today + datetime.timedelta(days=n) for n in range(1, days + 6)]
    workdays = [d for d in workdays if d.weekday() < 5][:days]
    rng.shuffle(workdays)
    for day in workdays:
        if any((clinician.pk, day, h) not in taken for h in HOURS):
            return day
    return None


def _scores(courses, flagged, at):
    assessments, alerts = [], []
    for index, course in enumerate(courses):
        for position, (session, phq9, gad7) in enumerate(course):
            if index in flagged and position == len(course) - 1:
                phq9 = [*phq9[:8], 1]
            for spec, items in ((PHQ9, phq9), (GAD7, gad7)):
                assessments.append(_assessment(session, spec, items))
            if phq9[8]:
                alerts.append(_alert_maker(len(assessments) - 2, session, index == min(flagged), at))
    return assessments, alerts


def _assessment(session, spec, items) -> Assessment:
    return Assessment(
        referral=session.referral,
        session=session,
        instrument=spec.code,
        loinc=spec.panel_loinc,
        items=items,
        total=sum(items),
        item9=items[8] if spec is PHQ9 else None,
        taken_on=session.held_on,
        source=ScoreSource.STAFF,
        recorded_by=session.clinician,
    )


def _alert_maker(position: int, session: Session, acknowledged: bool, at):
    def make(assessments):
        a = assessments[position]
        raised = timezone.make_aware(datetime.datetime.combine(a.taken_on, datetime.time(11, 0)))
        return SafetyAlert(
            referral=session.referral,
            kind=AlertKind.ITEM9,
            assessment=a,
            session=session,
            summary=f"PHQ-9 item 9 answered {a.item9} of 3 on {a.taken_on:%b %-d, %Y} (total {a.total}).",
            raised_at=min(raised, at),
            acknowledged_at=min(raised, at) + datetime.timedelta(hours=2) if acknowledged else None,
            acknowledged_by=session.clinician if acknowledged else None,
            acknowledgement="Called the patient the same day; safety plan reviewed, C-SSRS low risk."
            if acknowledged
            else "",
        )

    return make
