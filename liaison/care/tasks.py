"""Celery task for the nightly reconcile of stored outcomes (beat runs it at 03:00 practice time)."""

import logging

from liaison.care.stored_outcomes import reconcile_outcomes
from liaison.celery import app

log = logging.getLogger(__name__)


@app.task(name="care.reconcile_outcomes", ignore_result=True)
def reconcile_stored_outcomes() -> None:
    result = reconcile_outcomes()
    # Something wrote scores or sessions past the services (SQL, a bulk load): worth a look (decision 0024).
    level = logging.WARNING if result.changed else logging.INFO
    log.log(level, "Reconciled %s stored outcomes in %.1f s: %s changed.", result.rows, result.seconds, result.changed)
