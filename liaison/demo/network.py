"""The demo network: a New York ketamine practice with about forty referrers and 150 referrals
over eighteen months, every lifecycle status represented, and one sign-in per role.

Everything is written through the services (referral_receive, referral_transition,
referral_assign) with historic times, so each referral's timeline is a real walk through
lifecycle.TRANSITIONS. The same seed gives the same network (times are relative to `now`).

The large network for the benchmarks is built by liaison.demo.bulk (`build_large_network`).
"""

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from liaison.accounts.choices import Role
from liaison.accounts.models import User
from liaison.care.demo import build_demo_care
from liaison.crm.demo import build_demo_crm
from liaison.demo import evaluations, paths, story, vocab
from liaison.demo.base import (
    DEMO_USERS,
    DemoRefused,
    NetworkExists,
    demo_logins,
    ensure_clinic,
    ensure_demo_users,
    prepare_empty_database,
    save_all,
)
from liaison.demo.bulk import build_large_network
from liaison.demo.clinical import Clinical, clinical_fields, coordination_fields, patient_fields
from liaison.demo.directory import allocate, demo_practices, demo_referrers, ensure_taxonomy
from liaison.directory.choices import SourceType
from liaison.directory.models import Practice, Referrer
from liaison.referrals import lifecycle, review, services
from liaison.referrals.choices import IntakeChannel, Status
from liaison.referrals.intake_choices import ReviewDecision
from liaison.referrals.models import Referral

__all__ = ["DemoRefused", "NetworkExists", "build_demo_network", "build_large_network", "demo_logins"]

DEMO_REFERRERS = 40
DEMO_REFERRALS = 150
OPEN_SHARE = 0.3
PROSPECT_SHARE = 0.1  # referrers the liaison is still courting: no referrals yet

CLINICIANS = ("clinician", "clinician2")


@dataclass
class ReferralPlan:
    """Everything about one demo referral, decided before anything is written."""

    received_at: datetime
    channel: str
    referrer: Referrer | None
    patient: dict
    clinical: Clinical
    steps: list[paths.Step]
    clinician: str
    contact: dict = field(default_factory=dict)
    times: list[datetime] = field(default_factory=list)

    @property
    def fate(self) -> Status:
        return self.steps[-1].status if self.steps else Status.RECEIVED


def build_demo_network(
    *,
    seed: int = 2026,
    reset: bool = False,
    now: datetime | None = None,
    referrers: int = DEMO_REFERRERS,
    referrals: int = DEMO_REFERRALS,
) -> dict:
    """Load the demo network and return the sign-ins. Refuses (NetworkExists) when the database
    already holds referrals, unless `reset`, which empties it first (demo and test modes only).
    The sizes are for tests; the demo is the default forty referrers and 150 referrals."""
    now = now or timezone.now()
    prepare_empty_database(reset=reset, usernames=[u[0] for u in DEMO_USERS])
    plan = plan_demo(seed=seed, referrers=referrers, referrals=referrals, now=now)
    with transaction.atomic():
        ensure_taxonomy()
        ensure_clinic()
        _fax_gateway()
        save_all(plan.practices)
        save_all(plan.referrers)
        users = ensure_demo_users(referrer=plan.referrers[0])
        written = [_write(referral, users, now) for referral in plan.referrals]
        _assign_newest(written, users, random.Random(seed + 1))
        _other_apps(seed=seed, referrers=plan.referrers, referrals=written, users=users, now=now)
    return demo_logins(referrers=len(plan.referrers), referrals=len(written))


@dataclass
class DemoPlan:
    """The whole demo network, decided before anything is written (and so testable without a database)."""

    practices: list[Practice]
    referrers: list[Referrer]
    referrals: list[ReferralPlan]


def plan_demo(*, seed: int, referrers: int, referrals: int, now: datetime) -> DemoPlan:
    rng = random.Random(seed)
    taken: set[str] = set()
    practices = demo_practices(rng, taken=taken)
    people = demo_referrers(rng, practices=practices, count=referrers, taken=taken)
    courted = prospects(people)
    referring = [p for p in people if p not in courted]
    return DemoPlan(practices, people, plan_referrals(rng, referrers=referring, count=referrals, now=now))


def prospects(referrers: list[Referrer]) -> list[Referrer]:
    """The last PROSPECT_SHARE of the referrers (none in a network of fewer than ten) of the kinds there are several
    of: not referring yet, so the relationships show the road from target to met. Never the demo's own referring
    clinician."""
    crowd = Counter(r.source_type for r in referrers)
    wanted = int(len(referrers) * PROSPECT_SHARE)
    return [r for r in reversed(referrers[1:]) if crowd[r.source_type] >= 3][:wanted]


