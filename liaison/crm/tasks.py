"""Celery task for the nightly relationship-health refresh (beat runs it at 02:30 practice time)."""

from liaison.celery import app
from liaison.crm.health import health_refresh


@app.task(name="crm.health_refresh", ignore_result=True)
def refresh_relationship_health() -> None:
    health_refresh()
