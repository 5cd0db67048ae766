"""Rate limits counted in the store every worker process shares (the "shared" cache: Redis when CACHE_URL or
REDIS_URL is set, otherwise a table in the database; liaison/settings.py), so that four gunicorn workers allow
what one would, not four times as much.

A limit is N hits per fixed window of W seconds per (scope, who). The count for the current window lives under
its own key and expires with the window; Retry-After is the time left in it.

Counting is atomic: Redis adds then increments in one step each (`cache.add`, then `cache.incr`, which Redis runs
as INCR). Django's database cache increments by reading and writing, so there the two steps run in one
transaction that first locks the counter's row (SQLite takes its write lock at BEGIN; PostgreSQL takes the row
with SELECT ... FOR UPDATE): two workers never both read the same count."""

import hashlib
import math
import time
from dataclasses import dataclass

from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router, transaction

SHARED = "shared"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int
    limit: int
    retry_after: int  # seconds until the window ends


def hit(scope: str, who: str, *, limit: int, window: int) -> Verdict:
    """Count one request by `who` (an address, a token id) against `scope`; allowed while within `limit`."""
    now = time.time()
    slot = int(now // window)
    retry_after = max(1, math.ceil((slot + 1) * window - now))
    digest = hashlib.sha256(str(who).encode()).hexdigest()[:32]  # no raw address or token in the store
    count = _increment(f"ratelimit:{scope}:{slot}:{digest}", timeout=retry_after + 1)
    return Verdict(allowed=count <= limit, count=count, limit=limit, retry_after=retry_after)


def _increment(key: str, *, timeout: int) -> int:
    store = caches[SHARED]
    if isinstance(store, DatabaseCache):
        return _increment_in_database(store, key, timeout=timeout)
    if store.add(key, 1, timeout):
        return 1
    try:
        return store.incr(key)
    except ValueError:  # expired between the two calls: this is the window's first hit again
        store.add(key, 1, timeout)
        return 1


def _increment_in_database(store: DatabaseCache, key: str, *, timeout: int) -> int:
    alias = router.db_for_write(store.cache_model_class)
    connection = connections[alias]
    with transaction.atomic(using=alias):
        if connection.features.has_select_for_update:
            table = connection.ops.quote_name(store._table)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT cache_key FROM {table} WHERE cache_key = %s FOR UPDATE",  # noqa: S608 - a quoted name
                    [store.make_and_validate_key(key)],
                )
        count = (store.get(key) or 0) + 1
        store.set(key, count, timeout)
    return count
