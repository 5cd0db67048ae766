from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "liaison.crm"
    label = "crm"
    verbose_name = "Referrer relationships"

    def ready(self):
        # What a new referral does to its referrer's relationship (liaison.core.events; `liaison events`).
        from liaison.core import events
        from liaison.crm import (
            handlers,
            signals,  # noqa: F401  (connects the distance upkeep)
        )
        from liaison.referrals.choices import Published

        events.subscribe(Published.RECEIVED, handlers.relationship, when=events.AFTER_COMMIT, name="crm.relationship")
        events.subscribe(Published.RECEIVED, handlers.health, when=events.AFTER_COMMIT, name="crm.health", batch=True)

        # The built-in worker refreshes every relationship's health daily (Celery beat's crm.health_refresh).
        from liaison.comms import worker
        from liaison.crm.health import health_refresh

        worker.periodic_add("crm.health_refresh", 24 * 60 * 60, health_refresh)
