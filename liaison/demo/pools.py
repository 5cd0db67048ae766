"""Pools for the large network (liaison.demo.bulk): histories per final status, clinical summaries and patients,
made once per run by the demo's own generators, from which each referral draws its own."""

import random
from dataclasses import dataclass
from datetime import timedelta

from liaison.demo import paths, vocab
from liaison.demo.clinical import clinical_fields, patient_fields
from liaison.demo.tables import Table
from liaison.referrals import lifecycle
from liaison.referrals.choices import EventKind, Status
from liaison.referrals.models import Diagnosis, MedicationTrial, Patient, Referral, ReferralEvent

CLINICAL_POOL = 4000
PATH_POOL = 300  # histories per final status
PATIENT_POOL = 20_000
BACK_TO = "the referring clinician"


@dataclass(frozen=True)
class PathShape:
    """A history and what it leaves on the referral: the rows of its events (less id, referral,
    time and actor), each step's offset from receipt, and the referral's lifecycle fields."""

    offsets: tuple[timedelta, ...]
    events: tuple[list, ...]
    roles: tuple[str, ...]
    status: Status
    reason: str
    statuses: tuple[Status, ...] = ()

    @property
    def duration(self) -> timedelta:
        return self.offsets[-1] if self.offsets else timedelta()


def _shape(steps: list[paths.Step], events: Table) -> PathShape:
    offsets, rows, roles, previous, at = [], [], [], Status.RECEIVED, timedelta()
    for step in steps:
        at += step.after
        roles.append(
            "coordinator" if "coordinator" in lifecycle.find_move(previous, step.status).roles else "clinician"
        )
        rows.append(
            events.template(kind=EventKind.TRANSITION, from_status=previous, to_status=step.status, reason=step.reason)
        )
        offsets.append(at)
        previous = step.status
    reason = steps[-1].reason if steps else ""
    statuses = tuple(step.status for step in steps)
    return PathShape(tuple(offsets), tuple(rows), tuple(roles), previous, reason, statuses)


@dataclass(frozen=True)
class Summary:
    """A clinical summary as row templates: the referral's clinical columns, its diagnoses, its trials."""

    referral: list
    phq9_days_before: int | None
    diagnoses: tuple[list, ...]
    trials: tuple[list, ...]
    words: tuple[list[str], list[str]] = ([], [])  # the diagnoses and trials as a letter names them


class Pools:
    """Histories per final status, clinical summaries and patients, made once by the demo's generators."""

    def __init__(self, rng: random.Random, tables: dict, *, today, referrals: int):
        """Pools no bigger than the network needs: a small network gets small pools, made quickly."""
        events = tables[ReferralEvent]
        fates = (*paths.OPEN_FATES, *paths.CLOSED_FATES)
        per_fate, summaries = min(PATH_POOL, referrals // 10 + 5), min(CLINICAL_POOL, referrals + 10)
        self.paths = {
            fate: [_shape(paths.plan_steps(rng, fate, back_to=BACK_TO, phq9=None), events) for _ in range(per_fate)]
            for fate in fates
        }
        self.clinician = [_summary(rng, tables, self_referral=False) for _ in range(summaries)]
        self.self_referred = [_summary(rng, tables, self_referral=True) for _ in range(summaries // 4 + 1)]
        patients = min(PATIENT_POOL, referrals + 10)
        self.patients = [tables[Patient].row(patient_fields(rng, today=today)) for _ in range(patients)]
        self.closed_weights = _cumulative(list(paths.CLOSED_FATES.values()))
        self.closed_fates = list(paths.CLOSED_FATES)
        self.channels = list(vocab.INTAKE_WEIGHTS)
        self.channel_weights = _cumulative(list(vocab.INTAKE_WEIGHTS.values()))

    def closed_path(self, rng: random.Random, ago: timedelta, events: Table) -> PathShape:
        """A closed history that fits between the referral's arrival and now."""
        for _ in range(8):
            fate = rng.choices(self.closed_fates, cum_weights=self.closed_weights)[0]
            shape = rng.choice(self.paths[fate])
            if shape.duration < ago - timedelta(hours=1):
                return shape
        reason = rng.choice(vocab.CLOSING_REASONS[Status.CANCELLED])
        return _shape([paths.Step(Status.CANCELLED, ago / 2, reason)], events)


def _summary(rng: random.Random, tables: dict, *, self_referral: bool) -> Summary:
    clinical = clinical_fields(rng, self_referral=self_referral)
    return Summary(
        referral=tables[Referral].row(clinical.referral),
        phq9_days_before=clinical.phq9_days_before,
        diagnoses=tuple(tables[Diagnosis].row(d) for d in clinical.diagnoses),
        trials=tuple(tables[MedicationTrial].row(t) for t in clinical.trials),
        words=(
            [f"{d['code']} {d['description']}".strip() for d in clinical.diagnoses],
            [t["drug"] for t in clinical.trials],
        ),
    )


def _cumulative(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out
