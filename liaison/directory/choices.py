from django.db import models


class SourceType(models.TextChoices):
    """Where referrals come from (PRODUCT §5): the four main sources, then the secondary ones."""

    PSYCHIATRY = "psychiatry", "Psychiatrist"
    PRIMARY_CARE = "primary_care", "Primary care"
    THERAPY = "therapy", "Therapist or psychologist"
    SELF = "self", "Self-referral"
    PAIN = "pain", "Pain management"
    NEUROLOGY = "neurology", "Neurology"
    EAP = "eap", "Employee assistance program"
    KETAMINE_PROVIDER = "ketamine_provider", "Other ketamine provider"
    OTHER = "other", "Other"


REFERRER_SOURCE_TYPES = [c for c in SourceType.choices if c[0] != SourceType.SELF]


class Channel(models.TextChoices):
    """How a referrer prefers to hear from the clinic."""

    EMAIL = "email", "Secure email"
    FAX = "fax", "Fax"
    PORTAL = "portal", "Referrer portal"
    FHIR = "fhir", "EHR (FHIR)"


class SharedCareModel(models.TextChoices):
    CONSULTATION = "consultation", "Consultation"
    COLLABORATIVE = "collaborative", "Collaborative management"
    INTEGRATED = "integrated", "Integrated care"


class PracticeType(models.TextChoices):
    SOLO = "solo", "Solo practice"
    GROUP = "group", "Group practice"
    HEALTH_SYSTEM = "health_system", "Hospital or health system"
    COMMUNITY = "community", "Community mental health"
    ACADEMIC = "academic", "Academic medical centre"
    FQHC = "fqhc", "Federally qualified health centre"
    EAP = "eap", "Employee assistance program"


class Published:
    """What the directory publishes to the event registry (liaison.core.events), after writing its rows."""

    # A referrer's email, fax or preferred channel was corrected: payload referrer_id and fields. Letters held up
    # for want of an address may go now; the app that sends them decides (no referral: referral_id is None).
    CONTACT_CHANGED = "directory.referrer_contact_changed"
