"""Benchmark: the due-communications sweep and the coordinator's work queue must cost what the OPEN
referrals cost, not the whole history. Builds (once) a network of N closed referrals with their delivered
letters plus 50,000 open ones with letters owed, then times, against the /health/ floor on the same run:

- communications_sweep(): start new maintenance months, escalate overdue letters (rolled back after each run);
- the work queue page /comms/ for a coordinator (client GET, full render).

    export PG=postgres://postgres@127.0.0.1:5432
    DATABASE_URL=$PG/comms_bench_1k .venv/bin/python bench/comms_sweep.py --closed 1000
    DATABASE_URL=$PG/comms_bench_1m .venv/bin/python bench/comms_sweep.py --closed 1000000

(create the databases first: createdb -h 127.0.0.1 -U postgres comms_bench_1k). Synthetic rows are written with
bulk_create straight into the tables, following the shapes the services leave behind.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")
os.environ.setdefault("LIAISON_MODE", "test")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from liaison.accounts.models import User  # noqa: E402
from liaison.comms import services  # noqa: E402
from liaison.comms.models import DueCommunication, ProtocolRule  # noqa: E402
from liaison.comms.seed import seed_protocol  # noqa: E402
from liaison.directory.models import Referrer, Taxonomy  # noqa: E402
from liaison.referrals.models import Patient, Referral, ReferralEvent  # noqa: E402

BATCH = 10_000
CLOSED = ("returned", "not_recommended", "declined_by_patient", "lost_to_follow_up", "cancelled")
OPEN = ("received", "acknowledged", "eval_scheduled", "evaluated", "accepted", "acute", "acute_complete", "maintenance")
MODELS = ("consultation", "collaborative", "integrated")
N_REFERRERS = 10_000


def build(*, closed: int, open_count: int, referrers: int, rng: random.Random) -> None:
    if Referral.objects.exists():
        top_up_closed(closed)
        return
    now = timezone.now()
    seed_protocol()
    taxonomy = Taxonomy.objects.order_by("code").first()
    people = [
        Referrer(
            npi=f"{1_000_000_000 + i}",
            first_name="Ref",
            last_name=f"Errer{i}",
            taxonomy=taxonomy,
            source_type="psychiatry",
            email=f"r{i}@example.test",
            preferred_channel="email",
            shared_care_model=MODELS[i % 3],
        )
        for i in range(referrers)
    ]
    Referrer.objects.bulk_create(people, batch_size=BATCH)
    global N_REFERRERS
    N_REFERRERS = referrers
    ref_ids = list(Referrer.objects.values_list("id", flat=True))
    lead = User.objects.create(username="bench-lead", role="director", first_name="Lead")
    staff = [
        User.objects.create(username=f"bench-coord{i}", role="coordinator", first_name=f"Coord{i}", lead=lead)
        for i in range(5)
    ]
    clinicians = [
        User.objects.create(username=f"bench-clin{i}", role="clinician", first_name=f"Clin{i}", lead=lead)
        for i in range(5)
    ]
    rules = {(r.shared_care_model, r.trigger): r for r in ProtocolRule.objects.all()}
    _write(min(closed, 1000), False, ref_ids, staff, clinicians, rules, now, rng)
    _write(open_count, True, ref_ids, staff, clinicians, rules, now, rng)
    top_up_closed(closed)


def _literal(field):
    value = field.get_default()
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def insert_select(model, overrides: dict[str, str], source: str, params=()) -> int:
    """INSERT INTO model SELECT ... FROM source: columns named in `overrides` get that SQL, the rest the
    model's Python default (Django keeps defaults out of the schema)."""
    columns, values, args = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(f'"{field.column}"')
        if field.column in overrides:
            sql, field_params = (
                overrides[field.column] if isinstance(overrides[field.column], tuple) else (overrides[field.column], [])
            )
            values.append(sql)
            args.extend(field_params)
        else:
            values.append("%s")
            args.append(_literal(field))
    sql = f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM {source}"  # noqa: S608 (our own SQL, no input)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*args, *params])
        return cursor.rowcount


