"""Benchmark: every page people read, as they meet it, at 1,000 and at 1,000,000 referrals.

    .venv/bin/python bench/pages.py                          # both sizes, 300 requests per page per size
    .venv/bin/python bench/pages.py --sizes 1k --requests 50 --db-1k h6_1k
    .venv/bin/python bench/pages.py --rebuild                # build_network for both sizes first

Each size is a PostgreSQL database (liaison_bench_1k, liaison_bench_1m; --db-1k/--db-1m for others) served by its
own gunicorn (2 sync workers) in production mode: LIAISON_MODE=production, a SECRET_KEY of the run's own,
persistent connections (DATABASE_CONN_MAX_AGE=600), a Redis cache of the size's own, plain HTTP on 127.0.0.1
(SECURE_SSL_REDIRECT=false, as behind a TLS-ending proxy). `liaison check --deploy` runs first with the same
environment and what it says is printed.

Every benchmark account gets an authenticator app with a new secret (pages_inproc.py, through allauth), and a
client process of its own (pages_client.py) signs each in through the sign-in form and the second step, then asks
every page (page_list.py) as the role that uses it, each request followed by the floor (/accounts/me/ as the same
person) and /health/, in shuffled rounds over all pages and both sizes at once: whatever else the machine does falls
on every page and size alike. Client wall time is what the user waits for; server time is gunicorn's (%(D)s).
Query counts come from the same pages rendered in-process against the same database (after the run).

One table (markdown) is printed; everything, with the slowest queries' plans, goes to bench/out/pages-<time>.json.
Targets, per page at the largest size: p50 ≤ 2× the floor's and p99 ≤ 4×, p50 within 20 % of 1k, the same query
count at both sizes, and no worker above 150 MB resident after it.
"""

import argparse
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import pages_report  # noqa: E402
from page_list import PAGES, ROLES  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
SERVER = "postgres://postgres@127.0.0.1:5432"
SIZES = {"1k": (1_000, 100), "1m": (1_000_000, 10_000)}  # referrals, referrers: as liaison_bench_1k and _1m are built
PASSWORD = "liaison-demo-2026"  # noqa: S105 - the demo accounts' published password (liaison/demo/vocab.py)
PYTHON = sys.executable


def production_env(database: str, redis_db: int, secret_key: str) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "liaison.settings",
        "LIAISON_MODE": "production",
        "SECRET_KEY": secret_key,
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"{SERVER}/{database}",
        "DATABASE_CONN_MAX_AGE": "600",
        "CACHE_URL": f"redis://127.0.0.1:6379/{redis_db}",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LIAISON_DATA_DIR": str(OUT / "data"),
        "LOG_LEVEL": "WARNING",
    }


def rebuild(label: str, database: str) -> None:
    """Drop, create, migrate and fill a benchmark database (demo mode: build_network refuses production)."""
    import psycopg

    assert database.startswith("liaison_bench_") and not database.endswith("_base"), "only the benchmark's own"
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')
    referrals, referrers = SIZES[label]
    env = {
        **os.environ,
        "LIAISON_MODE": "demo",
        "DATABASE_URL": f"{SERVER}/{database}",
        "LIAISON_DATA_DIR": str(OUT / "data"),
    }
    started = time.monotonic()
    subprocess.run([PYTHON, "-m", "liaison", "migrate", "-v0"], env=env, cwd=ROOT, check=True)  # noqa: S603
    argv = ["build_network", "--referrals", str(referrals), "--referrers", str(referrers)]
    subprocess.run([PYTHON, "-m", "liaison", *argv], env=env, cwd=ROOT, check=True)  # noqa: S603
    print(f"{database}: built in {time.monotonic() - started:.0f}s", flush=True)


def ready(database: str, env: dict, *, migrate: bool) -> None:
    """Refuse a database that is missing or behind the code's migrations (the pages would fail, not be slow),
    unless asked to migrate it."""
    if migrate:
        subprocess.run([PYTHON, "-m", "liaison", "migrate", "-v0"], env=env, cwd=ROOT, check=True)  # noqa: S603
    argv = [PYTHON, "-m", "liaison", "migrate", "--check", "--plan"]
    found = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True)  # noqa: S603
    if found.returncode:
        raise SystemExit(
            f"{database} is missing or has unapplied migrations; migrate it first:\n{found.stdout}{found.stderr}"
        )
    # What the worker keeps fresh in production (no worker runs beside the benchmark): the letters-on-time
    # snapshots, which the page reads for 30 minutes and then works out live, saying so.
    subprocess.run([PYTHON, "-m", "liaison", "sla_snapshot"], env=env, cwd=ROOT, check=True)  # noqa: S603


