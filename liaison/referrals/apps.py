from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "liaison.referrals"
    label = "referrals"
    verbose_name = "Referrals"

    def ready(self):
        # The referral page's messages panel learns from the referral's own query whether there is a thread to read
        # and whether the referrer can read one (decision 0039): no query for a referral without messages.
        from django.db.models import Exists, OuterRef

        from liaison.accounts.models import User
        from liaison.referrals import queries
        from liaison.referrals.message_models import ReferralMessage

        queries.PAGE_ANNOTATIONS.update(
            has_messages=Exists(ReferralMessage.objects.filter(referral_id=OuterRef("pk"))),
            referrer_has_portal=Exists(User.objects.filter(referrer_id=OuterRef("referrer_id"), is_active=True)),
        )