def _other_apps(*, seed: int, referrers: list[Referrer], referrals: list[Referral], users: dict, now: datetime) -> None:
    """The other apps' demo data, each made by that app's own builder from the referrals written here:
    the liaison's relationships and outreach (crm), sessions and scores for treated patients (care),
    and, where the communications app is installed, letters due and sent (comms); then the story of a practice
    that runs well (liaison.demo.story): past tasks done, relationships in every stage."""
    build_demo_crm(rng=random.Random(seed + 2), referrers=referrers, liaison_user=users["liaison"], now=now)
    clinicians = [users[name] for name in CLINICIANS]
    build_demo_care(rng=random.Random(seed + 3), referrals=referrals, clinicians=clinicians, at=now)
    if apps.is_installed("liaison.comms"):
        from liaison.comms import demo as comms_demo

        comms_demo.populate(seed=seed + 4, now=now)
    story.settle_tasks(rng=random.Random(seed + 5), now=now)
    story.set_stages(by=users["liaison"], now=now)


DEMO_FAX_GATEWAY = "fax.madisonsquare-ip.example"


def _fax_gateway() -> None:
    """The demo practice faxes through an email-to-fax gateway (made up, like the rest), so that a letter to a
    referrer who has only a fax number goes out; in the demo it lands in the mail catcher like the emails."""
    if apps.is_installed("liaison.comms"):
        from liaison.comms.models import CommsSettings

        comms = CommsSettings.current()
        if not comms.fax_gateway_domain:
            comms.fax_gateway_domain = DEMO_FAX_GATEWAY
            comms.full_clean()
            comms.save()


# ---------------------------------------------------------------- planning


def plan_referrals(rng: random.Random, *, referrers: list[Referrer], count: int, now: datetime) -> list[ReferralPlan]:
    """`count` referrals in the benchmark source mix, every status at least once, oldest first."""
    by_source = _referrer_weights(referrers)
    mix = {source: share for source, share in vocab.REFERRAL_MIX.items() if source in by_source or source == "self"}
    sources = [source for source, n in allocate(count, mix).items() for _ in range(n)]
    rng.shuffle(sources)
    fates = list(Status)[:count] + [paths.pick(rng, _fate_weights()) for _ in range(count - len(Status))]
    rng.shuffle(fates)
    plans = [_plan(rng, source, fate, by_source, now) for source, fate in zip(sources, fates, strict=True)]
    return sorted(plans, key=lambda p: p.received_at)


def _fate_weights() -> dict:
    """Final statuses: OPEN_SHARE of the referrals still open, the rest closed."""
    weights = {s: w * OPEN_SHARE / sum(paths.OPEN_FATES.values()) for s, w in paths.OPEN_FATES.items()}
    closed = sum(paths.CLOSED_FATES.values())
    return weights | {s: w * (1 - OPEN_SHARE) / closed for s, w in paths.CLOSED_FATES.items()}


def _referrer_weights(referrers: list[Referrer]) -> dict:
    """Per source type, its referrers with weights that fall with rank: a few refer a lot."""
    grouped: dict[str, tuple[list, list]] = {}
    for referrer in referrers:
        people, weights = grouped.setdefault(referrer.source_type, ([], []))
        people.append(referrer)
        weights.append(1 / len(people) ** 0.8)
    return grouped


def _plan(rng: random.Random, source: str, fate: Status, by_source: dict, now: datetime) -> ReferralPlan:
    referrer = None
    if source != SourceType.SELF:
        people, weights = by_source[source]
        referrer = rng.choices(people, weights=weights)[0]
    clinical = clinical_fields(rng, self_referral=referrer is None)
    back_to = referrer.display_name if referrer else "the patient's own prescriber"
    steps = paths.plan_steps(rng, fate, back_to=back_to, phq9=clinical.referral.get("phq9_total"))
    received_at, channel = now - _received_ago(rng, steps, fate), _channel(rng, referrer)
    if channel == IntakeChannel.PHONE:
        received_at = min(paths.office_hours(received_at), now)
    return ReferralPlan(
        received_at=received_at,
        times=paths.timeline(received_at, steps, now=now),
        channel=channel,
        referrer=referrer,
        patient=patient_fields(rng, today=now.date()),
        clinical=clinical,
        steps=steps,
        clinician=rng.choice(CLINICIANS),
        contact=coordination_fields(rng, office_phone=referrer.practice.phone if referrer else ""),
    )


