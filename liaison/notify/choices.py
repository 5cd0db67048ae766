from django.db import models


class NoticeKind(models.TextChoices):
    """What a message outside the app is about. The first five go to clinic staff, without patient details; the
    next two to a patient, with their questionnaire link; the last to a patient, with their appointment's calendar
    invitation (decision 0044)."""

    SAFETY_ALERT = "safety_alert", "A safety alert"
    URGENT_REFERRAL = "urgent_referral", "An urgent referral"
    REFERRER_MESSAGE = "referrer_message", "A message from a referrer"
    LETTER_DUE_SOON = "letter_due_soon", "A letter about to go overdue"
    DIGEST = "digest", "The daily digest"
    QUESTIONNAIRE_LINK = "questionnaire_link", "The patient's questionnaire link"
    QUESTIONNAIRE_REMINDER = "questionnaire_reminder", "The reminder of the questionnaire link"
    APPOINTMENT = "appointment", "The patient's appointment (a calendar invitation)"


# What a person may switch off on their account page; a safety alert is not among them (decision 0041).
CHOOSABLE = (
    NoticeKind.URGENT_REFERRAL,
    NoticeKind.REFERRER_MESSAGE,
    NoticeKind.LETTER_DUE_SOON,
    NoticeKind.DIGEST,
)
PATIENT_KINDS = (NoticeKind.QUESTIONNAIRE_LINK, NoticeKind.QUESTIONNAIRE_REMINDER)


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "Text message"


class NoticeStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to be sent"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Not needed any more"


class SendPhase(models.TextChoices):
    """How far a send got: before COMMIT nothing reached anyone; from COMMIT on, it may have (never resent)."""

    NONE = "", "Not started"
    CONNECT = "connect", "Connecting"
    COMMIT = "commit", "Handing over"
