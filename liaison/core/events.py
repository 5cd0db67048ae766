"""The event registry: when something happens to a referral, what follows, and in which app.

An app low in the layers (referrals, care) writes its own rows and its ReferralEvent, then calls
`publish(kind, referral_id=..., event_id=..., ...)`; it knows nothing of who listens. An app higher up (comms,
the CRM, care) subscribes in its own `apps.py` `ready()`:

    events.subscribe(kinds.RECEIVED, handlers.letters_owed, when=events.AFTER_COMMIT, name="comms.letters_owed")

- IN_TRANSACTION handlers run at once, inside the publisher's transaction: the work commits with the event or
  not at all (a safety alert for intake findings, the letters a lifecycle step makes owed).
- AFTER_COMMIT handlers are the durable follow-up path (decision 0010, generalised in 0023): publishing writes
  one PendingReaction row for the event in the publisher's transaction and, after commit, wakes the worker, which
  runs every after-commit handler of the kind on it, in batches (`pending_run`); a handler that fails gets a row
  of its own and is retried alone (decision 0027). LIAISON_INTAKE_FOLLOWUP=inline runs them at once in the caller's
  transaction instead (the test suite and the demo's history).

Every handler must be safe to run twice: a worker can die after the work and before deleting its row.
Handlers run in registration order (INSTALLED_APPS order). `registry_table()` (and `liaison events`) lists
every reaction; it is the one place a newcomer reads to find what follows an event.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

log = logging.getLogger(__name__)
IN_TRANSACTION, AFTER_COMMIT = "in_transaction", "after_commit"
INLINE, WORKER = "inline", "worker"
RETRY_FIRST = timedelta(minutes=1)  # after a failure; doubling each time
RETRY_LONGEST = timedelta(hours=6)
EVERY = "*"  # a pending row for every after-commit handler of its kind; a failed handler gets a row of its own


@dataclass
class Event:
    """What a handler is given. `payload` is JSON (it is stored for after-commit handlers); `context` holds the
    live objects the publisher already has (the referral, who did it), present only when the handler runs in
    the publisher's process and transaction; `shared` is a cache the handlers of one batch share."""

    kind: str
    referral_id: int | None
    event_id: int | None = None
    payload: dict = field(default_factory=dict)
    context: dict = field(default_factory=dict)
    shared: dict = field(default_factory=dict)

    @property
    def at(self) -> datetime | None:
        at = self.payload.get("at")
        return datetime.fromisoformat(at) if at else None


@dataclass(frozen=True)
class Handler:
    kind: str
    name: str
    func: Callable
    when: str
    batch: bool  # called once with every event of a batch (a list), e.g. a refresh done once per referrer


_registry: dict[str, list[Handler]] = {}
_wakers: list[Callable[[], None]] = []


def subscribe(kind: str, handler: Callable, *, when: str, name: str, batch: bool = False) -> None:
    """Register `handler` for events of `kind`. Registering the same name again replaces it, so a second
    `ready()` is harmless."""
    if when not in (IN_TRANSACTION, AFTER_COMMIT):
        raise ImproperlyConfigured(f"{name}: when must be events.IN_TRANSACTION or events.AFTER_COMMIT")
    handlers = [h for h in _registry.get(kind, []) if h.name != name]
    _registry[kind] = [*handlers, Handler(kind, name, handler, when, batch)]


def waker_add(wake: Callable[[], None]) -> None:
    """The worker's app tells the registry how to wake it once pending reactions commit."""
    if wake not in _wakers:
        _wakers.append(wake)


def handlers_for(kind: str) -> list[Handler]:
    return list(_registry.get(kind, ()))


def handler_find(kind: str, name: str) -> Handler | None:
    return next((h for h in _registry.get(kind, ()) if h.name == name), None)


def registry_table() -> list[tuple[str, str, str]]:
    """Every reaction: (kind, handler name, when), by kind, in the order they run."""
    return [(kind, h.name, h.when) for kind in sorted(_registry) for h in _registry[kind]]


def publish(
    kind: str,
    *,
    referral_id: int | None,
    event_id: int | None = None,
    context: dict | None = None,
    required: bool = False,
    mode: str | None = None,
    **payload,
) -> Event:
    """Tell the subscribers. Call it inside the transaction that wrote the event. `payload` must be JSON
    (datetimes are stored as ISO text); `required` refuses to go on when no app listens (a safety finding must
    never fall on the floor); `mode` overrides LIAISON_INTAKE_FOLLOWUP for the after-commit handlers."""
    handlers = _registry.get(kind, [])
    if required and not handlers:
        raise ImproperlyConfigured(f"No app reacts to {kind!r}; install the app that subscribes to it.")
    payload = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in payload.items()}
    event = Event(kind, referral_id, event_id, payload, context or {})
    later = [h for h in handlers if h.when == AFTER_COMMIT]
    inline = (mode or settings.INTAKE_FOLLOWUP) == INLINE
    for handler in handlers:
        if handler.when == IN_TRANSACTION or inline:
            _call(handler, [event])
    if later and not inline:
        _owe(event)
    return event


def _call(handler: Handler, events: list[Event]) -> None:
    if handler.batch:
        handler.func(events)
    else:
        for event in events:
            handler.func(event)


