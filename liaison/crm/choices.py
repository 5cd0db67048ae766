from django.db import models


class Stage(models.TextChoices):
    """Where a relationship stands (PRODUCT §5): the road from target to champion, then cooling and dormant."""

    TARGET = "target", "Target"
    CONTACTED = "contacted", "Contacted"
    MEETING_SCHEDULED = "meeting_scheduled", "Meeting scheduled"
    MET = "met", "Met"
    FIRST_REFERRAL = "first_referral", "First referral"
    ACTIVE = "active", "Active"
    CHAMPION = "champion", "Champion"
    COOLING = "cooling", "Cooling"
    DORMANT = "dormant", "Dormant"


# Before the first referral: a referral moves these to "first referral".
PRE_REFERRAL_STAGES = frozenset({Stage.TARGET, Stage.CONTACTED, Stage.MEETING_SCHEDULED, Stage.MET})
# Referring relationships whose health the daily refresh may move between active, cooling and dormant.
REFERRING_STAGES = frozenset({Stage.FIRST_REFERRAL, Stage.ACTIVE, Stage.CHAMPION, Stage.COOLING, Stage.DORMANT})


class Introduction(models.TextChoices):
    COLD = "cold", "We reached out directly"
    WARM = "warm", "Warm introduction by a colleague"
    EVENT = "event", "Met at a talk or event"
    INBOUND = "inbound", "They contacted us"
    PATIENT = "patient", "Through a shared patient"


class ConcernCategory(models.TextChoices):
    KNOWLEDGE = "knowledge", "Knowledge"
    TRUST = "trust", "Trust"
    PRACTICAL = "practical", "Practical"
    RELATIONSHIP = "relationship", "Relationship"


class ConcernTag(models.TextChoices):
    EVIDENCE = "evidence", "The evidence for ketamine"
    IV_VS_ESKETAMINE = "iv_vs_esketamine", "IV ketamine or esketamine"
    PATIENT_SELECTION = "patient_selection", "Which patients to send"
    SAFETY = "safety", "Safety"
    QUALIFICATIONS = "qualifications", "Our qualifications"
    QUALITY = "quality", "Quality of care"
    LOSING_PATIENT = "losing_patient", "Fear of losing the patient"
    AWARENESS = "awareness", "Did not know we exist"
    HOW_TO_REFER = "how_to_refer", "How to refer"
    COST = "cost", "Cost and insurance"
    WHAT_TO_TELL = "what_to_tell", "What to tell the patient"
    CONFLICT = "conflict", "A disagreement with us"


CONCERN_CATEGORY = {
    ConcernTag.EVIDENCE: ConcernCategory.KNOWLEDGE,
    ConcernTag.IV_VS_ESKETAMINE: ConcernCategory.KNOWLEDGE,
    ConcernTag.PATIENT_SELECTION: ConcernCategory.KNOWLEDGE,
    ConcernTag.SAFETY: ConcernCategory.KNOWLEDGE,
    ConcernTag.QUALIFICATIONS: ConcernCategory.TRUST,
    ConcernTag.QUALITY: ConcernCategory.TRUST,
    ConcernTag.LOSING_PATIENT: ConcernCategory.TRUST,
    ConcernTag.AWARENESS: ConcernCategory.PRACTICAL,
    ConcernTag.HOW_TO_REFER: ConcernCategory.PRACTICAL,
    ConcernTag.COST: ConcernCategory.PRACTICAL,
    ConcernTag.WHAT_TO_TELL: ConcernCategory.PRACTICAL,
    ConcernTag.CONFLICT: ConcernCategory.RELATIONSHIP,
}


class Strategy(models.TextChoices):
    WARM_INTRODUCTION = "warm_introduction", "Warm introduction"
    EDUCATIONAL = "educational", "Educational offer"
    COLLABORATIVE = "collaborative", "Collaborative approach"


class InteractionKind(models.TextChoices):
    CALL = "call", "Phone call"
    EMAIL = "email", "Email"
    VISIT = "visit", "Office visit"
    GRAND_ROUNDS = "grand_rounds", "Grand rounds"
    LUNCH_AND_LEARN = "lunch_and_learn", "Lunch-and-learn"
    CME = "cme", "CME session"
    CONFERENCE_TALK = "conference_talk", "Conference talk"
    CASE_CONFERENCE = "case_conference", "Case conference"
    OPEN_HOUSE = "open_house", "Open house"
    NEWSLETTER = "newsletter", "Newsletter"
    MEETING = "meeting", "Meeting"
    RECIPROCAL = "reciprocal", "We referred a patient to them"
    NOTE = "note", "Note"
    STAGE = "stage", "Stage change"


