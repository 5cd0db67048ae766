"""Celery for production: workers and beat on Redis run the same functions as the built-in worker.

CELERY_BROKER_URL=redis://127.0.0.1:6379/0 LIAISON_WORKER=celery celery -A liaison worker -l info
CELERY_BROKER_URL=redis://127.0.0.1:6379/0 celery -A liaison beat -l info
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")

app = Celery("liaison")
app.conf.update(
    broker_url=os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0"),
    task_ignore_result=True,
    task_acks_late=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    timezone=os.environ.get("TIME_ZONE", "America/New_York"),
    beat_schedule={
        "comms-drain-outbox": {"task": "comms.drain_outbox", "schedule": 15.0},
        "comms-sweep": {"task": "comms.sweep", "schedule": 60.0},
        "crm-health-refresh": {"task": "crm.health_refresh", "schedule": crontab(hour=2, minute=30)},
        "care-reconcile-outcomes": {"task": "care.reconcile_outcomes", "schedule": crontab(hour=3, minute=0)},
        "crm-monthly-counts": {"task": "crm.monthly_counts_rebuild", "schedule": crontab(hour=2, minute=45)},
        "comms-letter-days": {"task": "comms.rebuild_letter_days", "schedule": crontab(hour=3, minute=15)},
        "comms-sla-snapshot": {"task": "comms.sla_snapshot", "schedule": 60.0},  # each window when 10 minutes old
        # Notices outside the app (decision 0041): sent as soon as they commit (a task is queued then); these catch up.
        "notify-deliver": {"task": "notify.deliver", "schedule": 15.0},
        "notify-letters-due-soon": {"task": "notify.letters_due_soon", "schedule": 300.0},
        "notify-digests": {"task": "notify.digests", "schedule": crontab(minute="*/10")},  # each person's, once a day
    },
)
app.autodiscover_tasks(["liaison.care", "liaison.comms", "liaison.crm", "liaison.notify", "liaison.referrals"])