def top_up_closed(closed: int) -> None:
    """Add closed referrals (with two delivered letters each) in SQL until there are `closed` of them."""
    have = Referral.objects.filter(is_open=False).count()
    if have >= closed:
        return
    assert connection.vendor == "postgresql", "the large history is written with SQL on PostgreSQL"
    started, chunk = time.monotonic(), 100_000
    for start in range(have, closed, chunk):
        n = min(chunk, closed - start)
        tag = f"Hist{start}-"
        with transaction.atomic():
            insert_select(
                Patient,
                {
                    "first_name": "'Pat'",
                    "last_name": ("%s || g", [tag]),
                    "date_of_birth": "'1980-01-01'",
                    "created_at": "now()",
                },
                "generate_series(1, %s) g",
                [n],
            )
            insert_select(Referral, _closed_columns(), "referrals_patient p WHERE p.last_name LIKE %s", [tag + "%"])
            rules = {r.trigger: r.pk for r in ProtocolRule.objects.filter(shared_care_model="collaborative")}
            source = "referrals_referral r JOIN referrals_patient p ON p.id = r.patient_id WHERE p.last_name LIKE %s"
            for key, trigger, offset in (("ack", "received", "0 days"), ("eval", "evaluated", "10 days")):
                insert_select(DueCommunication, _history_letter(key, rules[trigger], offset), source, [tag + "%"])
        print(f"  closed {start + n:,}/{closed:,} ({time.monotonic() - started:.0f}s)")


def _closed_columns() -> dict[str, str]:
    received = "now() - (interval '1 day' * (120 + (p.id * 7919) %% 2900))"
    return {
        "patient_id": "p.id",
        "referrer_id": f"(SELECT min(id) FROM directory_referrer) + (p.id %% {N_REFERRERS})",  # noqa: S608
        "source_type": "'psychiatry'",
        "channel": "'web'",
        "received_at": received,
        "status": "'returned'",
        "is_open": "false",
        "closed_at": f"{received} + interval '60 days'",
        "closed_reason": "'Done.'",
        "updated_at": "now()",
    }


def _history_letter(key: str, rule_id: int, offset: str) -> dict[str, str]:
    triggered = f"r.received_at + interval '{offset}'"
    return {
        "referral_id": "r.id",
        "key": f"'{key}'",
        "rule_id": str(rule_id),
        "letter_type": "'acknowledgment'" if key == "ack" else "'evaluation_summary'",
        "status": "'delivered'",
        "triggered_at": triggered,
        "due_at": f"{triggered} + interval '24 hours'",
        "owner_role": "'coordinator'",
        "delivered_at": f"{triggered} + interval '20 hours'",
        "created_at": "now()",
        "problem": "''",
    }


def _write(total, is_open, ref_ids, staff, clinicians, rules, now, rng):
    started = time.monotonic()
    for start in range(0, total, BATCH):
        size = min(BATCH, total - start)
        patients = Patient.objects.bulk_create(
            [Patient(first_name="Pat", last_name=f"Bench{start + i}", date_of_birth="1980-01-01") for i in range(size)]
        )
        referrals = []
        for p in patients:
            days = rng.uniform(0, 120) if is_open else rng.uniform(120, 3000)
            received = now - timedelta(days=days)
            status = rng.choice(OPEN) if is_open else rng.choice(CLOSED)
            referrals.append(
                Referral(
                    patient=p,
                    referrer_id=rng.choice(ref_ids),
                    source_type="psychiatry",
                    channel="web",
                    received_at=received,
                    status=status,
                    is_open=is_open,
                    closed_at=None if is_open else received + timedelta(days=60),
                    closed_reason="" if is_open else "Done.",
                    assigned_coordinator=rng.choice(staff),
                    assigned_clinician=rng.choice(clinicians),
                )
            )
        Referral.objects.bulk_create(referrals)
        _letters(referrals, is_open, rules, now, rng)
        print(f"  {'open' if is_open else 'closed'} {start + size:,}/{total:,} ({time.monotonic() - started:.0f}s)")


