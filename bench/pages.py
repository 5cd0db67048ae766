"""Benchmark: the inbox and the referral page beside the /health/ floor, at 1,000 and at 1,000,000 referrals.

    .venv/bin/python bench/pages.py                        # both sizes; builds a database that is missing
    .venv/bin/python bench/pages.py --sizes 1k --rounds 100

For each size, a PostgreSQL database of its own on 127.0.0.1:5432 (user postgres, trust), named
liaison_bench_<size> and built with `liaison build_network` unless it already holds that many referrals
(--rebuild builds it again). Then gunicorn (one sync worker, persistent database connections) on 127.0.0.1,
a sign-in as the coordinator, warm-up rounds, and measured rounds. All sizes are served at once and each
round asks every server for every page once, in a shuffled order, so whatever else the machine is doing
falls on all pages and all sizes alike.

Server time is gunicorn's own measure of each request (access log %(D)s, in microseconds): from the
request read to the response written, without the client. Query counts, the slowest queries and their
EXPLAIN ANALYZE come from the same pages rendered in-process (Django's test client) against the same
database. Targets: each page's median within 2x the floor's; each page's median at 1M within 20% of 1k.
"""

import argparse
import http.client
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
SERVER = "postgres://postgres@127.0.0.1:5432"
SIZES = {"1k": (1_000, 100, 50), "1m": (1_000_000, 10_000, 50_000)}  # referrals, referrers, open
FLOOR = "/health/?as=anonymous"
PAGES = {
    "floor: /health/": FLOOR,
    "floor, signed in": "/health/?as=signed-in",
    "inbox": "/referrals/",
    "inbox, acute and overdue": "/referrals/?status=acute&overdue=on",
    "referral page": "/referrals/{id}/",
}
PASSWORD = "liaison-demo-2026"  # noqa: S105 - the demo accounts' published password


# ---------------------------------------------------------------- the databases


def database(label: str, *, rebuild: bool) -> str:
    """The address of this size's database, built first if it is missing or the wrong size."""
    referrals, referrers, open_count = SIZES[label]
    name = f"liaison_bench_{label}"
    if not rebuild and _count(name) == referrals:
        print(f"{name}: {referrals:,} referrals already there", flush=True)
        return f"{SERVER}/{name}"
    _recreate(name)
    started = time.monotonic()
    argv = ["build_network", "--referrals", str(referrals), "--referrers", str(referrers), "--open", str(open_count)]
    subprocess.run([sys.executable, "-m", "liaison", *argv], env=_env(name), cwd=ROOT, check=True)  # noqa: S603
    print(f"{name}: built in {time.monotonic() - started:.0f}s", flush=True)
    return f"{SERVER}/{name}"


def _count(name: str) -> int | None:
    import psycopg

    try:
        with psycopg.connect(f"{SERVER}/{name}") as conn:
            return conn.execute("SELECT count(*) FROM referrals_referral").fetchone()[0]
    except psycopg.Error:
        return None


def _recreate(name: str) -> None:
    import psycopg

    assert name.startswith("liaison_bench_"), "only ever drop the benchmark's own databases"
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _env(name: str) -> dict:
    """Demo mode (made-up data is refused in production), this database, a data folder of its own."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "liaison.settings",
        "LIAISON_MODE": "demo",
        "DATABASE_URL": f"{SERVER}/{name}",
        "DATABASE_CONN_MAX_AGE": "600",
        "LIAISON_DATA_DIR": str(OUT / "data"),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
    }


# ---------------------------------------------------------------- the server and the client


class Browser:
    """One signed-in person on plain HTTP/1.1 connections to 127.0.0.1, keeping cookies."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def get(self, path: str, *, anonymous: bool = False) -> tuple[int, bytes]:
        return self._send("GET", path, None, anonymous=anonymous)

    def sign_in(self, username: str) -> None:
        _, page = self.get("/accounts/login/")
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        body = f"csrfmiddlewaretoken={token}&username={username}&password={PASSWORD}".encode()
        status, _ = self._send("POST", "/accounts/login/", body)
        if status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"could not sign in as {username} (status {status})")

    def _send(self, method: str, path: str, body: bytes | None, *, anonymous: bool = False) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
        if self.cookies and not anonymous:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        content = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            key, _, rest = header.partition("=")
            if not anonymous:
                self.cookies[key] = rest.split(";", 1)[0]
        conn.close()
        return response.status, content