def _owe(event: Event) -> None:
    """One row for the event, in the publisher's transaction, naming no handler: the worker runs every
    after-commit handler of its kind (`EVERY`) and writes a row of its own only for a handler that fails. Waking
    the worker after commit is a courtesy (robust: a broker that is down is logged, the publisher's work stands,
    the next pass runs it)."""
    from liaison.core.models import PendingReaction

    PendingReaction.objects.create(
        kind=event.kind,
        handler=EVERY,
        referral_id=event.referral_id,
        event_id=event.event_id,
        payload=event.payload,
        created_at=timezone.now(),
    )
    transaction.on_commit(wake, robust=True)


def wake() -> None:
    for waker in _wakers:
        waker()


# ---------------------------------------------------------------- the worker's side


def retry_delay(attempts: int) -> timedelta:
    """How long a reaction that has failed `attempts` times waits before the next try."""
    return min(RETRY_FIRST * 2 ** max(attempts - 1, 0), RETRY_LONGEST)


def pending_stuck(*, now: datetime | None = None, older_than: timedelta = timedelta(minutes=10)) -> int:
    """How many referrals have reactions that failed, or have waited longer than a worker would let them: the
    work queue warns."""
    from liaison.core.models import PendingReaction

    now = now or timezone.now()
    stuck = PendingReaction.objects.filter(Q(attempts__gt=0) | Q(created_at__lt=now - older_than))
    return stuck.values("referral_id").distinct().count()


def pending_run(*, limit: int = 200) -> dict:
    """One batch of pending rows, those that never failed first, then oldest first. Rows are locked (SKIP LOCKED)
    so two workers share a backlog without overlap. A row for the whole event (`EVERY`) runs each after-commit
    handler of its kind; a row naming a handler (one that failed before) runs that one. Each reaction runs in its
    own savepoint (a batch handler once for all its events, after the others). A reaction that fails is kept, or
    written, as a row naming its handler, with the error and the time of the next try (retry_delay); the rest
    are deleted in the same transaction, so a worker that dies part-way leaves every row as it found it.
    Returns the reactions done and failed."""
    from liaison.core.models import PendingReaction

    now = timezone.now()
    with transaction.atomic():
        rows = list(
            PendingReaction.objects.select_for_update(skip_locked=True)
            .filter(Q(run_after__isnull=True) | Q(run_after__lte=now))
            .order_by("attempts", "created_at", "id")[:limit]
        )
        if not rows:
            return {"done": 0, "failed": 0}
        shared = {"referral_ids": {r.referral_id for r in rows if r.referral_id}}
        done, failed, batches = 0, [], {}
        for row in rows:
            event = Event(row.kind, row.referral_id, row.event_id, row.payload, shared=shared)
            for handler in _handlers_of(row):
                if handler is not None and handler.batch:
                    batches.setdefault(handler, []).append((row, event))
                elif error := _attempt(handler, row, [event]):
                    failed.append((row, handler, error))
                else:
                    done += 1
        for handler, pairs in batches.items():
            error = _attempt(handler, pairs[0][0], [p[1] for p in pairs])
            if error:
                failed.extend((row, handler, error) for row, _ in pairs)
            else:
                done += len(pairs)
        kept = {id(row) for row, handler, _ in failed if row.handler != EVERY or handler is None}
        for row, handler, error in failed:
            _failed(row, handler, error, now)
        PendingReaction.objects.filter(pk__in=[r.pk for r in rows if id(r) not in kept]).delete()
    return {"done": done, "failed": len(failed)}


def _handlers_of(row) -> list[Handler | None]:
    """The handlers a row owes; [None] when none is subscribed (a worker without the app: the row stays, failed)."""
    if row.handler == EVERY:
        return [h for h in _registry.get(row.kind, ()) if h.when == AFTER_COMMIT] or [None]
    return [handler_find(row.kind, row.handler)]


def _attempt(handler: Handler | None, row, events: list[Event]) -> str:
    """Run one reaction in a savepoint; the error in words if it failed, else ''."""
    name = handler.name if handler else row.handler
    try:
        if handler is None:
            which = "after-commit handler" if row.handler == EVERY else f"handler {row.handler!r}"
            raise LookupError(f"no {which} is subscribed to {row.kind!r}")
        with transaction.atomic():
            _call(handler, events)
    except Exception as exc:
        log.exception("reaction %s to %s failed; it stays pending", name, row.kind)
        return repr(exc)[:2000]
    return ""


def _failed(row, handler: Handler | None, error: str, now: datetime) -> None:
    """A failed reaction: a row of its own, tried again after retry_delay (the event's row is deleted with the
    rest), or the row itself when it names the handler or no handler could be found for the event."""
    from liaison.core.models import PendingReaction

    if row.handler == EVERY and handler is not None:
        row = PendingReaction(
            kind=row.kind,
            handler=handler.name,
            referral_id=row.referral_id,
            event_id=row.event_id,
            payload=row.payload,
            created_at=row.created_at,
        )  # fmt: skip
    row.attempts += 1
    row.last_error = error
    row.run_after = now + retry_delay(row.attempts)
    row.save()


def pending_run_all(*, batch: int = 200, batches: int = 5) -> int:
    """Pending reactions, a batch at a time, until none is left that this pass can take or `batches` have run
    (so a backlog does not hold up the letters; the next pass goes on)."""
    total = 0
    for _ in range(batches):
        ran = pending_run(limit=batch)
        total += ran["done"]
        if ran["done"] + ran["failed"] < batch or ran["done"] == 0:
            break
    return total
