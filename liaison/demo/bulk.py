"""The large network for the benchmarks: thousands of referrers and up to millions of referrals,
with their patients, diagnoses, medication trials and full event histories.

Going through the services would take days at this size, so rows are computed here and streamed
into PostgreSQL with COPY (bulk_create elsewhere, for small sizes and the tests). They follow the
rules the services apply: each history is a walk through lifecycle.TRANSITIONS (liaison.demo.paths),
and status, version, is_open, closed_* and next_action_* are what referral_transition would have
left behind (`lifecycle_fields`). The closed referrals come first, then the open ones, each group with
ids rising with the date received, as in a real database.

Speed comes from drawing each referral's clinical summary and history from pools made once per
run (thousands of each, made by the same generators as the demo); patients, referrers and dates
are drawn per referral. Unlike the demo, steps are not moved into office hours.
"""

import gc
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace

from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from liaison.comms import delivery
from liaison.comms.models import CommsSettings
from liaison.comms.seed import seed_protocol
from liaison.core.audit import audit_log
from liaison.core.models import AuditEvent
from liaison.demo import crm_rows, paths, rebuilds, vocab
from liaison.demo.base import DEMO_USERS, demo_logins, ensure_clinic, ensure_demo_users, prepare_empty_database
from liaison.demo.clinical import coordination_fields
from liaison.demo.directory import allocate, ensure_taxonomy, generated_practice, referrer_fields
from liaison.demo.pools import PathShape, Pools, Summary, _cumulative, _shape  # noqa: F401 (_shape: tests)
from liaison.demo.practice import PRACTICE_LOADED, PracticeRows
from liaison.demo.tables import Table, foreign_keys_checked_after, indexes_rebuilt_after
from liaison.directory.models import Practice, Referrer
from liaison.referrals import lifecycle, services
from liaison.referrals.choices import URGENCY_RANK, EventKind, IntakeChannel, Status
from liaison.referrals.models import Diagnosis, MedicationTrial, Patient, Referral, ReferralEvent

CHUNK = 20_000  # referrals generated and written at a time
REFERRAL_FACTS = ("id", "patient_id", "received_at", "status", "is_open", "closed_at", "assigned_coordinator_id",
                  "phq9_total", "reason", "channel")  # fmt: skip
SELF_SHARE = vocab.REFERRAL_MIX["self"]
FAX_GATEWAY = "fax.madisonsquare-ip.example"
REFERRERS_PER_PRACTICE = 3
LOADED = (Patient, Referral, Diagnosis, MedicationTrial, ReferralEvent, *PRACTICE_LOADED)


def build_large_network(
    *,
    referrals: int = 1000,
    referrers: int = 100,
    open_referrals: int | None = None,
    seed: int = 2026,
    reset: bool = False,
    now: datetime | None = None,
    log: Callable[[str], None] = lambda line: None,
) -> dict:
    """Build the network and return what was loaded, with the sign-ins (the demo's accounts)."""
    now = now or timezone.now()
    open_referrals = round(referrals * 0.05) if open_referrals is None else open_referrals
    if not 0 <= open_referrals <= referrals or referrers < 1:
        raise ValueError("Need at least one referrer, and between 0 and all of the referrals open.")
    prepare_empty_database(reset=reset, usernames=[u[0] for u in DEMO_USERS])
    rng = random.Random(seed)
    started = time.monotonic()
    with transaction.atomic():
        ensure_taxonomy()
        ensure_clinic()
        seed_protocol()  # a reset (flush) empties the protocol's table too: its seeded rules come back
        _delivery_settings()
        people = _directory(rng, count=referrers)
        users = ensure_demo_users(referrer=people[0])
        sources = _sources(people)
    log(f"directory: {referrers:,} referrers ({time.monotonic() - started:.0f}s)")
    loader = Loader(rng=rng, users=users, now=now, log=log, referrals=referrals)
    with loader.session(), _without_cyclic_gc():
        for chunk in loader.arrivals(total=referrals, open_count=open_referrals, sources=sources):
            loader.load(chunk)
        loader.practice.close()
    with transaction.atomic():
        counts = loader.counts | crm_rows.build(rng, users=users, now=now, first=loader.practice.first, log=log)
        audit_log(actor=None, action="bulk_load", object_type="referrals.referral", detail=counts)
    counts |= rebuilds.run(now=now, log=log)
    loader.analyze()
    log(f"done in {time.monotonic() - started:.0f}s: {counts}")
    return {**demo_logins(referrers=referrers, referrals=referrals), "rows": counts}


