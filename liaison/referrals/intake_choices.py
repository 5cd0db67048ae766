"""Choices for screening, duplicates and attachments (the intake side of referrals)."""

from django.db import models


class RuleCategory(models.TextChoices):
    RESISTANCE = "resistance", "Treatment resistance"
    SAFETY = "safety", "Safety"
    COMPLETENESS = "completeness", "Completeness"


class RuleEffect(models.TextChoices):
    """What a rule does when it fires."""

    THRESHOLD = "threshold", "Sets a threshold for another rule"
    CANDIDATE = "candidate", "Marks a likely candidate"
    URGENT = "urgent", "Urgent: route to a clinician at once"
    REVIEW = "review", "Flag for clinical review"
    MISSING = "missing", "Ask the referrer for what is missing"


class Resistance(models.TextChoices):
    LIKELY = "likely", "Likely candidate"
    REVIEW = "review", "Needs review"


class SafetyLevel(models.TextChoices):
    NONE = "none", "No safety flag"
    REVIEW = "review", "Clinical review"
    URGENT = "urgent", "Urgent"


class DuplicateStatus(models.TextChoices):
    OPEN = "open", "Waiting for a person to decide"
    MERGED = "merged", "Merged"
    DISMISSED = "dismissed", "Not the same patient"


class ReviewDecision(models.TextChoices):
    """What a clinician decided when reviewing an urgent referral's safety flags (review.safety_review_record)."""

    CONTINUE = "continue", "No immediate risk found: continue the usual intake"
    SAFETY_PLAN = "safety_plan", "Patient contacted: safety plan made or confirmed"
    REFERRER_MANAGES = "referrer_manages", "Referrer contacted: they are managing the risk now"
    CRISIS = "crisis", "Sent to crisis or emergency care"
    NOT_REACHED = "not_reached", "Patient not reached: crisis steps taken and follow-up set"