def _received_ago(rng: random.Random, steps: list[paths.Step], fate: Status) -> timedelta:
    """Open referrals are recent; closed ones are spread over the span, finished before now."""
    if fate in lifecycle.OPEN:
        return paths.open_received_ago(rng, steps, fate)
    ago = paths.growth_ago(rng.random())
    shortest = paths.duration(steps) + timedelta(days=1)
    return ago if ago > shortest else shortest + timedelta(hours=rng.uniform(1, 400))


def _channel(rng: random.Random, referrer: Referrer | None) -> str:
    if referrer is None:
        return IntakeChannel.SELF
    return rng.choices(tuple(vocab.INTAKE_WEIGHTS), weights=tuple(vocab.INTAKE_WEIGHTS.values()))[0]


# ---------------------------------------------------------------- writing


def _write(plan: ReferralPlan, users: dict[str, User], now: datetime) -> Referral:
    """Receive the referral as it arrived, then take each step at the time it happened; "Evaluation scheduled" is
    taken by booking the evaluation (liaison.demo.evaluations), as on the booking form."""
    referral = services.referral_receive(
        by=_intake_user(plan, users),
        patient=plan.patient,
        referral=_referral_fields(plan, users),
        diagnoses=plan.clinical.diagnoses,
        trials=plan.clinical.trials,
        channel=plan.channel,
        at=plan.received_at,
        followup_mode="inline",  # history as it happened: each referral's letters and tasks at its own time
    )
    if plan.steps and services.safety_review_owed(referral):
        _review(referral, by=users[plan.clinician], at=min(plan.received_at + REVIEWED_WITHIN, plan.times[0]))
    for index, (step, at) in enumerate(zip(plan.steps, plan.times, strict=True)):
        move = lifecycle.find_move(referral.status, step.status)
        by = users["coordinator"] if Role.COORDINATOR in move.roles else users[plan.clinician]
        if move.booked:
            until = plan.times[index + 1] if index + 1 < len(plan.times) else None
            evaluations.book_evaluation(
                referral, by=by, clinician=users[plan.clinician], at=at, until=until, now=now
            )  # fmt: skip
            continue
        services.referral_transition(referral=referral, to=step.status, by=by, reason=step.reason, at=at)
    return referral


REVIEWED_WITHIN = timedelta(minutes=40)
REVIEW_NOTE = "Called the patient: no plan or intent today; C-SSRS screen done, safety plan confirmed."


def _review(referral: Referral, *, by: User, at: datetime) -> None:
    """A referral someone worked on had its urgent safety review recorded first, within the hour (it comes
    before care, decision 0021); one nobody has touched yet still owes it."""
    review.safety_review_record(referral=referral, by=by, decision=ReviewDecision.SAFETY_PLAN, note=REVIEW_NOTE, at=at)
    referral.refresh_from_db()


def _referral_fields(plan: ReferralPlan, users: dict[str, User]) -> dict:
    """The clinical summary, the referrer and, unless it is brand new, who works on it."""
    fields = {**plan.clinical.dated(plan.received_at), **plan.contact, "referrer": plan.referrer}
    if plan.fate != Status.RECEIVED:
        fields |= {"assigned_coordinator": users["coordinator"], "assigned_clinician": users[plan.clinician]}
    return fields


def _intake_user(plan: ReferralPlan, users: dict[str, User]) -> User | None:
    """Phone and fax referrals are typed in by the coordinator; the demo referrer uses the web form;
    API, FHIR and other web referrals arrive from systems (no person signed in)."""
    if plan.channel in (IntakeChannel.PHONE, IntakeChannel.FAX):
        return users["coordinator"]
    if plan.channel == IntakeChannel.WEB and plan.referrer and plan.referrer.pk == users["referrer"].referrer_id:
        return users["referrer"]
    return None


def _assign_newest(referrals: list[Referral], users: dict[str, User], rng: random.Random) -> None:
    """Half of the referrals that just arrived are assigned now; the rest wait in 'unassigned'."""
    waiting = [r for r in referrals if r.status == Status.RECEIVED]
    for referral in waiting[: len(waiting) // 2]:
        clinician = users[rng.choice(CLINICIANS)]
        services.referral_assign(
            referral=referral, by=users["coordinator"], coordinator=users["coordinator"], clinician=clinician
        )
