from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "liaison.care"
    label = "care"
    verbose_name = "Measurement-based care"

    def ready(self):
        # Safety found at intake becomes care's alert; a merge moves scores and alerts; the
        # clinician's safety review acknowledges the intake alert (referrals.safety).
        from liaison.care import services
        from liaison.referrals import safety

        safety.register(safety.FINDINGS, "care.alert", services.referral_findings_alert)
        safety.register(safety.MERGED, "care.merge", services.referral_merged_keep)
        safety.register(safety.REVIEWED, "care.review", services.referral_review_acknowledge)
