"""The background worker: runs the reactions events left pending (liaison.core.events: a new referral's
letters owed, relationship and health), claims due outbox rows and sends them, resolves stale leases, and
every minute runs the sweep (maintenance months, escalations). The same functions run three ways: the
built-in thread of `liaison demo`, `liaison run_worker --loop`, and Celery tasks (liaison/comms/tasks.py,
whose `wake` core.events calls when work is waiting)."""

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager

from django.db import close_old_connections, connection

from liaison.comms import services
from liaison.core import events

log = logging.getLogger(__name__)
SWEEP_EVERY_SECONDS = 60

_wake = threading.Event()
_started: threading.Thread | None = None
_lock = threading.Lock()
_periodic: dict[str, tuple[float, Callable[[], object]]] = {}  # name -> (every seconds, job): apps above comms


def periodic_add(name: str, every_seconds: float, job: Callable[[], object]) -> None:
    """An app above comms (the CRM's daily health refresh) hands the built-in worker a job to run every
    `every_seconds`, first after one interval; registered in its apps.py, so comms imports nothing of it."""
    _periodic[name] = (every_seconds, job)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"[:100]


def run_once(*, worker: str | None = None, lease_seconds: int = services.LEASE_SECONDS, limit: int = 20) -> dict:
    """One pass: pending reactions (a new referral's make letters owed), then resolve stale leases, then deliver
    up to `limit` due letters. Letters are claimed one at a time, so a worker that dies holds one letter at
    most, and each is delivered on its own: what goes wrong with one never holds back the next.
    Returns counts by outcome."""
    worker = worker or worker_name()
    try:
        events.pending_run_all()
    except Exception:  # letters are delivered whatever happens to the reactions; they are retried next pass
        log.exception("pending reactions failed this pass")
    services.outbox_resolve_stale()
    results: dict[str, int] = {}
    for _ in range(limit):
        claimed = services.outbox_claim(worker=worker, lease_seconds=lease_seconds, limit=1)
        if not claimed:
            break
        status = deliver_one(claimed[0], worker=worker, lease_seconds=lease_seconds)
        results[status] = results.get(status, 0) + 1
    return results


def deliver_one(outbox_id: int, *, worker: str, lease_seconds: int = services.LEASE_SECONDS) -> str:
    """Deliver one claimed letter while keeping its lease alive. The service records every failure on the
    letter's row; should even that fail (the database away), the letter keeps its lease, which runs out and
    puts it back in the queue, and the pass goes on to the next letter."""
    try:
        with lease_kept(outbox_id, worker=worker, lease_seconds=lease_seconds):
            return services.outbox_deliver(outbox_id=outbox_id, worker=worker)
    except Exception:
        log.exception("outbox %s: delivery stopped; it goes back to the queue when its lease runs out", outbox_id)
        return "error"


@contextmanager
def lease_kept(outbox_id: int, *, worker: str, lease_seconds: int):
    """A heartbeat: while the body runs, renew this worker's lease on the row every third of the lease, so a
    slow server or a long letter never lets the lease lapse under a live worker, and a dead worker's lease
    lapses within `lease_seconds`."""
    stop = threading.Event()

    def beat():
        try:
            while not stop.wait(max(lease_seconds / 3, 0.5)):
                if not services.outbox_renew(outbox_id=outbox_id, worker=worker, lease_seconds=lease_seconds):
                    return  # the lease was taken back: the send itself finds out at its next conditional step
        except Exception:
            log.exception("outbox %s: could not renew the lease", outbox_id)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"lease-{outbox_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def wake() -> None:
    """Make the built-in worker take its next pass now rather than at its interval."""
    _wake.set()


def loop(*, stop: threading.Event, interval: float = 5.0, lease_seconds: int = services.LEASE_SECONDS) -> None:
    """Run until `stop` is set: deliver every `interval` seconds (sooner when woken), sweep every minute."""
    worker, last_sweep = worker_name(), 0.0
    last_run = dict.fromkeys(_periodic, time.monotonic())
    while not stop.is_set():
        close_old_connections()
        try:
            run_once(worker=worker, lease_seconds=lease_seconds)
            if time.monotonic() - last_sweep >= SWEEP_EVERY_SECONDS:
                services.communications_sweep()
                last_sweep = time.monotonic()
            for name, (every, job) in list(_periodic.items()):
                if time.monotonic() - last_run.setdefault(name, time.monotonic()) >= every:
                    job()
                    last_run[name] = time.monotonic()
        except Exception:
            log.exception("comms worker pass failed; trying again shortly")
        _wake.wait(interval)
        _wake.clear()
    close_old_connections()


def start_builtin_worker(*, interval: float = 5.0) -> threading.Thread:
    """Start the in-process worker thread once (idempotent); `liaison demo` calls this."""
    global _started
    with _lock:
        if _started is None or not _started.is_alive():
            stop = threading.Event()
            _started = threading.Thread(
                target=loop, kwargs={"stop": stop, "interval": interval}, name="comms-worker", daemon=True
            )
            _started.stop_event = stop
            _started.start()
    return _started
