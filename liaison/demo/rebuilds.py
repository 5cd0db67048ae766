"""What the nightly jobs keep, rebuilt at the end of a bulk load (liaison.demo.bulk), since the rows went in
around the services that keep them: the stored per-referral outcomes (care's `reconcile_outcomes`), the
monthly referral counts by source (crm's `rebuild_monthly_counts`) and every referrer's health, with the stage
moves and playbook tasks it makes (crm's `health_refresh`, the `refresh_relationships` command's batches).

Each is the set-based form those apps run nightly; one that is missing from this checkout is named in the log
and in the counts (as "skipped"), not silently left out.
"""

import time
from collections.abc import Callable
from datetime import datetime
from importlib import import_module

REBUILDS = (
    ("care.referraloutcome", "liaison.care.stored_outcomes", "reconcile_outcomes"),
    ("crm.monthlyreferralcount", "liaison.crm.monthly_counts", "rebuild_monthly_counts"),
    ("comms.letterday", "liaison.comms.letter_days", "rebuild_letter_days"),
    ("comms.slasnapshot", "liaison.comms.sla_snapshot", "refresh_all"),
    ("search.searchword", "liaison.search.words", "rebuild_words"),
)


def run(*, now: datetime, log: Callable[[str], None]) -> dict:
    from liaison.crm.health import health_refresh

    counts: dict = {}
    for label, module, name in REBUILDS:
        started = time.monotonic()
        try:
            rebuild = getattr(import_module(module), name)
        except (ImportError, AttributeError):
            log(f"{module}.{name} is not in this checkout: {label} was not rebuilt.")
            counts[f"{label} (skipped)"] = 0
            continue
        result = rebuild()
        counts[label] = _count(label, result)
        log(f"{name}: {result} ({time.monotonic() - started:.0f}s)")
    started = time.monotonic()
    result = health_refresh(now=now)
    counts["crm.health"] = result.referrers
    log(f"health refresh: {result} ({time.monotonic() - started:.0f}s)")
    return counts


def _count(label: str, result) -> int:
    """The rows the rebuild left: its own count where it returns one, else the table's."""
    from django.apps import apps

    if isinstance(result, int):
        return result
    if isinstance(getattr(result, "rows", None), int):
        return result.rows
    app_label, model = label.split(".")
    return apps.get_model(app_label, model).objects.count()