@contextmanager
def _without_cyclic_gc():
    """Millions of short-lived lists make Python's cycle collector run over and over for nothing
    (none of these rows refer to each other): pause it for the load, which runs about twice as fast."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# ---------------------------------------------------------------- the directory


@dataclass(frozen=True)
class Source:
    """What a generated referral (and its letters) needs to know about its referrer."""

    id: int
    source_type: str
    office_phone: str
    shared_care_model: str = ""
    route: delivery.Route | None = None
    name: str = ""
    last_name: str = ""
    practice: str = ""


def _delivery_settings() -> None:
    """The practice's delivery settings, if it has none: faxes go out through an email-to-fax gateway, so a
    referrer with a fax number and no email can be written to (comms.delivery.route_for)."""
    if not CommsSettings.objects.exists():
        CommsSettings.objects.create(fax_gateway_domain=FAX_GATEWAY)


def _sources(referrers: list[Referrer]) -> list[Source]:
    """Each referrer as the load needs it, with the channel its letters go by (comms.delivery.route_for)."""
    comms = CommsSettings.current()
    return [
        Source(
            r.pk,
            r.source_type,
            r.practice.phone,
            r.shared_care_model,
            delivery.route_for(r, comms),
            r.display_name,
            r.last_name,
            str(r.practice),
        )  # fmt: skip
        for r in referrers
    ]


def _directory(rng: random.Random, *, count: int) -> list[Referrer]:
    """Practices and referrers in the usual mix, shuffled: the order is the referrers' rank, and
    referral volume falls with rank, so a few referrers send most of the referrals."""
    taken: set[str] = set()
    referrers = []
    for source_type, n in allocate(count, vocab.REFERRER_MIX).items():
        practices = [generated_practice(rng, source_type=source_type, taken=taken) for _ in range(-(-n // 3))]
        Practice.objects.bulk_create(practices, batch_size=1000)
        for i in range(n):
            practice = practices[i // REFERRERS_PER_PRACTICE]
            referrers.append(referrer_fields(rng, source_type=source_type, practice=practice, taken=taken))
    Referrer.objects.bulk_create(referrers, batch_size=1000)
    rng.shuffle(referrers)
    return referrers


# ---------------------------------------------------------------- rows


class Loader:
    """Turns arrivals into rows and writes them, table by table, chunk by chunk."""

    def __init__(self, *, rng: random.Random, users: dict, now: datetime, log: Callable[[str], None], referrals: int):
        self.rng, self.now, self.log = rng, now, log
        self.coordinator = users["coordinator"]
        self.clinicians = (users["clinician"], users["clinician2"])
        self.tables = {model: Table(model) for model in LOADED}
        self.pools = Pools(rng, self.tables, today=now.date(), referrals=referrals)
        self.practice = PracticeRows(rng, self.tables, now=now, users=users)
        self.counts = {model._meta.label_lower: 0 for model in LOADED}
        self.started = time.monotonic()
        self.received: dict[str, list] = {}  # the received event's row, per channel

    @contextmanager
    def session(self):
        """One transaction for the whole load; on PostgreSQL, rebuild indexes after rather than during."""
        with transaction.atomic():
            if connection.vendor != "postgresql":
                yield
                return
            with indexes_rebuilt_after(self.tables, self.log), foreign_keys_checked_after(self.tables, self.log):
                yield
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), list(LOADED)):
                    cursor.execute(sql)

    def arrivals(self, *, total: int, open_count: int, sources: list[Source]) -> Iterator[list]:
        """Chunks of (arrival, referrer), oldest first: the closed referrals spread over the span (each a
        point in [0, 1) of it), then the open ones, the pipeline of the last weeks (each a history and the
        time it arrived, sorted), so that ids rise with the date received within each group. The open
        ones are drawn first, so that each referrer's first referral is known as it is written."""
        rng, closed = self.rng, total - open_count
        weights = _cumulative([1 / (rank + 1) ** 0.9 for rank in range(len(sources))])

        def source() -> Source | None:
            return None if rng.random() < SELF_SHARE else rng.choices(sources, cum_weights=weights)[0]

        pending = sorted((self._open_arrival() for _ in range(open_count)), key=lambda arrival: arrival[1])
        pending = [(arrival, source()) for arrival in pending]
        for (_, received), referrer in pending:
            if referrer is not None:
                self.practice.open_first.setdefault(referrer.id, received)
        for start in range(0, closed, CHUNK):
            yield [((k + rng.random()) / closed, source()) for k in range(start, min(start + CHUNK, closed))]
        for start in range(0, open_count, CHUNK):
            yield pending[start : start + CHUNK]

    def _open_arrival(self) -> tuple[PathShape, datetime]:
        """An open referral: its history, and when it arrived (paths.open_slack before now, less the history)."""
        fate = paths.pick(self.rng, paths.OPEN_FATES)
        shape = self.rng.choice(self.pools.paths[fate])
        return shape, self.now - shape.duration - paths.open_slack(self.rng, fate)

    def load(self, arrivals: list) -> None:
        rows: dict = {model: [] for model in LOADED}
        rows["audit"] = rows[AuditEvent]
        for arrival, source in arrivals:
            self._referral(arrival, source, rows)
        for model, table in self.tables.items():
            table.write(rows[model])
            self.counts[model._meta.label_lower] += len(rows[model])
        self.log(f"referrals: {self.counts['referrals.referral']:,} written ({time.monotonic() - self.started:.0f}s)")

    def _referral(self, arrival: float | tuple, source: Source | None, rows: dict) -> None:
        rng, pools = self.rng, self.pools
        if isinstance(arrival, tuple):
            shape, received = arrival
        else:
            ago = paths.growth_ago(arrival)
            shape, received = pools.closed_path(rng, ago, self.tables[ReferralEvent]), self.now - ago
        summary = rng.choice(pools.self_referred if source is None else pools.clinician)
        channel = (
            IntakeChannel.SELF if source is None else rng.choices(pools.channels, cum_weights=pools.channel_weights)[0]
        )
        referral_id, patient_id = self.tables[Referral].take(), self.tables[Patient].take()
        rows[Patient].append(self._patient(patient_id, received))
        rows[Referral].append(self._referral_row(referral_id, patient_id, shape, summary, source, channel, received))
        for table, templates in ((Diagnosis, summary.diagnoses), (MedicationTrial, summary.trials)):
            for template in templates:
                rows[table].append(
                    self.tables[table].fill(template, id=self.tables[table].take(), referral_id=referral_id)
                )
        moves = self._events(referral_id, channel, shape, received, rows[ReferralEvent])
        self._practice(rows, shape, summary, source, moves, received)

    def _practice(self, rows: dict, shape: PathShape, summary: Summary, source, moves: list, received) -> None:
        """The referral's care, letters and audit rows (liaison.demo.practice), from the rows just made."""
        row, p = rows[Referral][-1], self.tables[Referral].position
        patient, q = rows[Patient][-1], self.tables[Patient].position
        fields = {name: row[p[name]] for name in REFERRAL_FACTS}
        fields["patient_name"] = (patient[q["first_name"]], patient[q["last_name"]])
        fields["date_of_birth"] = patient[q["date_of_birth"]]
        fields["intake_user"] = self.coordinator if fields["channel"] in ("phone", "fax") else None
        first = self.practice.is_first(source, fields["id"], received, is_open=fields["is_open"])
        people = {"coordinator": self.coordinator, "clinician": self.clinicians[fields["id"] % 2]}
        self.practice.add(
            rows, referral=fields, moves=moves, summary=summary, source=source, first=first, people=people
        )

    def _patient(self, patient_id: int, received: datetime) -> list:
        """A patient from the pool with their own id and a birth date moved by up to ten years, so
        that name and date of birth rarely repeat."""
        table, template = self.tables[Patient], self.rng.choice(self.pools.patients)
        born = template[table.position["date_of_birth"]] + timedelta(days=self.rng.randint(-3650, 3650))
        return table.fill(template, id=patient_id, created_at=received, date_of_birth=born)

    def _referral_row(
        self, referral_id, patient_id, shape: PathShape, summary: Summary, source, channel, received
    ) -> list:
        rng = self.rng
        assigned = bool(shape.offsets) or rng.random() < 0.5  # half of the newest wait for someone
        clinician = self.clinicians[referral_id % 2]
        fields = {
            **coordination_fields(rng, office_phone=source.office_phone if source else ""),
            "id": referral_id,
            "patient_id": patient_id,
            "channel": channel,
            "received_at": received,
            "referrer_id": source.id if source else None,
            "source_type": source.source_type if source else "self",
            "created_by_id": self.coordinator.pk if channel in ("phone", "fax") else None,
            "assigned_coordinator_id": self.coordinator.pk if assigned else None,
            "assigned_clinician_id": clinician.pk if assigned else None,
        }
        if summary.phq9_days_before is not None:
            fields["phq9_date"] = (received - timedelta(days=summary.phq9_days_before)).date()
        table = self.tables[Referral]
        fields["urgency_rank"] = URGENCY_RANK.get(summary.referral[table.position["urgency"]], 0)
        return table.fill(summary.referral, **fields, **lifecycle_fields(shape, fields, received))

    def _events(self, referral_id: int, channel: str, shape: PathShape, received: datetime, out: list) -> list:
        """The received event, then one per step, by the coordinator or the referral's clinician; returns
        each step's (status, time, event id, who)."""
        table = self.tables[ReferralEvent]
        people = {"coordinator": self.coordinator, "clinician": self.clinicians[referral_id % 2]}
        if channel not in self.received:
            self.received[channel] = table.template(
                kind=EventKind.RECEIVED, to_status=Status.RECEIVED, detail={"channel": channel}
            )
        intake = self.coordinator if channel in ("phone", "fax") else None
        out.append(table.event(self.received[channel], table.take(), referral_id, received, intake))
        moves = []
        for template, offset, role, status in zip(
            shape.events, shape.offsets, shape.roles, shape.statuses, strict=True
        ):
            event_id = table.take()
            out.append(table.event(template, event_id, referral_id, received + offset, people[role]))
            moves.append((status, received + offset, event_id, people[role]))
        return moves

    def analyze(self) -> None:
        """Fresh planner statistics (and a vacuumed visibility map) before anyone measures, for every table: the
        loaded ones and those the rebuilds filled (stored outcomes, counts, health), whose index-only scans need
        the visibility map. VACUUM cannot run inside a transaction, so inside one (a test) this is skipped."""
        if connection.vendor != "postgresql" or connection.in_atomic_block:
            return
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
        self.log(f"vacuum and analyze: {time.monotonic() - started:.0f}s")


def lifecycle_fields(shape: PathShape, fields: dict, received: datetime) -> dict:
    """Status and next action as referral_receive and referral_transition leave them after this
    history (services.next_action_for decides the next action, as it does there)."""
    at = received + shape.duration
    owners = SimpleNamespace(
        assigned_coordinator_id=fields["assigned_coordinator_id"], assigned_clinician_id=fields["assigned_clinician_id"]
    )
    due = services.next_action_for(owners, status=shape.status, at=at)
    closing = shape.status in lifecycle.CLOSING
    return {
        "status": shape.status,
        "version": 1 + len(shape.offsets),
        "is_open": shape.status not in lifecycle.TERMINAL,
        "closed_at": at if closing else None,
        "closed_reason": shape.reason if closing else "",
        "next_action": due.text,
        "next_action_role": due.role,
        "next_action_owner_id": due.owner_id,
        "next_action_due_at": due.due_at,
        "updated_at": at,
    }
