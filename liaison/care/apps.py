from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "liaison.care"
    label = "care"
    verbose_name = "Measurement-based care"

    def ready(self):
        # Safety found at intake becomes care's alert; a merge moves scores and alerts (liaison.core.events;
        # `liaison events` lists every reaction). Both in the publisher's transaction (decision 0018).
        from liaison.care import handlers
        from liaison.core import events
        from liaison.referrals.choices import Published

        events.subscribe(
            Published.SAFETY_FINDINGS, handlers.findings_alert, when=events.IN_TRANSACTION, name="care.safety_alert"
        )
        events.subscribe(Published.MERGED, handlers.merged_keep, when=events.IN_TRANSACTION, name="care.merge")
