"""Benchmark: referrals created per second through the JSON API, beside the /health/ floor (one SELECT 1)
on the same server and the same run. Target: the API's rate is at least a third of the floor's.

    createdb -h 127.0.0.1 -U postgres intake_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/intake_bench .venv/bin/python bench/intake_api.py

Migrates the database, makes a referring clinician with an API token, starts gunicorn (--workers) on
127.0.0.1 and, beside it, the background worker (`liaison run_worker --loop`, as production runs Celery
beside the web server), then for --seconds each drives the floor (GET /health/) and the create
(POST /api/v1/referrals, a complete referral with two trials, a diagnosis and a PHQ-9, a fresh patient each
time, so every request screens, checks for duplicates and writes) from --clients keep-alive connections.

Each create leaves its follow-up (the referrer's relationship and health, the letters owed: the reactions to
`referral.received` that run after commit, docs/architecture.md) to the worker;
the script reports how many were still owed when the clients stopped and how long the worker took to
finish them, so that the rate is the rate the whole system keeps up with, not only the requests'.
"""

import argparse
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")
os.environ.setdefault("LIAISON_MODE", "test")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
# The API's per-token limit (120 a minute by default) would answer most of one client's requests with 429:
# this measures what the server can do, not the limit. Still counted in the shared store on every request.
os.environ.setdefault("API_RATE_LIMIT", "1000000")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from liaison.accounts.models import User  # noqa: E402
from liaison.accounts.tokens import api_token_create  # noqa: E402
from liaison.directory.models import Referrer, Taxonomy  # noqa: E402


def setup_token() -> str:
    call_command("migrate", verbosity=0)
    taxonomy = Taxonomy.objects.get_or_create(
        code="2084P0800X", defaults={"classification": "Psychiatry", "display_name": "Psychiatry Physician"}
    )[0]
    referrer, _ = Referrer.objects.get_or_create(
        npi="1999999992",
        defaults={"first_name": "Bench", "last_name": "Mark", "taxonomy": taxonomy, "source_type": "psychiatry"},
    )
    user, _ = User.objects.get_or_create(username="bench-referrer", defaults={"role": "referrer", "referrer": referrer})
    return api_token_create(user=user, name="bench")[1]


def followups_owed() -> int:
    """Creates whose reactions (letters owed, relationship, health) the worker has not finished yet."""
    from liaison.core.models import PendingReaction

    return PendingReaction.objects.values("referral_id").distinct().count()


def wait_for_followups(limit: float = 600) -> float:
    """Seconds until the worker has done every owed follow-up."""
    started = time.perf_counter()
    while followups_owed() and time.perf_counter() - started < limit:
        time.sleep(0.1)
    return time.perf_counter() - started


def referral_body(rng: random.Random) -> bytes:
    return json.dumps(
        {
            "patient": {
                "first_name": f"Bench{rng.randrange(10**9)}",
                "last_name": f"Patient{rng.randrange(10**9)}",
                "date_of_birth": f"{rng.randint(1940, 2004)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "phone": "7185550100",
            },
            "urgency": "routine",
            "diagnoses": [{"code": "F33.2"}],
            "episode_months": 14,
            "trials": [
                {"drug": "sertraline", "daily_dose_mg": "150", "weeks_at_dose": 8, "response": "none"},
                {"drug": "venlafaxine", "daily_dose_mg": "225", "weeks_at_dose": 10, "response": "partial"},
            ],
            "phq9_total": 19,
        }
    ).encode()


def drive(port: int, make_request, seconds: float, clients: int) -> tuple[float, list[float], int]:
    """(requests per second, latencies, failures) with `clients` threads for `seconds`."""
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker(n: int):
        rng = random.Random(time.time_ns() + n)  # new patients on every run: no duplicates of earlier runs
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine, bad = [], 0
        while time.perf_counter() < stop:
            method, path, body, headers, ok = make_request(rng)
            start = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - start)
            bad += response.status != ok
        with lock:
            latencies.extend(mine)
            failures[0] += bad

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(latencies) / (time.perf_counter() - started), latencies, failures[0]


def wait_for(port: int) -> None:
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def report(name: str, rate: float, latencies: list[float], failures: int) -> None:
    q = statistics.quantiles(latencies, n=20) if len(latencies) > 1 else [0] * 19
    print(f"{name:28} {rate:8.1f} req/s   p50 {q[9] * 1000:6.1f} ms   p95 {q[18] * 1000:6.1f} ms   failures {failures}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--followup", choices=["worker", "inline"], default="worker",
        help="where each create's follow-up runs (LIAISON_INTAKE_FOLLOWUP); inline is the comparison",
    )  # fmt: skip
    args = parser.parse_args()
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        print("note: DATABASE_URL is not PostgreSQL; the target is stated for PostgreSQL", file=sys.stderr)
    token = setup_token()
    env = {**os.environ, "DATABASE_CONN_MAX_AGE": "60", "LIAISON_INTAKE_FOLLOWUP": args.followup}
    env["LIAISON_WORKER"] = "builtin"
    cmd = [sys.executable, "-m", "gunicorn", "liaison.wsgi", "-b", f"127.0.0.1:{args.port}", "-w", str(args.workers)]
    server = subprocess.Popen([*cmd, "--log-level", "warning"], cwd=ROOT, env=env)  # noqa: S603 - our own argv
    worker_cmd = [sys.executable, "-m", "liaison", "run_worker", "--loop", "--interval", "1"]
    worker = subprocess.Popen(worker_cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)  # noqa: S603
    try:
        wait_for(args.port)
        auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

        def floor(rng):
            return "GET", "/health/", None, {}, 200

        def me(rng):
            return "GET", "/api/v1/me", None, auth, 200

        def create(rng):
            return "POST", "/api/v1/referrals", referral_body(rng), auth, 201

        drive(args.port, floor, 1, args.clients)  # warm up every worker
        drive(args.port, create, 1, args.clients)
        drive(args.port, me, 1, args.clients)
        results = [("floor GET /health/", *drive(args.port, floor, args.seconds, args.clients))]
        results.append(("API floor GET /api/v1/me", *drive(args.port, me, args.seconds, args.clients)))
        wait_for_followups()
        results.append(("create POST /api/v1/referrals", *drive(args.port, create, args.seconds, args.clients)))
        owed = followups_owed()
        drained = wait_for_followups()
    finally:
        server.terminate()
        worker.terminate()
        server.wait()
        worker.wait()
    print(f"{args.workers} gunicorn workers, {args.clients} clients, {args.seconds:g} s each, {os.cpu_count()} CPUs, "
          f"follow-up: {args.followup}")  # fmt: skip
    for name, rate, latencies, failures in results:
        report(name, rate, latencies, failures)
    made = len(results[2][2])
    print(f"follow-ups owed when the clients stopped: {owed} of {made}; the worker finished them in {drained:.1f} s")
    print(f"creates per second including their follow-ups: {made / (args.seconds + drained):.1f}")
    for floor_name, floor_rate in ((results[0][0], results[0][1]), (results[1][0], results[1][1])):
        ratio = results[2][1] / floor_rate
        print(f"create / {floor_name} = {ratio:.2f} (target ≥ 0.33): {'met' if ratio >= 1 / 3 else 'NOT met'}")


if __name__ == "__main__":
    main()
