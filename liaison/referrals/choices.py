from django.db import models


class Status(models.TextChoices):
    """The referral lifecycle (PRODUCT §2). Which moves are allowed lives in lifecycle.py."""

    RECEIVED = "received", "Received"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    INFO_REQUESTED = "info_requested", "Information requested"
    EVAL_SCHEDULED = "eval_scheduled", "Evaluation scheduled"
    EVALUATED = "evaluated", "Evaluated"
    ACCEPTED = "accepted", "Accepted for treatment"
    NOT_RECOMMENDED = "not_recommended", "Not recommended"
    ACUTE = "acute", "Acute series"
    ACUTE_COMPLETE = "acute_complete", "Acute series complete"
    MAINTENANCE = "maintenance", "Maintenance"
    RETURNED = "returned", "Returned to referrer's care"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "no_show", "No-show"
    DECLINED_BY_PATIENT = "declined_by_patient", "Declined by patient"
    LOST_TO_FOLLOW_UP = "lost_to_follow_up", "Lost to follow-up"


class Urgency(models.TextChoices):
    ROUTINE = "routine", "Routine"
    SOON = "soon", "Soon (within 2 weeks)"
    URGENT = "urgent", "Urgent"


URGENCY_RANK = {Urgency.ROUTINE: 0, Urgency.SOON: 1, Urgency.URGENT: 2}


class IntakeChannel(models.TextChoices):
    WEB = "web", "Web form"
    API = "api", "API"
    FHIR = "fhir", "FHIR"
    PHONE = "phone", "Phone"
    FAX = "fax", "Fax"
    SELF = "self", "Patient self-referral"


class TrialResponse(models.TextChoices):
    NONE = "none", "No response"
    PARTIAL = "partial", "Partial response"
    FULL = "full", "Full response"
    UNKNOWN = "unknown", "Not known"


class StopReason(models.TextChoices):
    INEFFICACY = "inefficacy", "Did not work"
    SIDE_EFFECTS = "side_effects", "Side effects"
    OTHER = "other", "Other reason"
    ONGOING = "ongoing", "Still taking"


class AttemptHistory(models.TextChoices):
    NONE = "none", "None known"
    PAST = "past", "Past attempt (more than a year ago)"
    RECENT = "recent", "Attempt within the past year"


class SubstanceUse(models.TextChoices):
    NONE = "none", "None known"
    PAST = "past", "Past, in remission"
    ACTIVE = "active", "Active"


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Not stated"


class EventKind(models.TextChoices):
    RECEIVED = "received", "Received"
    TRANSITION = "transition", "Status change"
    ASSIGNED = "assigned", "Assigned"
    NOTE = "note", "Note"
    SAFETY_REVIEW = "safety_review", "Safety review"
    PHQ9_ITEM9 = "phq9_item9", "PHQ-9 item 9 recorded"
    REPLY = "reply", "Reply from the referrer"
    MESSAGE = "message", "Message to the referrer"


class MessageDirection(models.TextChoices):
    """Which way a message between the practice and the referrer went (messages.py, decision 0039)."""

    FROM_REFERRER = "from_referrer", "From the referrer"
    TO_REFERRER = "to_referrer", "To the referrer"


class Published:
    """What referrals publishes to the event registry (liaison.core.events) after writing its own rows and its
    ReferralEvent. Who reacts is in each app's apps.py; `liaison events` lists them all."""

    RECEIVED = "referral.received"  # a new referral, whatever the path (form, self-referral, staff, API)
    TRANSITIONED = "referral.transitioned"  # a lifecycle step
    ASSIGNED = "referral.assigned"  # its coordinator or clinician changed
    SAFETY_FINDINGS = "referrals.safety_findings"  # intake found safety-critical answers (decision 0018)
    MERGED = "referral.merged"  # a duplicate was merged into the kept referral
    SAFETY_REVIEWED = "referral.safety_reviewed"  # a clinician recorded the urgent safety review (decision 0021)
    REPLIED = "referral.replied"  # the referrer answered in the portal: a message, files, history (decision 0039)
    MESSAGED = "referral.messaged"  # the practice wrote to the referrer from the referral page (decision 0039)