# What counts as outreach (for response rates and for "unprompted" referrals).
OUTREACH_KINDS = frozenset(
    {
        InteractionKind.CALL,
        InteractionKind.EMAIL,
        InteractionKind.VISIT,
        InteractionKind.GRAND_ROUNDS,
        InteractionKind.LUNCH_AND_LEARN,
        InteractionKind.CME,
        InteractionKind.CONFERENCE_TALK,
        InteractionKind.CASE_CONFERENCE,
        InteractionKind.OPEN_HOUSE,
        InteractionKind.NEWSLETTER,
        InteractionKind.MEETING,
    }
)
LOGGABLE_KINDS = [c for c in InteractionKind.choices if c[0] not in (InteractionKind.STAGE, InteractionKind.MEETING)]


class Outcome(models.TextChoices):
    NONE = "", "—"
    NO_RESPONSE = "no_response", "No response"
    RESPONDED = "responded", "Responded"
    MEETING_ACCEPTED = "meeting_accepted", "Meeting accepted"
    MEETING_DECLINED = "meeting_declined", "Meeting declined"


RESPONDED_OUTCOMES = frozenset({Outcome.RESPONDED, Outcome.MEETING_ACCEPTED, Outcome.MEETING_DECLINED})
MEETING_OUTCOMES = frozenset({Outcome.MEETING_ACCEPTED, Outcome.MEETING_DECLINED})


class MeetingStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    HELD = "held", "Held"
    CANCELLED = "cancelled", "Cancelled"


class MeetingKind(models.TextChoices):
    INTRODUCTION = "introduction", "Introduction meeting"
    QUARTERLY = "quarterly", "Quarterly meeting"
    ANNUAL_REVIEW = "annual_review", "Annual review"
    OTHER = "other", "Other meeting"


class TaskKind(models.TextChoices):
    THANK_YOU = "thank_you", "Thank them for the meeting"
    MONTHLY_TOUCH = "monthly_touch", "Monthly touch"
    FIRST_REFERRAL_THANKS = "first_referral_thanks", "Thank them for their first referral"
    FIRST_REFERRAL_REPORT = "first_referral_report", "Ask for an especially thorough first report"
    FIRST_REFERRAL_FOLLOW_UP = "first_referral_follow_up", "Follow up in person after the evaluation"
    QUARTERLY_MEETING = "quarterly_meeting", "Quarterly meeting"
    ANNUAL_REVIEW = "annual_review", "Annual review"
    PLAYBOOK_COMMUNICATION = "playbook_communication", "Repair a communication lapse"
    PLAYBOOK_OUTCOME = "playbook_outcome", "Talk through a disappointing outcome"
    PLAYBOOK_CONFLICT = "playbook_conflict", "Resolve a disagreement"
    PLAYBOOK_CHECK_IN = "playbook_check_in", "Check in: referrals have slowed"
    OTHER = "other", "Other"


FIRST_REFERRAL_KINDS = (
    TaskKind.FIRST_REFERRAL_THANKS,
    TaskKind.FIRST_REFERRAL_REPORT,
    TaskKind.FIRST_REFERRAL_FOLLOW_UP,
)
PLAYBOOK_KINDS = (
    TaskKind.PLAYBOOK_COMMUNICATION,
    TaskKind.PLAYBOOK_OUTCOME,
    TaskKind.PLAYBOOK_CONFLICT,
    TaskKind.PLAYBOOK_CHECK_IN,
)
# Kinds of which a relationship has at most one open task at a time (made by events or the daily refresh).
ONE_OPEN_KINDS = (TaskKind.QUARTERLY_MEETING, TaskKind.ANNUAL_REVIEW, *PLAYBOOK_KINDS)
# What a person may add by hand: everything but the first-referral protocol, which only a first referral starts.
HAND_KINDS = [(value, label) for value, label in TaskKind.choices if value not in FIRST_REFERRAL_KINDS]


class TaskStatus(models.TextChoices):
    OPEN = "open", "To do"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


class Flag(models.TextChoices):
    """The health verdict the daily refresh gives each referrer."""

    NO_REFERRALS = "none", "No referrals yet"
    NEW = "new", "New"
    HEALTHY = "healthy", "Healthy"
    COOLING = "cooling", "Cooling"
    DORMANT = "dormant", "Dormant"


class Cause(models.TextChoices):
    """The likely cause of a cooling relationship, each with its playbook task."""

    NONE = "", "—"
    COMMUNICATION = "communication", "A communication lapse"
    OUTCOME = "outcome", "A disappointing outcome"
    CONFLICT = "conflict", "A conflict"
    UNKNOWN = "unknown", "No clear cause"


CAUSE_TASK = {
    Cause.COMMUNICATION: TaskKind.PLAYBOOK_COMMUNICATION,
    Cause.OUTCOME: TaskKind.PLAYBOOK_OUTCOME,
    Cause.CONFLICT: TaskKind.PLAYBOOK_CONFLICT,
    Cause.UNKNOWN: TaskKind.PLAYBOOK_CHECK_IN,
}


class GrowthPhase(models.TextChoices):
    FOUNDATION = "foundation", "Foundation"
    EXPANSION = "expansion", "Expansion"
    MATURATION = "maturation", "Maturation"
