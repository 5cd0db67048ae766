"""Celery task for new referrals' follow-ups; the same function the built-in worker runs."""

from liaison.celery import app
from liaison.comms.worker import followups_run_all


@app.task(name="referrals.run_followups", ignore_result=True)
def run_followups() -> int:
    """Run what is owed. Rows are locked while run, so tasks running side by side never repeat one."""
    return followups_run_all()
