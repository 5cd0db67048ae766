"""bench/pages.py's in-process half, run as a child with the servers' own environment (production mode, the size's
database):

    pages_inproc.py prepare   -> each benchmark account gets an authenticator app with a new secret (allauth's own
                                 TOTP.activate), and the records each page cycles through; JSON on stdout
    pages_inproc.py profile   -> each page rendered in-process (Django's test client, the same database) with every
                                 query seen by connection.execute_wrapper: counts, time in the database, and the
                                 EXPLAIN (ANALYZE, BUFFERS) of the slowest two; JSON on stdout (stdin: the ids)

The secrets go only to the client process (through a file in bench/out/), which signs in with them through the
real two-step sign-in. The accounts' other second steps are removed: the client must answer with this secret.
"""

import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from page_list import FLOOR, HEALTH, PAGES, ROLES  # noqa: E402

PER_KIND = 20  # records a page with {id} cycles through


def prepare() -> dict:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.db import transaction

    from liaison.accounts.models import User

    secrets = {}
    with transaction.atomic():
        for username in ROLES:
            user = User.objects.get(username=username)
            Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).delete()
            secrets[username] = generate_totp_secret()
            TOTP.activate(user, secrets[username])
    return {"secrets": secrets, "ids": pick_ids()}


def pick_ids() -> dict[str, list[int]]:
    """Records spread over each table (every n-th by id), so a page is asked for old and new ones alike."""
    from liaison.accounts.models import User
    from liaison.comms.models import Letter
    from liaison.crm.models import Meeting, SavedList
    from liaison.directory.models import Practice, Referrer
    from liaison.referrals.models import Referral

    referrer = User.objects.get(username="referrer").referrer_id
    kinds = {
        "open_referrals": Referral.objects.filter(is_open=True),
        "closed_referrals": Referral.objects.filter(is_open=False),
        "letters": Letter.objects.all(),
        "saved_lists": SavedList.objects.all(),
        "referrers": Referrer.objects.all(),
        "practices": Practice.objects.all(),
        "meetings": Meeting.objects.all(),
        "portal_referrals": Referral.objects.filter(referrer_id=referrer),
    }
    return {kind: _spread(queryset) for kind, queryset in kinds.items()}


def _spread(queryset) -> list[int]:
    ids = queryset.order_by("pk").values_list("pk", flat=True)
    total = ids.count()
    if total <= PER_KIND:
        return list(ids)
    step = total // PER_KIND
    # every step-th: one query per pick on a million rows is cheaper than reading every id
    return [ids[i * step] for i in range(PER_KIND)]


def profile(ids: dict) -> dict:
    from django.db import connection
    from django.test import Client

    from liaison.accounts.models import User

    clients = {}
    for role in ROLES:
        clients[role] = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)  # a failing page: its 500
        clients[role].force_login(User.objects.get(username=role))
    clients[""] = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)  # no session, for /health/
    out = {}
    asks = [("health", "", HEALTH)] + [("floor " + role, role, FLOOR) for role in ROLES]
    asks += [(page.name, page.role, page.path.format(id=(ids.get(page.ids) or [0])[0])) for page in PAGES]
    for name, role, path in asks:
        page = next((p for p in PAGES if p.name == name), None)
        if page and page.ids and not ids.get(page.ids):
            continue
        clients[role].get(path)  # warm: the first request of a process pays for imports and templates
        runs = [_run(clients[role], path, connection) for _ in range(3)]
        status, total, queries = runs[-1]
        out[name] = {
            "path": path,
            "status": status,
            "queries": len(queries),
            "queries_each_run": [len(run[2]) for run in runs],
            "ms": round(sorted(run[1] for run in runs)[1], 1),
            "sql_ms": round(sum(q[2] for q in queries), 1),
            "slowest": _slowest(queries, connection),
        }
    return out


def _run(client, path: str, connection) -> tuple[int, float, list]:
    queries = []

    def record(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            queries.append((sql, params, (time.perf_counter() - started) * 1000))

    with connection.execute_wrapper(record):
        started = time.perf_counter()
        status = client.get(path).status_code
        total = (time.perf_counter() - started) * 1000
    return status, total, queries


def _slowest(queries: list, connection, keep: int = 2) -> list[dict]:
    selects = [q for q in queries if q[0].lstrip().upper().startswith("SELECT")]
    out = []
    for sql, params, ms in sorted(selects, key=lambda q: q[2], reverse=True)[:keep]:
        try:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                plan = [row[0] for row in cursor.fetchall()]
        except Exception as exc:  # noqa: BLE001 - a plan we cannot get is reported, not fatal
            plan = [f"no plan: {exc}"]
        out.append({"sql": sql[:600], "ms": round(ms, 2), "plan": plan})
    return out


def main() -> None:
    import django

    django.setup()
    command = sys.argv[1]
    if command == "prepare":
        from page_list import unmeasured

        print(json.dumps({**prepare(), "unmeasured": unmeasured()}))
    elif command == "profile":
        print(json.dumps(profile(json.load(sys.stdin))))
    else:
        raise SystemExit(f"unknown command {command!r}: prepare or profile")


if __name__ == "__main__":
    main()
