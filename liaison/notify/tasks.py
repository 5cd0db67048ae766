"""Celery tasks: the same functions as the built-in worker's (apps.py); beat's schedule is in liaison/celery.py."""

from django.conf import settings

from liaison.celery import app
from liaison.notify import send, sweeps


@app.task(name="notify.deliver", ignore_result=True)
def deliver() -> dict:
    """Send what is due. Claiming is a conditional update: a task running twice never sends a notice twice."""
    return send.deliver_due()


@app.task(name="notify.letters_due_soon", ignore_result=True)
def letters_due_soon() -> int:
    return sweeps.letters_due_soon()


@app.task(name="notify.digests", ignore_result=True)
def digests() -> int:
    return sweeps.digests_send()


def wake() -> None:
    """A notice was committed: send it now. In Celery mode a task of its own; the built-in worker is woken once by
    comms' waker, called beside this one (core.events.wake), and each of its passes sends notices too."""
    if settings.WORKER == "celery":
        deliver.delay()
