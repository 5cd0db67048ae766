from django.db import models


class Trigger(models.TextChoices):
    """What in a referral's history makes a letter owed (PRODUCT §3)."""

    RECEIVED = "received", "Referral received"
    INFO_MISSING = "info_missing", "Information missing"
    EVALUATED = "evaluated", "Evaluation done"
    ACUTE_SESSIONS = "acute_sessions", "Every N acute sessions"
    ACUTE_COMPLETE = "acute_complete", "Acute series complete"
    MAINTENANCE_MONTH = "maintenance_month", "Maintenance month"
    SAFETY = "safety", "Adverse event or safety concern"
    FIRST_REFERRAL = "first_referral", "First referral from a referrer"
    EVAL_BOOKED = "eval_booked", "Evaluation booked after the acknowledgment"


class LetterType(models.TextChoices):
    ACKNOWLEDGMENT = "acknowledgment", "Acknowledgment"
    INFO_REQUEST = "info_request", "Request for missing information"
    EVALUATION_SUMMARY = "evaluation_summary", "Evaluation summary"
    TREATMENT_UPDATE = "treatment_update", "Treatment update"
    OUTCOME_SUMMARY = "outcome_summary", "Outcome summary"
    PROGRESS_UPDATE = "progress_update", "Maintenance progress update"
    SAFETY_ALERT = "safety_alert", "Safety alert"
    FIRST_REFERRAL_THANKS = "first_referral_thanks", "Thanks for a first referral"
    APPOINTMENT_NOTICE = "appointment_notice", "Evaluation date"


# Letters a coordinator may sign; every other letter carries a clinician's signature.
ADMINISTRATIVE_LETTERS = frozenset(
    {
        LetterType.ACKNOWLEDGMENT,
        LetterType.INFO_REQUEST,
        LetterType.FIRST_REFERRAL_THANKS,
        LetterType.APPOINTMENT_NOTICE,
    }
)


class DeadlineKind(models.TextChoices):
    HOURS = "hours", "Within a number of hours"
    IMMEDIATE = "immediate", "Immediately"
    MONTHLY = "monthly", "Monthly"


class OwnerRole(models.TextChoices):
    COORDINATOR = "coordinator", "Coordinator"
    CLINICIAN = "clinician", "Clinician"


class DueStatus(models.TextChoices):
    OWED = "owed", "Owed"
    DRAFTED = "drafted", "Drafted"
    APPROVED = "approved", "Approved, in the outbox"
    DELIVERED = "delivered", "Delivered"
    CANCELLED = "cancelled", "No longer owed"


PENDING = (DueStatus.OWED, DueStatus.DRAFTED)


class LetterStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed and approved"


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", "Secure email"
    FAX = "fax", "Fax (email-to-fax gateway)"
    PORTAL = "portal", "Referrer portal"


class OutboxStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to send"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed: needs a person"


class SendPhase(models.TextChoices):
    """How far the current attempt got; decides what a stale lease means (see decision record)."""

    NONE = "", "Not started"
    CONNECT = "connect", "Talking to the server"
    COMMIT = "commit", "Whole message handed over, waiting for the server's yes"
