from django.db import models


class SessionKind(models.TextChoices):
    EVALUATION = "evaluation", "Evaluation"
    ACUTE = "acute", "Acute series session"
    MAINTENANCE = "maintenance", "Maintenance session"


class Route(models.TextChoices):
    IV = "iv", "IV infusion"
    IM = "im", "IM injection"
    INTRANASAL = "intranasal", "Intranasal esketamine"
    ORAL = "oral", "Oral or sublingual"


class DoseUnit(models.TextChoices):
    MG_PER_KG = "mg_kg", "mg/kg"
    MG = "mg", "mg"


class AdverseEffect(models.TextChoices):
    NAUSEA = "nausea", "Nausea or vomiting"
    DISSOCIATION = "dissociation", "Marked dissociation"
    DIZZINESS = "dizziness", "Dizziness"
    HEADACHE = "headache", "Headache"
    SEDATION = "sedation", "Heavy sedation"
    ANXIETY = "anxiety", "Anxiety or agitation"
    BLOOD_PRESSURE = "blood_pressure", "Raised blood pressure"


class Instrument(models.TextChoices):
    PHQ9 = "phq9", "PHQ-9"
    GAD7 = "gad7", "GAD-7"


class ScoreSource(models.TextChoices):
    STAFF = "staff", "Entered by staff"
    PATIENT_LINK = "patient_link", "Filled in by the patient"
    IMPORT = "import", "Imported"


class AlertKind(models.TextChoices):
    ITEM9 = "item9", "PHQ-9 item 9 answered above 0"
    REFERRAL = "referral", "Suicide risk reported with the referral"
    BLOOD_PRESSURE = "blood_pressure", "Blood pressure above the threshold"


class Published:
    """What care publishes to the event registry (liaison.core.events) after writing its own rows. Care imports
    nothing of comms: the letters these make owed follow from comms' subscriptions (liaison/comms/apps.py)."""

    SESSION_RECORDED = "care.session_recorded"  # a session with its scores and alerts
    SCORE_RECORDED = "care.score_recorded"  # a PHQ-9 or GAD-7 outside a session (staff, import, patient's link)
    SAFETY_ALERT_RAISED = "care.safety_alert_raised"  # an alert raised on its own (a missing item 9 recorded > 0)
    LINK_SENT = "care.questionnaire_link_sent"  # a link to send to the patient (its token only in the context)
    BOOKING_CHANGED = "care.booking_changed"  # booked, moved or cancelled: the patient's invitation (decision 0044)


class LinkChannel(models.TextChoices):
    """How the patient's questionnaire link reaches them (decision 0041)."""

    EMAIL = "email", "Email"
    SMS = "sms", "Text message"


class BookingKind(models.TextChoices):
    EVALUATION = "evaluation", "Evaluation"
    SESSION = "session", "Treatment session"


class BookingStatus(models.TextChoices):
    """A booking is made once; its status then moves on once, and a rescheduled one points to its replacement."""

    BOOKED = "booked", "Booked"
    ATTENDED = "attended", "Attended"
    NO_SHOW = "no_show", "Did not come"
    CANCELLED = "cancelled", "Cancelled"
    RESCHEDULED = "rescheduled", "Moved to another time"
