"""Benchmark: referrals created per second through the JSON API against GET /api/v1/me on the same server, in
interleaved windows, and the worker's follow-up drain. Targets: creates at least a third of /api/v1/me's rate;
the drain at 1M within 20 % of its rate at 1k.

    createdb -h 127.0.0.1 -U postgres -T liaison_bench_1m_base intake_1m    # or any build_network database
    export LIAISON_MODE=production SECRET_KEY=<50 characters> CACHE_URL=redis://127.0.0.1:6379/4
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/intake_1m .venv/bin/python bench/intake_api.py

Migrates the database, picks --referrers referrers of the network spread over its volume ranking (the busiest
ones, with thousands of referrals, among them) and makes each an account with an API token; starts gunicorn
(--workers sync workers) on 127.0.0.1 and, beside it, the background worker (`liaison run_worker --loop`, as
production runs Celery beside the web server).

1. Interleaved windows: --rounds times, a --window-second window of GET /api/v1/me (the API's trivial endpoint:
   the same token look-up, rate limit and framework as a create, no patient data), then one of
   POST /api/v1/referrals (a complete referral with two trials, a diagnosis and a PHQ-9, a fresh patient each
   time, from a token picked at random, so every request screens, checks for duplicates and writes), each from
   --clients keep-alive connections. A busy machine weighs on both alike. The worker runs the creates'
   follow-up (letters owed, relationship, health: the after-commit reactions to `referral.received`,
   docs/architecture.md) beside them; what it still owes at the end is waited for and reported.
2. The drain: the worker stopped, --drain creates make a backlog, then this process runs the worker's own
   function (`events.pending_run`, a batch at a time) until nothing is owed, timed: follow-ups a second.
"""

import argparse
import http.client
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")
os.environ.setdefault("LIAISON_MODE", "production")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))  # production mode needs one; a bench's own
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")  # plain HTTP on 127.0.0.1
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
# The API's per-token limit (120 a minute by default) would answer most requests with 429: this measures what
# the server can do, not the limit. Still counted in the shared store (CACHE_URL) on every request.
os.environ.setdefault("API_RATE_LIMIT", "1000000")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db.models import Count  # noqa: E402

from liaison.accounts.models import User  # noqa: E402
from liaison.accounts.tokens import api_token_create  # noqa: E402
from liaison.core import events  # noqa: E402
from liaison.directory.models import Referrer, Taxonomy  # noqa: E402
from liaison.referrals.models import Referral  # noqa: E402


def _spread(ranked: list[int], n: int) -> list[int]:
    """n ids of `ranked` (busiest first): the five busiest, then evenly down the ranking."""
    if len(ranked) <= n:
        return ranked
    top = ranked[:5]
    rest = ranked[5:]
    step = len(rest) / (n - len(top))
    return top + [rest[int(i * step)] for i in range(n - len(top))]


def setup_tokens(n: int) -> list[str]:
    """A token for each of n referrers of the network (one made here when the database has none)."""
    call_command("migrate", verbosity=0)
    volume = Referral.objects.filter(referrer__isnull=False).values("referrer_id").annotate(n=Count("id"))
    ranked = [row["referrer_id"] for row in volume.order_by("-n", "referrer_id")]
    if not ranked:
        taxonomy = Taxonomy.objects.get_or_create(
            code="2084P0800X", defaults={"classification": "Psychiatry", "display_name": "Psychiatry Physician"}
        )[0]
        made, _ = Referrer.objects.get_or_create(
            npi="1999999992",
            defaults={"first_name": "Bench", "last_name": "Mark", "taxonomy": taxonomy, "source_type": "psychiatry"},
        )
        ranked = [made.pk]
    tokens = []
    for referrer_id in _spread(ranked, n):
        user, _ = User.objects.get_or_create(
            username=f"bench-referrer-{referrer_id}", defaults={"role": "referrer", "referrer_id": referrer_id}
        )
        tokens.append(api_token_create(user=user, name="bench")[1])
    return tokens


def followups_owed() -> int:
    """Creates whose reactions (letters owed, relationship, health) the worker has not finished yet."""
    from liaison.core.models import PendingReaction

    return PendingReaction.objects.values("referral_id").distinct().count()


def wait_for_followups(limit: float = 900) -> float:
    """Seconds until the worker has done every owed follow-up."""
    started = time.perf_counter()
    while followups_owed() and time.perf_counter() - started < limit:
        time.sleep(0.1)
    return time.perf_counter() - started


def _name(rng: random.Random) -> str:
    """A made-up name: two made-up patients are rarely alike enough to be flagged as one (as real ones)."""
    return "".join(rng.choice("bcdfghjklmnprstvwz") + rng.choice("aeiou") for _ in range(rng.randint(2, 4))).title()


