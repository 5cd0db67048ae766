"""The letters-on-time page's figures stored by day (comms.LetterDay, decision 0033), so that the page adds up a
few rows a day instead of every letter due in its window.

A cell is (day the letter is due, in UTC; the referral's referrer, 0 for self-referrals): how many of its letters
are owed (not cancelled), delivered, and delivered on time (by the due time; an immediate letter within the grace
of decision 0045, liaison.comms.on_time). Kept current two ways:
- `record(changes)`, in the transaction that changes a letter: each change given as the letter's state before
  and after (`State`: status, due time, delivery time, when it became owed); the difference is added to the
  cells it touches (the rows first made, then updated in one order, so two transactions never wait on each other
  crosswise). The paths that change these figures: a letter becoming owed, moved or cancelled
  (owed.communications_recompute) and a letter delivered (outbox._finish). Drafting, approving, escalating and a
  failed delivery change none of them (a failure only writes the problem; the letter stays approved and owed).
- `rebuild_letter_days()`: every cell from all letters by one GROUP BY, the table replaced in one transaction
  (locked against the recorders meanwhile on PostgreSQL). Nightly (`liaison rebuild_letter_days`, Celery beat
  `comms.rebuild_letter_days`, the built-in worker's periodic job) and at the end of build_network; it puts right
  whatever was written around the services (bulk loads, an admin's delete).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce, TruncDate

from liaison.comms.choices import DueStatus
from liaison.comms.models import DueCommunication, LetterDay
from liaison.comms.on_time import ON_TIME, is_on_time

__all__ = [
    "ON_TIME",
    "State",
    "day_of",
    "day_start",
    "grouped_from_letters",
    "next_day",
    "rebuild_letter_days",
    "record",
]


def day_of(at: datetime) -> date:
    """The UTC day a due time falls in (the cells' day: fixed length, no daylight-saving jumps)."""
    return at.astimezone(UTC).date()


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def next_day(day: date) -> date:
    return day + timedelta(days=1)


@dataclass(frozen=True)
class State:
    """A letter's state as its day's figures see it; `triggered_at` tells an immediate letter (on_time.py)."""

    status: str
    due_at: datetime
    delivered_at: datetime | None
    triggered_at: datetime

    @classmethod
    def of(cls, due: DueCommunication) -> "State":
        return cls(due.status, due.due_at, due.delivered_at, due.triggered_at)

    def delivered(self, at: datetime) -> "State":
        """This letter's state once delivered at `at` (outbox._finish)."""
        return replace(self, status=DueStatus.DELIVERED, delivered_at=at)

    def figures(self) -> tuple[int, int, int]:
        """(owed, delivered, on time) this letter adds to its day; on time by the one rule (on_time.py)."""
        if self.status == DueStatus.CANCELLED:
            return (0, 0, 0)
        if self.status == DueStatus.DELIVERED:
            on_time = is_on_time(due_at=self.due_at, triggered_at=self.triggered_at, delivered_at=self.delivered_at)
            return (1, 1, int(on_time))
        return (1, 0, 0)


def record(changes: Iterable[tuple[int | None, State | None, State | None]]) -> None:
    """Add what changed to the cells: each change is (referrer id or None, state before or None for a new
    letter, state after). Call it in the transaction that wrote the letters."""
    deltas: dict[tuple[date, int], list[int]] = defaultdict(lambda: [0, 0, 0])
    for referrer_id, before, after in changes:
        for state, sign in ((before, -1), (after, 1)):
            if state is not None:
                cell = deltas[(day_of(state.due_at), referrer_id or 0)]
                for i, n in enumerate(state.figures()):
                    cell[i] += sign * n
    keys = sorted(k for k, v in deltas.items() if any(v))
    if not keys:
        return
    with transaction.atomic():
        LetterDay.objects.bulk_create([LetterDay(day=d, referrer_pk=r) for d, r in keys], ignore_conflicts=True)
        for day, referrer in keys:
            owed, delivered, on_time = deltas[(day, referrer)]
            LetterDay.objects.filter(day=day, referrer_pk=referrer).update(
                owed=F("owed") + owed, delivered=F("delivered") + delivered, on_time=F("on_time") + on_time
            )


def grouped_from_letters(letters=None):
    """Every cell's figures worked out from the letters themselves (the rebuild's query; the tests' reference)."""
    letters = DueCommunication.objects.all() if letters is None else letters
    return (
        letters.exclude(status=DueStatus.CANCELLED)
        .annotate(cell_day=TruncDate("due_at", tzinfo=UTC), cell_referrer=Coalesce("referral__referrer_id", 0))
        .values("cell_day", "cell_referrer")
        .annotate(
            owed=Count("id"),
            delivered=Count("id", filter=Q(status=DueStatus.DELIVERED)),
            on_time=Count("id", filter=ON_TIME),
        )
        .order_by()
    )


def rebuild_letter_days() -> int:
    """Every cell from all letters, by one GROUP BY in the database; the table replaced in one transaction
    (locked against `record` meanwhile on PostgreSQL, which waits and then adds its change on top). Returns the
    number of cells."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {LetterDay._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
        rows = [
            LetterDay(
                day=r["cell_day"],
                referrer_pk=r["cell_referrer"],
                owed=r["owed"],
                delivered=r["delivered"],
                on_time=r["on_time"],
            )
            for r in grouped_from_letters()
        ]
        LetterDay.objects.all().delete()
        LetterDay.objects.bulk_create(rows, batch_size=5000)
    return len(rows)