def serve(name: str, port: int, log: Path) -> subprocess.Popen:
    """gunicorn, one sync worker: one request at a time, so each is timed alone."""
    log.unlink(missing_ok=True)
    argv = [sys.executable, "-m", "gunicorn", "liaison.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1"]
    argv += ["--access-logfile", str(log), "--access-logformat", "%(U)s?%(q)s %(s)s %(D)s", "--log-level", "warning"]
    server = subprocess.Popen(argv, cwd=ROOT, env=_env(name))  # noqa: S603 - our own argv
    for _ in range(150):
        try:
            if Browser(port).get(FLOOR, anonymous=True)[0] == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("the server did not start")


def measure(labels: list[str], *, port: int, rounds: int, warmup: int, referral_ids: dict) -> dict:
    """Median, p90 and count of gunicorn's own request times per page and size. Every size has its
    server up at once, and each round asks every server for every page in a shuffled order: the
    sizes are compared under the same conditions, request by request."""
    ports = {label: port + i for i, label in enumerate(labels)}
    logs = {label: OUT / f"access-{label}.log" for label in labels}
    servers = [serve(f"liaison_bench_{label}", ports[label], logs[label]) for label in labels]
    try:
        browsers = {label: Browser(ports[label]) for label in labels}
        for browser in browsers.values():
            browser.sign_in("coordinator")
        _rounds(browsers, warmup, referral_ids, random.Random(1))
        time.sleep(0.5)
        skip = {label: len(log.read_text().splitlines()) for label, log in logs.items()}
        _rounds(browsers, rounds, referral_ids, random.Random(2))
        time.sleep(0.5)
    finally:
        for server in servers:
            server.terminate()
            server.wait()
    return {label: _summarise(logs[label].read_text().splitlines()[skip[label] :]) for label in labels}


def _rounds(browsers: dict, rounds: int, referral_ids: dict, rng: random.Random) -> None:
    for n in range(rounds):
        order = [(label, page, path) for label in browsers for page, path in PAGES.items()]
        rng.shuffle(order)
        for label, page, path in order:
            ids = referral_ids[label]
            status, _ = browsers[label].get(path.format(id=ids[n % len(ids)]))
            if status != 200:
                raise SystemExit(f"{label}: {page} ({path}) answered {status}")


def _summarise(lines: list[str]) -> dict:
    by_page: dict[str, list[float]] = {page: [] for page in PAGES}
    for line in lines:
        path, status, micros = line.rsplit(" ", 2)
        page = next((p for p, pattern in PAGES.items() if _matches(pattern, path)), None)
        if page and status == "200":
            by_page[page].append(int(micros) / 1000)
    return {page: _stats(times) for page, times in by_page.items()}


def _matches(pattern: str, path: str) -> bool:
    regex = re.escape(pattern).replace(re.escape("{id}"), r"\d+")
    return re.fullmatch(regex + r"\??", path) is not None


def _stats(times: list[float]) -> dict:
    if not times:
        return {"n": 0, "median_ms": None, "p90_ms": None}
    p90 = statistics.quantiles(times, n=10)[8] if len(times) > 1 else times[0]
    return {"n": len(times), "median_ms": round(statistics.median(times), 2), "p90_ms": round(p90, 2)}


# ---------------------------------------------------------------- the same pages, in-process


def profile(label: str) -> dict:
    """Run this script again, in-process against the size's database, for queries and plans."""
    argv = [sys.executable, str(Path(__file__).resolve()), "--profile", label]
    out = subprocess.run(argv, env=_env(f"liaison_bench_{label}"), cwd=ROOT, check=True, capture_output=True)  # noqa: S603
    return json.loads(out.stdout)


def _profile_here(label: str) -> dict:
    """Query counts per page, and the slowest SELECTs with their EXPLAIN ANALYZE (in a child process)."""
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from django.test import Client

    from liaison.accounts.models import User

    signed_in, anonymous = Client(HTTP_HOST="127.0.0.1"), Client(HTTP_HOST="127.0.0.1")
    signed_in.force_login(User.objects.get(username="coordinator"))
    ids = referral_sample()
    result = {"referral_ids": ids, "pages": {}}
    for page, path in PAGES.items():
        path, client = path.format(id=ids[0]), anonymous if path == FLOOR else signed_in
        client.get(path)
        runs = [_timed(client, path) for _ in range(15)]
        total, in_sql = (statistics.median(run[i] for run in runs) for i in (0, 1))
        queries = runs[-1][2]
        result["pages"][page] = {
            "ms": round(total, 2),
            "sql_ms": round(in_sql, 2),
            "queries": len(queries),
            "slowest": _slowest(queries),
        }
    return result


