"""Benchmark of the liaison's workspace on a large network (issue 6).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/liaison_crm_bench \
        .venv/bin/python bench/crm_bench.py --build --referrers 10000 --referrals 1000000

--build migrates the database and, if it has no referrals yet, makes a network of that size (its own small
generator: referrers at practices in real ZIP codes around the clinic, referrals spread over three years,
each referrer with their own rhythm, some of whom stop). Then it measures:
- the nightly health refresh of every referrer (target: under a minute on PostgreSQL);
- the ranked target list page (psychiatrists within 10 miles, nearest first) against the trivial-page floor on
  the same run (target: within 2x). The floor is /accounts/me/, the signed-in liaison's own account page: the
  same session, sign-in check and page layout as every page, and nothing else. /health/ (one SELECT 1, no
  layout) is shown beside it. --requests of each through Django's test client (in-process, no network), the
  three alternating request by request so all see the same load; medians, and the median of the per-round
  ratios. Then the page's own parts in-process (the list's queries, the rows' markup).
--skip-refresh leaves the nightly refresh out (for repeated page measurements).
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("LIAISON_MODE", "test")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from liaison.accounts.models import User  # noqa: E402
from liaison.crm.health import health_refresh  # noqa: E402
from liaison.crm.models import ClinicLocation  # noqa: E402
from liaison.crm.services import clinic_location_save  # noqa: E402
from liaison.directory.models import Practice, Referrer, Taxonomy  # noqa: E402
from liaison.directory.tests.factories import npi_from  # noqa: E402
from liaison.referrals.models import Patient, Referral  # noqa: E402

SOURCES = [("psychiatry", "2084P0800X", 50), ("primary_care", "207Q00000X", 25), ("therapy", "103T00000X", 15),
           ("pain", "208VP0014X", 5), ("neurology", "2084N0400X", 5)]  # fmt: skip
NOW = datetime.now(UTC)


def build(referrers: int, referrals: int, rng: random.Random) -> None:
    import zipcodes

    zips = [
        z["zip_code"] for z in zipcodes.filter_by_coordinates(40.7506, -73.9972, 60) if z["zip_code_type"] == "STANDARD"
    ]
    for _source, code, _w in SOURCES:
        Taxonomy.objects.get_or_create(
            code=code, defaults={"grouping": "g", "classification": "c", "display_name": code}
        )
    practices = Practice.objects.bulk_create(
        [Practice(name=f"Practice {i}", clinician_count=rng.randint(1, 30), zip_code=rng.choice(zips))
         for i in range(referrers // 4)], batch_size=5000,
    )  # fmt: skip
    weights = [w for *_x, w in SOURCES]
    rows = []
    for i in range(referrers):
        source, code, _w = rng.choices(SOURCES, weights)[0]
        rows.append(Referrer(npi=npi_from(f"1{i:08d}"), first_name="Bench", last_name=f"Referrer{i:05d}",
                             taxonomy_id=code, source_type=source, practice=rng.choice(practices)))  # fmt: skip
    Referrer.objects.bulk_create(rows, batch_size=5000)
    Patient.objects.bulk_create(
        [Patient(first_name="Bench", last_name=f"P{i}", date_of_birth=datetime(1980, 1, 1).date())
         for i in range(max(1, referrals // 10))], batch_size=10000,
    )  # fmt: skip
    _referrals_sql(referrals)


def _referrals_sql(referrals: int) -> None:
    """The referrals in one INSERT ... SELECT (PostgreSQL): each referrer at their own pace (a heavy-tailed share
    of the total), spread over three years; one in five stopped between 60 and 400 days ago."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'referrals_referral' "
            "AND is_nullable = 'NO' AND column_default IS NULL"
        )
        filler = {"boolean": "false", "integer": "0", "smallint": "0", "bigint": "0"}
        cols = {name: filler.get(kind, "''") for name, kind in cur.fetchall()}
        cols.update({
            "patient_id": "(SELECT min(id) FROM referrals_patient) + floor(random() * p.n)::int",
            "referrer_id": "w.id", "source_type": "w.source_type", "channel": "'web'", "status": "'received'",
            "received_at": "w.stop - random() * interval '3 years'", "version": "1", "is_open": "true",
            "urgency": "'routine'", "suicide_attempt_history": "'none'", "substance_use": "'none'",
            "updated_at": "now()",
        })  # fmt: skip
        cols = {k: v for k, v in cols.items() if k != "id"}
        # Column names come from information_schema and the numbers are parameters: nothing from outside.
        sql = f"""WITH raw AS (SELECT id, source_type, 1 / power(random() + 0.001, 0.8) AS weight,
                   CASE WHEN random() < 0.2 THEN now() - (60 + random() * 340) * interval '1 day' ELSE now() END AS stop
                   FROM directory_referrer),
               w AS (SELECT *, round(%s * weight / sum(weight) OVER ())::int AS n FROM raw),
               p AS (SELECT count(*) AS n FROM referrals_patient)
            INSERT INTO referrals_referral ({", ".join(cols)})
            SELECT {", ".join(cols.values())} FROM w, p, generate_series(1, w.n)"""  # noqa: S608
        cur.execute(sql, [referrals])


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", action="store_true")
    parser.add_argument("--referrers", type=int, default=10000)
    parser.add_argument("--referrals", type=int, default=1000000)
    parser.add_argument("--requests", type=int, default=60, help="of each page (bounded; in-process)")
    parser.add_argument("--skip-refresh", action="store_true")
    args = parser.parse_args()
    if args.build:
        call_command("migrate", verbosity=0)
        if not Referral.objects.exists():
            started = time.perf_counter()
            build(args.referrers, args.referrals, random.Random(6))
            print(f"built the network in {time.perf_counter() - started:.0f} s")
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    admin, _ = User.objects.get_or_create(username="bench-admin", defaults={"role": "admin"})
    liaison, _ = User.objects.get_or_create(username="bench-liaison", defaults={"role": "liaison"})
    if not ClinicLocation.objects.exists():
        clinic_location_save(location=ClinicLocation(name="Chelsea", zip_code="10001"), by=admin)
    print(f"network: {Referrer.objects.count():,} referrers, {Referral.objects.count():,} referrals")
    if not args.skip_refresh:
        started = time.perf_counter()
        result = health_refresh()
        print(f"health refresh: {time.perf_counter() - started:.1f} s for {result.referrers:,} referrers "
              f"({result.stage_moves:,} stage changes, {result.tasks:,} tasks)")  # fmt: skip
    client = Client(HTTP_HOST="localhost")
    client.force_login(liaison)
    for _ in range(10):
        for path in (PAGE, FLOOR, "/health/"):
            assert client.get(path).status_code == 200, path
    times: dict[str, list[float]] = {PAGE: [], FLOOR: [], "/health/": []}
    for _ in range(args.requests):  # alternating, so that a burst of load on the shared machine hits all three
        for path, samples in times.items():
            samples.append(timed(lambda path=path: client.get(path), 1))
    t, f, h = (statistics.median(times[p]) for p in (PAGE, FLOOR, "/health/"))
    per_round = statistics.median(a / b for a, b in zip(times[PAGE], times[FLOOR], strict=True))
    print(f"trivial page {FLOOR}: {f * 1000:.1f} ms; /health/: {h * 1000:.1f} ms; target list: {t * 1000:.1f} ms")
    print(f"target list / trivial page = {t / f:.2f}x (median of per-round ratios {per_round:.2f}x; target within 2x: "
          f"{'met' if t / f <= 2 else 'NOT met'}); / health = {t / h:.1f}x; {args.requests} requests each")  # fmt: skip
    parts(liaison, args.requests)


PAGE = "/crm/targets/?source_type=psychiatry&within_miles=10&sort=distance"
FLOOR = "/accounts/me/"


def parts(user, repeat: int) -> None:
    """Where the page's time goes, in-process: the list's two queries (ORM and all), the rows' markup."""
    from liaison.crm import queries, target_views

    filters = queries.TargetFilters(source_type="psychiatry", within_miles=10, sort="distance")
    rows = queries.target_list(user=user, filters=filters)
    ms = {
        "list queries (ORM)": timed(lambda: queries.target_list(user=user, filters=filters), repeat),
        "rows markup": timed(lambda: target_views.target_rows_html(rows[:50], {}), repeat),
    }
    print("; ".join(f"{k}: {v * 1000:.1f} ms" for k, v in ms.items()))


if __name__ == "__main__":
    main()
