"""In-process render times of the list and record pages against the signed-in trivial page (issue 13).

    LIAISON_MODE=demo DATABASE_URL=postgres://postgres@127.0.0.1:5432/liaison_bench_1k \
        .venv/bin/python bench/render_profile.py --rounds 200
    ... bench/render_profile.py --profile inbox --rounds 100      # cProfile of one page, top functions

Each page is rendered by Django's test client (no network, no gunicorn) as the role that uses it, signed in with
force_login, and each request of it is paired with one of `/accounts/me/` by the same person (the floor: session,
sign-in check, layout and nothing else), alternating, so a burst of load on the shared machine hits both. It
prints each page's p50 and p99 and their ratios to the floor's, and its query count. DEBUG is off and the cached
template loader on, as in production. The database must hold a network (`liaison build_network`); the pages
write their own audit rows, so the audit trail has rows after the first rounds.

This is the quick loop for finding and fixing a page's cost; the benchmark of record is served by gunicorn and
measured from another process (bench/README.md).
"""

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("LIAISON_MODE", "demo")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")
os.environ.pop("DEBUG", None)
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from liaison.accounts.models import User  # noqa: E402
from liaison.directory.models import Referrer  # noqa: E402
from liaison.referrals.models import Referral  # noqa: E402

FLOOR = "/accounts/me/"


def _pages() -> dict[str, tuple[str, str]]:
    """name → (role, path). Referral pages: an open and a closed one from the middle of the table."""
    open_ids = list(Referral.objects.filter(is_open=True).order_by("id").values_list("id", flat=True)[:1000])
    closed_ids = list(Referral.objects.filter(is_open=False).order_by("-id").values_list("id", flat=True)[:1000])
    referrer = User.objects.filter(role="referrer").exclude(referrer=None).first()
    portal_id = Referral.objects.filter(referrer_id=referrer.referrer_id).order_by("-id").values_list("id", flat=True)
    pages = {
        "inbox": ("coordinator", "/referrals/"),
        "inbox, acute and overdue": ("coordinator", "/referrals/?status=acute&overdue=on"),
        "referral, open": ("coordinator", f"/referrals/{open_ids[len(open_ids) // 2]}/"),
        "referral, closed": ("coordinator", f"/referrals/{closed_ids[len(closed_ids) // 2]}/"),
        "target list": ("liaison", "/crm/targets/?source_type=psychiatry&within_miles=10&sort=distance"),
        "audit trail": ("director", "/audit/"),
        "portal": ("referrer", "/portal/"),
        "work queue": ("coordinator", "/comms/"),
        "open safety alerts": ("clinician", "/care/alerts/"),
        "owed to the referrer": ("coordinator", f"/comms/referrals/{open_ids[len(open_ids) // 2]}/owed/"),
    }
    if portal_id:
        pages["portal referral"] = ("referrer", f"/portal/{portal_id[0]}/")
    pages["liaison's tasks"] = ("liaison", "/crm/")
    pages["target list, default"] = ("liaison", "/crm/targets/")
    pages["network"] = ("liaison", "/crm/network/")
    pages["search, a misspelt surname"] = ("coordinator", "/search/?q=Brenan")
    pages["search, first and last name"] = ("coordinator", "/search/?q=olivia+brenan")
    referrer_ids = list(Referrer.objects.order_by("id").values_list("id", flat=True))
    if referrer_ids:
        pages["referrer relationship"] = ("liaison", f"/crm/referrers/{referrer_ids[len(referrer_ids) // 2]}/")
    return pages


def _client(role: str) -> Client:
    client = Client(HTTP_HOST="localhost")
    user = User.objects.filter(role=role, is_active=True).order_by("id").first()
    if user is None:
        raise SystemExit(f"No active {role} account in this database: build it with `liaison build_network`.")
    client.force_login(user)
    return client


def _get(client: Client, path: str) -> float:
    start = time.perf_counter()
    response = client.get(path)
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise SystemExit(f"{path}: {response.status_code}")
    return elapsed


def _queries(client: Client, path: str) -> int:
    """How many queries one request of the page makes (counted as they run: request_started empties
    connection.queries)."""
    count = 0

    def counter(execute, sql, params, many, context):
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        client.get(path)
    return count


def show_queries(pages: dict, name: str) -> None:
    """Each query one request of the page makes, with its time (after a warm-up request)."""
    role, path = pages[name] if name != "floor" else ("coordinator", FLOOR)
    client = _client(role)
    client.get(path)
    seen = []

    def timer(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            seen.append((time.perf_counter() - start, sql))

    with connection.execute_wrapper(timer):
        client.get(path)
    for elapsed, sql in seen:
        print(f"{elapsed * 1000:7.2f} ms  {sql[:400]}")
    print(f"{len(seen)} queries, {sum(e for e, _ in seen) * 1000:.2f} ms")


def _p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(pages: dict, rounds: int, only: set[str]) -> None:
    clients = {role: _client(role) for role, _ in pages.values()}
    print(f"{'page':22} {'queries':>7} {'p50 ms':>8} {'p99 ms':>8} {'floor p50':>9} {'floor p99':>9} "
          f"{'p50 ×':>6} {'p99 ×':>6}")  # fmt: skip
    for name, (role, path) in pages.items():
        if only and name not in only:
            continue
        client = clients[role]
        for _ in range(5):  # warm: templates compiled and cached, connection open, statements prepared
            _get(client, path), _get(client, FLOOR)
        queries = _queries(client, path)
        page, floor = [], []
        for _ in range(rounds):
            floor.append(_get(client, FLOOR))
            page.append(_get(client, path))
        p50, p99, f50, f99 = _p(page, 0.5), _p(page, 0.99), _p(floor, 0.5), _p(floor, 0.99)
        print(f"{name:22} {queries:7} {p50 * 1000:8.2f} {p99 * 1000:8.2f} {f50 * 1000:9.2f} {f99 * 1000:9.2f} "
              f"{p50 / f50:6.2f} {p99 / f99:6.2f}")  # fmt: skip


def profile(pages: dict, name: str, rounds: int, top: int) -> None:
    role, path = pages[name] if name != "floor" else ("coordinator", FLOOR)
    client = _client(role)
    for _ in range(5):
        _get(client, path)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(rounds):
        _get(client, path)
    profiler.disable()
    stats = pstats.Stats(profiler).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=200, help="requests of each page (and as many of the floor)")
    parser.add_argument("--page", action="append", default=[], help="measure only this page (repeatable)")
    parser.add_argument("--profile", metavar="PAGE", help="cProfile this page (or 'floor') instead of measuring")
    parser.add_argument("--sql", metavar="PAGE", help="list this page's (or 'floor''s) queries with their times")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    assert not settings.DEBUG, "measure with DEBUG off"
    pages = _pages()
    print(f"{connection.settings_dict['NAME']}: {Referral.objects.count():,} referrals; {args.rounds} rounds; "
          f"load {os.getloadavg()[0]:.2f}")  # fmt: skip
    if args.sql:
        show_queries(pages, args.sql)
    elif args.profile:
        profile(pages, args.profile, args.rounds, args.top)
    else:
        measure(pages, args.rounds, set(args.page))


if __name__ == "__main__":
    main()