def child(command: str, env: dict, stdin: str = "") -> dict:
    argv = [PYTHON, str(ROOT / "bench" / "pages_inproc.py"), command]
    done = subprocess.run(argv, env=env, cwd=ROOT, input=stdin, capture_output=True, text=True)  # noqa: S603
    if done.returncode:
        raise SystemExit(f"pages_inproc.py {command} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


def serve(env: dict, port: int, log: Path) -> subprocess.Popen:
    """gunicorn with 2 sync workers; its access log keeps the client's request number and gunicorn's own time."""
    log.unlink(missing_ok=True)
    argv = [PYTHON, "-m", "gunicorn", "liaison.wsgi", "-b", f"127.0.0.1:{port}", "-w", "2", "-k", "sync"]
    argv += ["--timeout", "300", "--access-logfile", str(log), "--log-level", "warning"]
    argv += ["--access-logformat", "%({x-bench}i)s %(s)s %(D)s %(p)s %(U)s"]
    server = subprocess.Popen(argv, cwd=ROOT, env=env)  # noqa: S603 - our own argv
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"gunicorn on port {port} did not start")


def server_times(log: Path) -> dict[int, tuple[int, int]]:
    """{client request number: (gunicorn's microseconds, the worker's pid)}."""
    out = {}
    for line in log.read_text().splitlines():
        number, _status, micros, pid, _path = line.split(" ", 4)
        if number.isdigit():
            out[int(number)] = (int(micros), int(pid.strip("<>")))
    return out


def collect_static(env: dict) -> None:
    """Production serves static files from STATIC_ROOT (WhiteNoise): collected once into bench/out/data/."""
    if not (OUT / "data" / "static").is_dir():
        subprocess.run([PYTHON, "-m", "liaison", "collectstatic", "--noinput", "-v0"], env=env, cwd=ROOT, check=True)  # noqa: S603


def flush_redis(db: int) -> None:
    """The size's own Redis database starts empty: no cached figure from another database or an earlier run."""
    import redis

    redis.Redis(host="127.0.0.1", port=6379, db=db).flushdb()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1k,1m", help="Comma-separated, from: " + ", ".join(SIZES))
    parser.add_argument("--db-1k", default="liaison_bench_1k")
    parser.add_argument("--db-1m", default="liaison_bench_1m")
    parser.add_argument("--requests", type=int, default=300, help="Measured requests per page per size.")
    parser.add_argument("--warmup", type=int, default=3, help="Unmeasured rounds first.")
    parser.add_argument("--budget", type=float, default=120, help="Seconds per page per size before it is cut.")
    parser.add_argument("--min-requests", type=int, default=30, help="Requests a page gets before it may be cut.")
    parser.add_argument("--port", type=int, default=8106, help="The first size's port; the next +10.")
    parser.add_argument("--redis-dbs", default="6,15", help="A Redis database number per size.")
    parser.add_argument("--rebuild", action="store_true", help="build_network both sizes first (drops them).")
    parser.add_argument("--migrate", action="store_true", help="Apply the code's migrations to the databases.")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--report-from", action="store_true", help="Redo the report of the last run (bench/out/).")
    args = parser.parse_args()
    labels = args.sizes.split(",")
    databases = {label: getattr(args, f"db_{label}") for label in labels}
    redis_dbs = dict(zip(labels, map(int, args.redis_dbs.split(",")), strict=False))
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)  # noqa: S607
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "liaison"], cwd=ROOT,  # noqa: S607
                           capture_output=True, text=True).stdout.strip()  # fmt: skip
    started += f", commit {commit.stdout.strip()}" + (" (with uncommitted changes in liaison/)" if dirty else "")
    load_start = os.getloadavg()
    if args.report_from:
        run = json.loads((OUT / "pages-run.json").read_text())
        envs = {label: production_env(run["databases"][label], redis_dbs[label], "report-" + secrets.token_urlsafe(48))
                for label in run["labels"]}  # fmt: skip
        finish(args, envs, OUT / "pages-run.json", OUT / "pages-client.json")
        return
    if args.rebuild:
        for label in labels:
            rebuild(label, databases[label])
    secret_key = secrets.token_urlsafe(48)
    envs = {label: production_env(databases[label], redis_dbs[label], secret_key) for label in labels}
    deploy = subprocess.run([PYTHON, "-m", "liaison", "check", "--deploy"], env=envs[labels[0]], cwd=ROOT,  # noqa: S603
                            capture_output=True, text=True)  # fmt: skip
    collect_static(envs[labels[0]])
    print("liaison check --deploy:", (deploy.stdout + deploy.stderr).strip() or "nothing to say", flush=True)
    plan = {"roles": list(ROLES), "password": PASSWORD, "seed": args.seed, "warmup": args.warmup,
            "requests": args.requests, "budget_seconds": args.budget, "min_requests": args.min_requests,
            "pages": [{"name": p.name, "role": p.role} for p in PAGES], "sizes": {}}  # fmt: skip
    prepared, servers, logs = {}, [], {}
    try:
        for i, label in enumerate(labels):
            ready(databases[label], envs[label], migrate=args.migrate)
            prepared[label] = child("prepare", envs[label])
            flush_redis(redis_dbs[label])
            port, logs[label] = args.port + 10 * i, OUT / f"pages-access-{label}.log"
            servers.append(serve(envs[label], port, logs[label]))
            ids = prepared[label]["ids"]
            paths = {p.name: [p.path.format(id=i) for i in ids.get(p.ids, [])] if p.ids else [p.path] for p in PAGES}
            plan["sizes"][label] = {"port": port, "master": servers[-1].pid, "secrets": prepared[label]["secrets"],
                                    "paths": {name: found for name, found in paths.items() if found}}  # fmt: skip
            print(f"{label}: {databases[label]} on port {port}, workers of gunicorn {servers[-1].pid}", flush=True)
        run = {"started": started, "load_start": load_start, "labels": labels, "databases": databases,
               "deploy": deploy.stdout + deploy.stderr, "ids": {k: v["ids"] for k, v in prepared.items()},
               "unmeasured": prepared[labels[0]]["unmeasured"],
               "logs": {k: str(v) for k, v in logs.items()}}  # fmt: skip
        # with pages-client.json, what --report-from needs to redo the report
        (OUT / "pages-run.json").write_text(json.dumps(run))
        plan_file, client_file = OUT / "pages-plan.json", OUT / "pages-client.json"
        plan_file.write_text(json.dumps(plan))
        plan_file.chmod(0o600)  # it holds the run's authenticator secrets
        t0 = time.monotonic()
        subprocess.run([PYTHON, str(ROOT / "bench" / "pages_client.py"), plan_file, client_file], cwd=ROOT, check=True)  # noqa: S603
        print(f"client done in {time.monotonic() - t0:.0f}s", flush=True)
        time.sleep(1)  # the last access-log lines
    finally:
        for server in servers:
            server.terminate()
            server.wait()
        (OUT / "pages-plan.json").unlink(missing_ok=True)
    finish(args, envs, OUT / "pages-run.json", client_file)


