from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "liaison.notify"
    label = "notify"
    verbose_name = "Notifications"

    def ready(self):
        # What tells people outside the app (decision 0041; `liaison events` lists every reaction). Each handler
        # writes its notices in the publisher's transaction; the worker sends them.
        from liaison.care.choices import Published as care
        from liaison.comms import worker
        from liaison.core import events
        from liaison.notify import appointments, handlers, send, sweeps, tasks
        from liaison.referrals.choices import Published as referrals

        events.waker_add(tasks.wake)
        now = events.IN_TRANSACTION
        for kind in (referrals.SAFETY_FINDINGS, care.SAFETY_ALERT_RAISED, care.SESSION_RECORDED, care.SCORE_RECORDED):
            events.subscribe(kind, handlers.alerts_raised, when=now, name="notify.safety_alert")
        events.subscribe(referrals.RECEIVED, handlers.urgent_referral, when=now, name="notify.urgent_referral")
        events.subscribe(referrals.REPLIED, handlers.referrer_replied, when=now, name="notify.referrer_message")
        events.subscribe(care.LINK_SENT, handlers.link_sent, when=now, name="notify.questionnaire_link")
        events.subscribe(care.BOOKING_CHANGED, appointments.booking_changed, when=now, name="notify.appointment")

        # Sending, every pass of the built-in worker (it is woken when a notice commits); letters about to go
        # overdue every five minutes; the digests checked every ten. Celery beat runs the same (liaison/celery.py).
        worker.periodic_add("notify.deliver", 0, send.deliver_due)
        worker.periodic_add("notify.letters_due_soon", 5 * 60, sweeps.letters_due_soon)
        worker.periodic_add("notify.digests", 10 * 60, sweeps.digests_send)

        # The account page shows each person's choices (accounts imports nothing of notify).
        from liaison.accounts.views import ACCOUNT_PANELS
        from liaison.notify import views

        if views.panel not in ACCOUNT_PANELS:
            ACCOUNT_PANELS.append(views.panel)