def _timed(client, path: str) -> tuple[float, float, object]:
    """(total ms, ms inside the database as Django timed it, the captured queries) for one request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        assert client.get(path).status_code == 200, path
        elapsed = (time.perf_counter() - started) * 1000
    return elapsed, sum(float(q["time"]) for q in queries.captured_queries) * 1000, queries


def referral_sample(count: int = 20) -> list[int]:
    """Referrals to open, spread over the table: half from the open ones, half from the closed."""
    from liaison.referrals.models import Referral

    picks = []
    for is_open in (True, False):
        ids = list(Referral.objects.filter(is_open=is_open).order_by("id").values_list("id", flat=True))
        step = max(1, len(ids) // (count // 2))
        picks += ids[::step][: count // 2]
    return picks


def _slowest(queries, keep: int = 2) -> list[dict]:
    from django.db import connection

    selects = [q for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    out = []
    for q in sorted(selects, key=lambda q: float(q["time"]), reverse=True)[:keep]:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + q["sql"])
            plan = [row[0] for row in cursor.fetchall()]
        out.append({"sql": q["sql"][:400], "ms": float(q["time"]) * 1000, "plan": plan})
    return out


# ---------------------------------------------------------------- report


def verdicts(results: dict) -> list[str]:
    lines = []
    for label, result in results.items():
        floor = result["timings"]["floor: /health/"]["median_ms"]
        for page in ("inbox", "inbox, acute and overdue", "referral page"):
            median = result["timings"][page]["median_ms"]
            ratio = median / floor
            lines.append(f"{label} {page}: {median} ms = {ratio:.2f}x floor ({'met' if ratio <= 2 else 'NOT met'})")
    if {"1k", "1m"} <= set(results):
        for page in ("inbox", "inbox, acute and overdue", "referral page"):
            small, large = (results[s]["timings"][page]["median_ms"] for s in ("1k", "1m"))
            change = large / small - 1
            lines.append(f"1m vs 1k {page}: {change:+.0%} ({'met' if abs(change) <= 0.2 else 'NOT met'})")
    return lines


def print_table(label: str, result: dict) -> None:
    print(f"\n{label}: server time median and p90 (ms); in-process: queries, median total and in-database ms")
    for page, stats in result["timings"].items():
        found = result["profile"]["pages"][page]
        print(
            f"  {page:26} {stats['median_ms']:8} {stats['p90_ms']:8}  n={stats['n']:<4}"
            f"  queries={found['queries']:<3} {found['ms']:7} ms, of which SQL {found['sql_ms']} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1k,1m", help="Comma-separated, from: " + ", ".join(SIZES))
    parser.add_argument("--rounds", type=int, default=200, help="Measured rounds (each asks every page once).")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--port", type=int, default=8766, help="The first size's port; the next size +1, ...")
    parser.add_argument("--rebuild", action="store_true", help="Build the databases again even if they exist.")
    parser.add_argument("--profile", help=argparse.SUPPRESS)  # the in-process child
    args = parser.parse_args()
    if args.profile:
        print(json.dumps(_profile_here(args.profile)))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    labels = args.sizes.split(",")
    for label in labels:
        database(label, rebuild=args.rebuild)
    profiles = {label: profile(label) for label in labels}
    ids = {label: found["referral_ids"] for label, found in profiles.items()}
    timings = measure(labels, port=args.port, rounds=args.rounds, warmup=args.warmup, referral_ids=ids)
    results = {label: {"timings": timings[label], "profile": profiles[label]} for label in labels}
    for label in labels:
        print_table(label, results[label])
    print(f"\n{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the end")
    for line in verdicts(results):
        print(" ", line)
    out = OUT / f"pages-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(results, indent=1, default=str))
    print(f"details (plans included): {out}")


if __name__ == "__main__":
    main()