def referral_body(rng: random.Random) -> bytes:
    return json.dumps(
        {
            "patient": {
                "first_name": _name(rng),
                "last_name": _name(rng),
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


def drive(port: int, make_request, *, seconds: float = 0, count: int = 0, clients: int) -> tuple[float, list, int]:
    """(requests per second, latencies, failures) from `clients` threads, for `seconds` or `count` requests."""
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    stop = time.perf_counter() + seconds
    left = [count]

    def more() -> bool:
        if not count:
            return time.perf_counter() < stop
        with lock:
            left[0] -= 1
            return left[0] >= 0

    def worker(n: int):
        rng = random.Random(time.time_ns() + n)  # new patients on every run: no duplicates of earlier runs
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine, bad = [], 0
        while more():
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


def quantile(latencies: list[float], q: int) -> float:
    return statistics.quantiles(latencies, n=100)[q - 1] * 1000 if len(latencies) > 1 else 0.0


def drain(limit: float = 900) -> tuple[int, float]:
    """(reactions' referrals drained, seconds): the worker's own batches, run here until nothing is owed."""
    owed = followups_owed()
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        ran = events.pending_run(limit=200)
        if ran["done"] + ran["failed"] == 0:
            break
    return owed, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=3, help="seconds of one window")
    parser.add_argument("--rounds", type=int, default=10, help="pairs of windows (/api/v1/me, then create)")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--referrers", type=int, default=100, help="referrers with a token each")
    parser.add_argument("--drain", type=int, default=600, help="creates in the drain's backlog (0: no drain)")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        print("note: DATABASE_URL is not PostgreSQL; the target is stated for PostgreSQL", file=sys.stderr)
    tokens = setup_tokens(args.referrers)
    referrals_before = Referral.objects.count()
    env = {
        **os.environ,
        "DATABASE_CONN_MAX_AGE": "60",
        "LIAISON_INTAKE_FOLLOWUP": "worker",
        "LIAISON_WORKER": "builtin",
    }
    cmd = [sys.executable, "-m", "gunicorn", "liaison.wsgi", "-b", f"127.0.0.1:{args.port}", "-w", str(args.workers)]
    server = subprocess.Popen([*cmd, "--log-level", "warning"], cwd=ROOT, env=env)  # noqa: S603 - our own argv
    worker_cmd = [sys.executable, "-m", "liaison", "run_worker", "--loop", "--interval", "1"]
    worker = subprocess.Popen(worker_cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)  # noqa: S603

    def auth(rng):
        return {"Authorization": f"Bearer {rng.choice(tokens)}", "Content-Type": "application/json"}

    def me(rng):
        return "GET", "/api/v1/me", None, auth(rng), 200

    def create(rng):
        return "POST", "/api/v1/referrals", referral_body(rng), auth(rng), 201

    windows = {"me": [], "create": []}  # (requests, seconds, latencies, failures) per window
    try:
        wait_for(args.port)
        drive(args.port, me, seconds=1, clients=args.clients)  # warm up every worker
        drive(args.port, create, seconds=1, clients=args.clients)
        wait_for_followups()
        for _ in range(args.rounds):
            for name, request in (("me", me), ("create", create)):
                rate, latencies, failures = drive(args.port, request, seconds=args.window, clients=args.clients)
                windows[name].append((len(latencies), len(latencies) / rate if rate else 0, latencies, failures))
        owed = followups_owed()
        drained_in = wait_for_followups()
        drained = None
        if args.drain:
            worker.terminate()
            worker.wait()
            drive(args.port, create, count=args.drain, clients=args.clients)
            drained = drain()
    finally:
        server.terminate()
        worker.terminate()
        server.wait()
        worker.wait()

    print(
        f"{Referral.objects.count():,} referrals ({referrals_before:,} before the run), {len(tokens)} referrers' "
        f"tokens; gunicorn {args.workers} sync workers, {args.clients} clients, {args.rounds} × ({args.window:g} s "
        f"/api/v1/me + {args.window:g} s create); {os.cpu_count()} CPUs; load {os.getloadavg()[0]:.1f}"
    )
    rates = {}
    for name, rows in windows.items():
        lat = [x for row in rows for x in row[2]]
        rates[name] = sum(r[0] for r in rows) / sum(r[1] for r in rows)
        failures = sum(r[3] for r in rows)
        print(
            f"{name:7} {rates[name]:8.1f} req/s   p50 {quantile(lat, 50):6.1f} ms   p99 {quantile(lat, 99):6.1f} ms"
            f"   {len(lat)} requests, failures {failures}"
        )
    per_round = [c[0] / c[1] / (m[0] / m[1]) for m, c in zip(windows["me"], windows["create"], strict=True)]
    ratio = rates["create"] / rates["me"]
    print(
        f"create ÷ /api/v1/me = {ratio:.3f} (rounds: median {statistics.median(per_round):.3f}, "
        f"min {min(per_round):.3f}, max {max(per_round):.3f}); target ≥ 0.333: {'met' if ratio >= 1 / 3 else 'NOT met'}"
    )
    made = sum(r[0] for r in windows["create"])
    print(f"follow-ups owed when the windows ended: {owed} of {made}; the worker finished them in {drained_in:.1f} s")
    if drained:
        n, seconds = drained
        print(f"drain: {n} referrals' follow-ups in {seconds:.1f} s = {n / seconds:.1f} a second")


if __name__ == "__main__":
    main()
