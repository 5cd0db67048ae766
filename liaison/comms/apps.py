from django.apps import AppConfig


class CommsConfig(AppConfig):
    name = "liaison.comms"
    label = "comms"
    verbose_name = "Communications"

    def ready(self):
        # What each referral event makes owed (liaison.core.events; `liaison events` lists every reaction).
        from liaison.care.choices import Published as care
        from liaison.comms import handlers, tasks
        from liaison.core import events
        from liaison.referrals.choices import Published as referrals

        events.waker_add(tasks.wake)
        events.subscribe(referrals.RECEIVED, handlers.letters_owed, when=events.AFTER_COMMIT, name="comms.letters_owed")
        # A message from the practice: the referrer is told by email, with a link and no patient details (0039).
        from liaison.comms import portal_notices

        events.subscribe(
            referrals.MESSAGED, portal_notices.message_notice, when=events.AFTER_COMMIT, name="comms.portal_notice"
        )
        for kind in (
            referrals.TRANSITIONED,
            referrals.ASSIGNED,
            care.SESSION_RECORDED,
            care.SCORE_RECORDED,
            care.SAFETY_ALERT_RAISED,
            care.BOOKING_CHANGED,  # an evaluation booked or moved after the acknowledgment owes a letter (0044)
        ):
            # In the step's transaction: a letter owed (the urgent safety letter above all) commits with the step.
            events.subscribe(kind, handlers.letters_owed, when=events.IN_TRANSACTION, name="comms.letters_owed")

        # A referrer's address or channel corrected: the letters held up for want of one are looked at again at once.
        from liaison.directory.choices import Published as directory

        events.subscribe(
            directory.CONTACT_CHANGED,
            handlers.referrer_contact_changed,
            when=events.IN_TRANSACTION,
            name="comms.contact_changed",
        )

        # The letters-on-time page's stored days, rebuilt daily in sets (Celery beat's comms.rebuild_letter_days).
        from liaison.comms import letter_days, worker

        worker.periodic_add("comms.rebuild_letter_days", 24 * 60 * 60, letter_days.rebuild_letter_days)
        # Its figures worked out ahead: each offered window's snapshot when missing or 10 minutes old (decision 0033).
        from liaison.comms import sla_snapshot

        worker.periodic_add("comms.sla_snapshot", 60, sla_snapshot.refresh)