def finish(args, envs: dict, run_file: Path, client_file: Path) -> None:
    """Query counts in-process (after the timed run, so they do not weigh on it), then the report."""
    run, client = json.loads(run_file.read_text()), json.loads(client_file.read_text())
    labels = run["labels"]
    profiles = {}
    for label in labels:
        try:
            profiles[label] = child("profile", envs[label], json.dumps(run["ids"][label]))
        except SystemExit as exc:  # the tree changed under the run (a new migration): report without the counts
            print(f"{label}: no query counts: {str(exc)[-400:]}", flush=True)
            profiles[label] = {}
    times = {label: server_times(Path(run["logs"][label])) for label in labels}
    summary = pages_report.summarise(client, times, profiles)
    prepared = {label: {"ids": run["ids"][label], "unmeasured": run["unmeasured"]} for label in labels}
    report(args, labels, run["databases"], summary, client, profiles, prepared, run["started"], run["load_start"],
           run["deploy"])  # fmt: skip


def report(args, labels, databases, summary, client, profiles, prepared, started, load_start, deploy) -> None:
    load_end = os.getloadavg()
    pages = [{"name": p.name, "role": p.role} for p in PAGES]
    print()
    load = f"load average {load_start[0]:.2f} at the start, {load_end[0]:.2f} at the end"
    print(f"{started}; {os.cpu_count()} CPUs; {load}")
    print(f"command: bench/pages.py {' '.join(sys.argv[1:])}; databases: "
          + ", ".join(f"{label} = {databases[label]}" for label in labels))  # fmt: skip
    print(f"{args.requests} requests per page per size (n below when fewer answered 200), each followed by the floor "
          f"and /health/; client wall time; × floor: against /accounts/me/ as the same role\n")  # fmt: skip
    print(pages_report.table(summary, pages, list(ROLES), labels, client["cut"]))
    print()
    print(pages_report.memory_table(client["initial_rss"], client["final_rss"]))
    missing = {label: [p.name for p in PAGES if p.ids and not prepared[label]["ids"].get(p.ids)] for label in labels}
    for label, names in missing.items():
        if names:
            print(f"\n{label}: nothing to open for {', '.join(names)} (no such records in {databases[label]})")
    unmeasured = prepared[labels[0]]["unmeasured"]
    if unmeasured:
        print("\naddresses neither measured nor skipped with a reason (bench/page_list.py):", ", ".join(unmeasured))
    out = OUT / f"pages-{time.strftime('%Y%m%d-%H%M%S')}.json"
    details = {"started": started, "argv": sys.argv[1:], "databases": databases,
               "load": [load_start, load_end], "check_deploy": deploy, "summary": summary,
               "verdicts": pages_report.verdicts(summary), "final_rss": client["final_rss"], "cut": client["cut"],
               "profiles": profiles, "ids": {label: prepared[label]["ids"] for label in labels}}  # fmt: skip
    out.write_text(json.dumps(details, indent=1, default=str))
    print(f"\ndetails (plans of the slowest queries included): {out}")


if __name__ == "__main__":
    main()