def _letters(referrals, is_open, rules, now, rng):
    model_of = dict(
        Referrer.objects.filter(id__in={r.referrer_id for r in referrals}).values_list("id", "shared_care_model")
    )
    dues, events = [], []
    for r in referrals:
        model = model_of[r.referrer_id]
        ack = r.received_at + timedelta(hours=24)
        delivered = not is_open or ack < now - timedelta(days=2)
        dues.append(
            _due(
                r, "ack", rules[(model, "received")], r.received_at, ack, r.assigned_coordinator_id, delivered, rng, now
            )
        )
        if not is_open:
            done = r.received_at + timedelta(days=10)
            dues.append(
                _due(
                    r,
                    "eval",
                    rules[(model, "evaluated")],
                    done,
                    done + timedelta(hours=48),
                    r.assigned_clinician_id,
                    True,
                    rng,
                    now,
                )
            )
        elif r.status in ("evaluated", "accepted", "acute"):
            when = now - timedelta(days=rng.uniform(-2, 6))
            dues.append(
                _due(
                    r,
                    "eval",
                    rules[(model, "evaluated")],
                    when,
                    when + timedelta(hours=48),
                    r.assigned_clinician_id,
                    False,
                    rng,
                    now,
                )
            )
        elif r.status == "maintenance":
            start = now - timedelta(days=rng.uniform(5, 90))
            events.append(
                ReferralEvent(
                    referral=r,
                    at=start,
                    actor_label="bench",
                    kind="transition",
                    from_status="acute_complete",
                    to_status="maintenance",
                )
            )
            months = int((now - start).days // 30) + (0 if rng.random() < 0.05 else 1)
            for k in range(1, months + 1):
                due = start + timedelta(days=30 * k)
                dues.append(
                    _due(
                        r,
                        f"month:{k}",
                        rules[(model, "maintenance_month")],
                        due - timedelta(days=30),
                        due,
                        r.assigned_clinician_id,
                        due < now - timedelta(days=3),
                        rng,
                        now,
                    )
                )
    DueCommunication.objects.bulk_create(dues, batch_size=BATCH)
    ReferralEvent.objects.bulk_create(events, batch_size=BATCH)


def _due(r, key, rule, triggered, due_at, owner, delivered, rng, now):
    overdue = not delivered and due_at < now
    return DueCommunication(
        referral=r,
        key=key,
        rule=rule,
        letter_type=rule.letter_type,
        triggered_at=triggered,
        due_at=due_at,
        owner_id=owner,
        owner_role=rule.owner_role,
        status="delivered" if delivered else "owed",
        delivered_at=due_at - timedelta(hours=rng.uniform(-10, 20)) if delivered else None,
        escalated_at=due_at if overdue and rng.random() < 0.8 else None,
    )


def timed(fn, runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def sweep_rolled_back():
    with transaction.atomic():
        result = services.communications_sweep()
        transaction.set_rollback(True)
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--closed", type=int, default=1000)
    parser.add_argument("--open", type=int, default=50_000)
    parser.add_argument("--referrers", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    build(closed=args.closed, open_count=args.open, referrers=args.referrers, rng=random.Random(4))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE") if connection.vendor == "postgresql" else None
    coordinator = User.objects.get(username="bench-coord0")
    client = Client()
    client.force_login(coordinator)
    result = sweep_rolled_back()
    print(
        f"referrals: {Referral.objects.count():,} ({Referral.objects.filter(is_open=True).count():,} open); "
        f"letters: {DueCommunication.objects.count():,}; one sweep does {result}"
    )
    floor = timed(lambda: client.get("/health/"), args.runs * 4)
    sweep = timed(sweep_rolled_back, args.runs)
    queue = timed(lambda: client.get("/comms/"), args.runs)
    print(f"health floor {floor:.1f} ms | sweep {sweep:.0f} ms | work queue page {queue:.0f} ms (medians)")


if __name__ == "__main__":
    main()
