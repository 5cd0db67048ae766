"""Jobs an app above comms hands the built-in worker (worker.periodic_add): the CRM's daily health refresh."""

import threading

from liaison.comms import worker
from liaison.crm.health import health_refresh


def test_the_crm_hands_the_worker_its_daily_health_refresh():
    assert worker._periodic["crm.health_refresh"] == (24 * 60 * 60, health_refresh)


def test_the_worker_runs_a_periodic_job_when_it_is_due(monkeypatch):
    stop, ran = threading.Event(), []

    def job():
        ran.append(1)
        stop.set()

    monkeypatch.setattr(worker, "_periodic", {"test.job": (0, job)})
    monkeypatch.setattr(worker, "run_once", lambda **kwargs: {})
    monkeypatch.setattr(worker, "close_old_connections", lambda: None)
    monkeypatch.setattr(worker.services, "communications_sweep", lambda: {})
    worker.loop(stop=stop, interval=0.01)
    assert ran == [1]
