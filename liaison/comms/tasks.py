"""Celery tasks: each loads by id and calls the same service functions as the built-in worker."""

from django.conf import settings

from liaison.celery import app
from liaison.comms import letter_days, services, worker
from liaison.comms import sla_snapshot as sla_snapshot_module


@app.task(name="comms.deliver_outbox", ignore_result=True)
def deliver_outbox(outbox_id: int | None = None) -> dict:
    """One pass of the worker: pending reactions (core.events), then deliver what is due (the approved row
    among it). Claiming is a conditional update, so a task running twice, or beside beat's drain, never sends
    a letter twice nor runs a reaction twice at once."""
    return worker.run_once()


@app.task(name="comms.drain_outbox", ignore_result=True)
def drain_outbox() -> dict:
    return worker.run_once()


@app.task(name="comms.sweep", ignore_result=True)
def sweep() -> dict:
    return services.communications_sweep()


@app.task(name="comms.rebuild_letter_days", ignore_result=True)
def rebuild_letter_days() -> int:
    return letter_days.rebuild_letter_days()


@app.task(name="comms.sla_snapshot", ignore_result=True)
def sla_snapshot() -> int:
    return sla_snapshot_module.refresh()


def wake() -> None:
    """Work is waiting (a letter approved, reactions left pending: core.events calls this after commit; comms
    registers it in apps.py): queue a worker pass in Celery mode, else wake the built-in worker."""
    if settings.WORKER == "celery":
        deliver_outbox.delay()
    else:
        worker.wake()
