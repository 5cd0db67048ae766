"""The moment an alert is raised: the built-in worker, running in its own thread as in `liaison demo`, is woken
when the alert commits and the clinician's email reaches the SMTP server within seconds, once. The patient's own
questionnaire raises it here, through the page."""

import threading
import time

import pytest

from liaison.care import services
from liaison.care.tests.conftest import items_for
from liaison.comms import worker
from liaison.notify.models import Notice

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_worker_thread_emails_the_clinician_seconds_after_the_patients_item9(
    client_for, treated, clinician, coordinator, smtp_inbox
):
    _, token = services.questionnaire_link_create(referral=treated, by=coordinator)
    stop = threading.Event()
    thread = threading.Thread(target=worker.loop, kwargs={"stop": stop, "interval": 30}, daemon=True)
    thread.start()
    try:
        time.sleep(0.5)  # its first pass is done; the next is 30 s away unless it is woken
        answers = {f"phq9_{n}": v for n, v in enumerate(items_for(12, 9, item9=2), start=1)}
        answers |= {f"gad7_{n}": v for n, v in enumerate(items_for(6, 7), start=1)} | {"phq9_difficulty": 1}
        raised = time.monotonic()
        assert client_for(None).post(f"/care/q/{token}/", answers).status_code == 200
        while not smtp_inbox.messages and time.monotonic() - raised < 10:
            time.sleep(0.05)
        took = time.monotonic() - raised
    finally:
        stop.set()
        worker.wake()
        thread.join(timeout=30)
    assert len(smtp_inbox.messages) == 1 and took < 10
    assert b"Liaison: a safety alert needs you" in smtp_inbox.messages[0]
    assert clinician.email.encode() in smtp_inbox.messages[0]
    assert Notice.objects.get().status == "sent"
