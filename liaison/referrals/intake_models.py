"""Intake data beside the referral: the practice's screening rules and adequate doses (data it can
read and adjust), each referral's stored screening result, possible duplicates, PDF attachments and
API idempotency keys. Imported at the end of referrals/models.py so Django registers them."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from liaison.referrals import screening_cache
from liaison.referrals.intake_choices import (
    DuplicateStatus,
    Resistance,
    ReviewDecision,
    RuleCategory,
    RuleEffect,
    SafetyLevel,
)
from liaison.referrals.safety import SAFETY_CRITICAL

SAFETY_CRITICAL_FIXED = "A safety-critical rule keeps this setting: only its title and message can be changed."


class PracticeTableQuerySet(models.QuerySet):
    """The screening rules and adequate doses: every change, one row or many, tells the screening cache."""

    def update(self, **kwargs):
        screening_cache.changed()
        return super().update(**kwargs)

    def delete(self):
        screening_cache.changed()
        return super().delete()

    def bulk_create(self, *args, **kwargs):
        screening_cache.changed()
        return super().bulk_create(*args, **kwargs)

    def bulk_update(self, *args, **kwargs):
        screening_cache.changed()
        return super().bulk_update(*args, **kwargs)


class PracticeTable(models.Model):
    """A table the practice adjusts and every screening reads (screening_cache keeps a copy per process)."""

    objects = PracticeTableQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        screening_cache.changed()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        screening_cache.changed()
        return super().delete(*args, **kwargs)


class ScreeningRule(PracticeTable):
    """One of the practice's screening criteria. The code (`key`) decides what the rule looks at; the
    practice decides whether it is on, its number (weeks, count) and the words shown when it fires."""

    key = models.SlugField(max_length=40, unique=True)
    category = models.CharField(max_length=15, choices=RuleCategory.choices)
    effect = models.CharField(max_length=10, choices=RuleEffect.choices)
    title = models.CharField(max_length=120)
    message = models.CharField(max_length=300, help_text="The words shown with the referral when the rule fires.")
    number = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The rule's number, where it has one (weeks at dose, trials needed)."
    )
    enabled = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["category", "order", "key"]
        constraints = [
            # Item 9, current ideation and a recent attempt: the words are the practice's, the effect is not.
            models.CheckConstraint(
                condition=~Q(key__in=SAFETY_CRITICAL) | Q(enabled=True, effect="urgent", category="safety"),
                name="screening_rule_safety_critical_on",
            ),
            models.CheckConstraint(
                condition=~Q(key__in=SAFETY_CRITICAL) | Q(number__isnull=True),
                name="screening_rule_safety_critical_no_number",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.title}"

    def clean(self):
        if not self.is_safety_critical:
            return
        fixed = {"category": RuleCategory.SAFETY, "effect": RuleEffect.URGENT, "enabled": True, "number": None}
        wrong = sorted(f for f, v in fixed.items() if getattr(self, f) != v)
        if wrong:
            raise ValidationError({f: SAFETY_CRITICAL_FIXED for f in wrong})

    @property
    def is_safety_critical(self) -> bool:
        return self.key in SAFETY_CRITICAL


class AdequateDose(PracticeTable):
    """The lowest daily dose at which a trial of this antidepressant counts as adequate."""

    drug = models.CharField(max_length=60, unique=True, help_text="Generic name, lower case.")
    min_daily_mg = models.DecimalField(max_digits=7, decimal_places=2, validators=[MinValueValidator(0.01)])
    also_known_as = models.CharField(max_length=200, blank=True, help_text="Brand names, comma separated.")

    class Meta:
        ordering = ["drug"]

    def __str__(self) -> str:
        return f"{self.drug} ≥ {self.min_daily_mg:g} mg/day"


class ScreeningResult(models.Model):
    """What screening found when the referral arrived, each finding with the rule that produced it."""

    referral = models.OneToOneField("referrals.Referral", on_delete=models.CASCADE, related_name="screening")
    screened_at = models.DateTimeField()
    resistance = models.CharField(max_length=10, choices=Resistance.choices)
    adequate_failed = models.PositiveSmallIntegerField(default=0)
    unclear_trials = models.PositiveSmallIntegerField(default=0)
    safety = models.CharField(max_length=10, choices=SafetyLevel.choices, default=SafetyLevel.NONE)
    missing_count = models.PositiveSmallIntegerField(default=0)
    possible_duplicate = models.BooleanField(default=False)
    findings = models.JSONField(default=list, help_text="[{rule, category, outcome, text}]")
    information_request = models.TextField(blank=True, help_text="A draft request to the referrer.")

    def __str__(self) -> str:
        return f"screening of {self.referral_id}: {self.resistance}, safety {self.safety}"


class SafetyReview(models.Model):
    """A clinician's review of an urgent referral's safety flags: owed from intake (no decision yet) until a
    clinician or the medical director records a decision and a note (review.safety_review_record).
    Acknowledging the referral, or any other lifecycle step, does not clear it."""

    referral = models.OneToOneField("referrals.Referral", on_delete=models.CASCADE, related_name="safety_review")
    owed_since = models.DateTimeField()
    due_at = models.DateTimeField()
    rules = models.JSONField(default=list, help_text="The keys of the urgent findings that made it owed.")
    decision = models.CharField(max_length=20, choices=ReviewDecision.choices, blank=True)
    note = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["decided_at", "due_at"], name="safety_review_open")]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision="", note="", decided_by__isnull=True, decided_at__isnull=True)
                | (Q(decided_by__isnull=False, decided_at__isnull=False) & ~Q(decision="") & ~Q(note="")),
                name="safety_review_decided_whole",
            ),
        ]

    def __str__(self) -> str:
        return f"safety review of {self.referral_id}: {self.decision or 'owed'}"

    @property
    def is_owed(self) -> bool:
        return self.decided_at is None

    @property
    def decision_choices(self) -> list[tuple[str, str]]:
        return ReviewDecision.choices


class DuplicateFlag(models.Model):
    """A new referral that may be for a patient who already has an open one. Nothing is merged
    until a person confirms."""

    referral = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE, related_name="duplicate_flags")
    existing = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE, related_name="+")
    similarity = models.DecimalField(max_digits=4, decimal_places=3)
    status = models.CharField(max_length=10, choices=DuplicateStatus.choices, default=DuplicateStatus.OPEN)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["referral", "existing"], name="duplicate_flag_pair_unique"),
            models.CheckConstraint(condition=~Q(referral=models.F("existing")), name="duplicate_flag_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.referral_id} may duplicate {self.existing_id}"


class AttachmentManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().defer("content")  # lists never load the files themselves


class Attachment(models.Model):
    """A PDF sent with the referral, kept in the database so that it is written in the same
    transaction as the referral (decision 0007)."""

    referral = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE, related_name="attachments")
    # The referrer's reply in the portal that brought it, if any (decision 0039); empty: sent with the referral.
    message = models.ForeignKey(
        "referrals.ReferralMessage", null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    filename = models.CharField(max_length=200)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    content = models.BinaryField()
    uploaded_at = models.DateTimeField()

    objects = AttachmentManager()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename


class IdempotencyKey(models.Model):
    """An API create seen before: the same token and key return the first referral."""

    token = models.ForeignKey("accounts.ApiToken", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of the request body as understood.")
    referral = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["token", "key"], name="idempotency_token_key_unique")]

    def __str__(self) -> str:
        return self.key
