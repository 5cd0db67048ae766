"""The letters-on-time page's figures worked out ahead (decision 0033, the snapshot).

The practice-wide figures of a window (liaison.comms.sla.practice_figures, the one definition) move slowly, and at a
million referrals take seconds to work out (the medians above all). So the worker works them out every 10 minutes
for the windows the page offers (WINDOWS), and whenever one is missing, and stores them (comms.SlaSnapshot: the
practice's row and the top referrers'); the page reads the newest for its window in one query and says as of when.

The page works the figures out live, as before, and says so, when:
- the person sees only some referrals (their own figures, from the letters: sla_figures_from_letters);
- the window is not one of WINDOWS (any 1-730 days may be asked for);
- there is no snapshot for the window (then the page stores what it worked out), or the newest is older than
  STALE (the worker is down: the page does not store it, so it keeps saying so until the worker is back).
"""

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from liaison.comms.models import SlaSnapshot
from liaison.comms.queries import Figures, sla_figures_from_letters
from liaison.comms.sla import practice_figures

WINDOWS = (30, 90, 365)  # the windows the page offers as links (the default first shown is 90)
EVERY = timedelta(minutes=10)
STALE = timedelta(minutes=30)
TOP = 50  # the referrers the page shows


@dataclass
class Shown:
    """What the page shows: the figures, as of when (None: worked out for this request) and, when live, why."""

    practice: Figures
    referrers: list[Figures]
    as_of: datetime | None
    live_because: str = ""  # "scoped" | "window" | "missing" | "stale"
    stale_as_of: datetime | None = None  # the newest snapshot, when it was too old to show


def take(days: int, *, at: datetime | None = None, figures: tuple[Figures, list[Figures]] | None = None) -> SlaSnapshot:
    """Work out (or take the given) practice figures of a `days` window as of `at` and store them; the window's
    older snapshots go."""
    at = at or timezone.now()
    practice, referrers = figures or practice_figures(days=days, at=at, top=TOP)
    with transaction.atomic():
        snapshot = SlaSnapshot.objects.create(
            days=days, computed_at=at, practice=asdict(practice), referrers=[asdict(r) for r in referrers]
        )
        SlaSnapshot.objects.filter(days=days, computed_at__lt=at).delete()
    return snapshot


def refresh(*, now: datetime | None = None, every: timedelta = EVERY, windows: tuple[int, ...] = WINDOWS) -> int:
    """Take a snapshot of each window whose newest is missing or `every` old; how many were taken. The worker
    runs this every minute (and Celery beat), so a missing one is there within a minute and each is at most
    about `every` old; `every=timedelta(0)` takes them all (the `sla_snapshot` command, the end of a bulk load)."""
    now = now or timezone.now()
    newest = dict(
        SlaSnapshot.objects.filter(days__in=windows)
        .values("days")
        .annotate(at=Max("computed_at"))
        .values_list("days", "at")
    )
    taken = 0
    for days in windows:
        if days not in newest or now - newest[days] >= every:
            take(days, at=now)
            taken += 1
    return taken


def refresh_all() -> int:
    return refresh(every=timedelta(0))


def shown(*, user, days: int, now: datetime | None = None) -> Shown:
    """The page's figures for this person and window: the newest snapshot when it may be shown, else live."""
    if not (user.is_authenticated and user.is_active and user.sees_all_referrals):
        return Shown(*sla_figures_from_letters(user=user, days=days, top=TOP), None, "scoped")
    if days not in WINDOWS:
        return Shown(*practice_figures(days=days, top=TOP), None, "window")
    now = now or timezone.now()
    newest = SlaSnapshot.objects.filter(days=days).order_by("-computed_at").first()
    if newest is not None and now - newest.computed_at < STALE:
        return Shown(Figures(**newest.practice), [Figures(**r) for r in newest.referrers], newest.computed_at, "", None)
    figures = practice_figures(days=days, at=now, top=TOP)
    if newest is None:
        take(days, at=now, figures=figures)  # the worker's first pass may not have come yet
        return Shown(*figures, None, "missing")
    return Shown(*figures, None, "stale", newest.computed_at)
