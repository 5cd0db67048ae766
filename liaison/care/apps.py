from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "liaison.care"
    label = "care"
    verbose_name = "Measurement-based care"

    def ready(self):
        # Safety found at intake becomes care's alert; a merge moves scores and alerts; the clinician's safety
        # review acknowledges the intake alert (liaison.core.events; `liaison events` lists every reaction).
        # All in the publisher's transaction (decisions 0018 and 0021).
        from liaison.care import handlers, queries, schedule
        from liaison.core import events
        from liaison.referrals import queries as referral_queries
        from liaison.referrals.choices import Published

        # The referral page's care panel learns which of its lists have rows with the referral (one query fewer).
        referral_queries.PAGE_ANNOTATIONS.update(queries.LISTS)
        referral_queries.PAGE_ANNOTATIONS.update(schedule.HAS_BOOKINGS)  # and whether it has bookings to show
        # "Evaluation scheduled" is taken only with an open evaluation booking (decision 0040, 0044).
        from liaison.care.bookings import evaluation_booked, evaluation_not_yet
        from liaison.referrals import services as referral_services

        if evaluation_booked not in referral_services.EVALUATION_BOOKED:
            referral_services.EVALUATION_BOOKED.append(evaluation_booked)
        if evaluation_not_yet not in referral_services.EVALUATION_NOT_YET:
            referral_services.EVALUATION_NOT_YET.append(evaluation_not_yet)

        events.subscribe(
            Published.SAFETY_FINDINGS, handlers.findings_alert, when=events.IN_TRANSACTION, name="care.safety_alert"
        )
        events.subscribe(Published.MERGED, handlers.merged_keep, when=events.IN_TRANSACTION, name="care.merge")
        events.subscribe(
            Published.TRANSITIONED, handlers.bookings_follow, when=events.IN_TRANSACTION, name="care.bookings"
        )
        events.subscribe(
            Published.SAFETY_REVIEWED, handlers.review_acknowledge, when=events.IN_TRANSACTION, name="care.review"
        )
