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
            monthly_counts,
            referrer_counts,
            signals,  # noqa: F401  (connects the distance upkeep)
        )
        from liaison.referrals.choices import Published

        events.subscribe(Published.RECEIVED, handlers.relationship, when=events.AFTER_COMMIT, name="crm.relationship")
        events.subscribe(Published.RECEIVED, handlers.health, when=events.AFTER_COMMIT, name="crm.health", batch=True)
        events.subscribe(
            Published.RECEIVED, monthly_counts.received, when=events.AFTER_COMMIT, name="crm.monthly_counts", batch=True
        )
        for kind in (Published.RECEIVED, Published.TRANSITIONED, Published.MERGED):
            events.subscribe(
                kind, referrer_counts.changed, when=events.AFTER_COMMIT, name="crm.referrer_counts", batch=True
            )

        # The built-in worker refreshes every relationship's health daily (Celery beat's crm.health_refresh).
        from liaison.comms import worker
        from liaison.crm.health import health_refresh

        worker.periodic_add("crm.health_refresh", 24 * 60 * 60, health_refresh)
        # And the network page's monthly counts, rebuilt in sets (Celery beat's crm.monthly_counts_rebuild).
        worker.periodic_add("crm.monthly_counts_rebuild", 24 * 60 * 60, monthly_counts.rebuild_monthly_counts)
