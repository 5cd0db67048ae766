"""Run callables at the same moment, each in its own thread with its own database connection, for tests
of races that must be real (transaction=True tests)."""

import threading

from django.db import connection


def together(*jobs, timeout: float = 120) -> list:
    """Start every job, release them together, and return what each returned or raised (in order)."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(i: int, job) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = job()
        except Exception as exc:  # every outcome is recorded and judged by the test
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results
