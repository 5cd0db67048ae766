"""Celery tasks: each loads by id and calls the same service functions as the built-in worker."""

from liaison.celery import app
from liaison.comms import services, worker


@app.task(name="comms.deliver_outbox", ignore_result=True)
def deliver_outbox(outbox_id: int | None = None) -> dict:
    """Deliver what is due (the approved row among it). Claiming is a conditional update, so a task
    running twice, or beside beat's drain, never sends a letter twice."""
    return worker.run_once()


@app.task(name="comms.drain_outbox", ignore_result=True)
def drain_outbox() -> dict:
    return worker.run_once()


@app.task(name="comms.sweep", ignore_result=True)
def sweep() -> dict:
    return services.communications_sweep()
