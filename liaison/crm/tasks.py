"""Celery tasks for the CRM's nightly jobs (beat runs them at 02:30 and 02:45 practice time): the relationship-health
refresh and the network page's monthly counts."""

from liaison.celery import app
from liaison.crm.health import health_refresh
from liaison.crm.monthly_counts import rebuild_monthly_counts


@app.task(name="crm.health_refresh", ignore_result=True)
def refresh_relationship_health() -> None:
    health_refresh()


@app.task(name="crm.monthly_counts_rebuild", ignore_result=True)
def monthly_counts_rebuild() -> None:
    rebuild_monthly_counts()
