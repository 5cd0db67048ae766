"""The practice's screening rules and adequate doses, read from the database once per process and again only after
they change (decision 0027): every referral is screened against them, and they change a few times a year.

A version token in the store every process shares (the "shared" cache: Redis, or a table in the database) says
which copy is current. A change to either table (a save, a delete, a bulk update: intake_models) makes the process
that made it read the tables from the database until its transaction commits, then sets a new token, so that
every process reads them again before its next screening. A change made behind the application's back (SQL in a
console), or one whose new token could not be stored, is seen within MAX_AGE all the same. Should the store be
away, the tables are read from the database, as before.
"""

import logging
import threading
import time
import uuid
from collections.abc import Callable

from django.core.cache import caches
from django.db import transaction

log = logging.getLogger(__name__)
KEY = "screening:tables:version"
SHARED = "shared"
MAX_AGE = 300  # seconds a process keeps its copy at most, whatever the token says


class _State(threading.local):
    token: str | None = None
    tables: tuple | None = None
    read_at: float = 0.0
    dirty: bool = False  # this process changed the tables in a transaction not yet committed


_state = _State()


def tables(load: Callable[[], tuple]) -> tuple:
    """`load()`'s result, kept while the shared token is the one it was read under."""
    if _state.dirty:
        return load()
    try:
        token = _token()
    except Exception:
        log.warning("the shared store is away: screening tables read from the database", exc_info=True)
        return load()
    now = time.monotonic()
    if _state.tables is None or _state.token != token or now - _state.read_at > MAX_AGE:
        _state.tables, _state.token, _state.read_at = load(), token, now  # after the token: a change sets a new one
    return _state.tables


def _token() -> str:
    store = caches[SHARED]
    token = store.get(KEY)
    if token is None:
        store.add(KEY, uuid.uuid4().hex, None)
        token = store.get(KEY)
    return token


def changed() -> None:
    """The rules or doses changed in the current transaction: read them afresh here until it commits, and
    everywhere after."""
    _state.dirty, _state.tables = True, None
    transaction.on_commit(_bump)


def _bump() -> None:
    _state.dirty, _state.tables = False, None
    try:
        caches[SHARED].set(KEY, uuid.uuid4().hex, None)
    except Exception:
        log.exception("could not tell the other processes that the screening tables changed")


def forget() -> None:
    """This process's copy dropped (the tests, between one database and the next)."""
    _state.token, _state.tables, _state.dirty = None, None, False
