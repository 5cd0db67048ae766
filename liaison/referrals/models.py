from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from liaison.directory.choices import SourceType
from liaison.directory.validators import display_phone, validate_phone
from liaison.referrals import lifecycle
from liaison.referrals.choices import (
    AttemptHistory,
    EventKind,
    IntakeChannel,
    Sex,
    Status,
    StopReason,
    SubstanceUse,
    TrialResponse,
    Urgency,
)

icd10_validator = RegexValidator(
    r"^[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$", "Enter an ICD-10-CM code such as F33.2 or F32.A."
)
PHQ9_ITEM_COUNT = 9


class Patient(models.Model):
    """The minimum a referral needs to identify and reach the patient."""

    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    phone = models.CharField(max_length=20, blank=True, validators=[validate_phone])
    email = models.EmailField(blank=True)
    zip_code = models.CharField(max_length=5, blank=True, validators=[RegexValidator(r"^\d{5}$", "Five digits.")])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["date_of_birth", "last_name"], name="patient_dob_last_name")]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def phone_display(self) -> str:
        return display_phone(self.phone)


class Referral(models.Model):
    """A request from a clinician (or a patient) for ketamine-therapy assessment, with the
    structured clinical summary of PRODUCT §1 and its place in the lifecycle.

    `status` only changes through referrals.services.referral_transition (a conditional update on
    `version`); `next_action*` are recomputed there from lifecycle.NEXT_ACTION.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="referrals")
    referrer = models.ForeignKey(
        "directory.Referrer", null=True, blank=True, on_delete=models.PROTECT, related_name="referrals"
    )
    source_type = models.CharField(max_length=20, choices=SourceType.choices)
    channel = models.CharField(max_length=10, choices=IntakeChannel.choices)
    received_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    # Lifecycle
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.RECEIVED)
    version = models.PositiveIntegerField(default=1)
    is_open = models.BooleanField(default=True)
    closed_reason = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.ROUTINE)
    urgency_rank = models.PositiveSmallIntegerField(default=0, help_text="2 urgent, 1 soon, 0 routine: for sorting.")
    assigned_coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_clinician = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    next_action = models.CharField(max_length=200, blank=True)
    next_action_role = models.CharField(max_length=20, blank=True)
    next_action_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    next_action_due_at = models.DateTimeField(null=True, blank=True)

    # Clinical summary
    reason = models.TextField("reason for referral", blank=True)
    episode_months = models.PositiveIntegerField("length of current episode (months)", null=True, blank=True)
    prior_episodes = models.PositiveIntegerField("prior depressive episodes", null=True, blank=True)
    current_medications = models.TextField(blank=True)
    psychotherapy_type = models.CharField(max_length=200, blank=True, help_text="e.g. CBT, IPT, DBT")
    psychotherapy_months = models.PositiveIntegerField("psychotherapy duration (months)", null=True, blank=True)
    psychotherapy_ongoing = models.BooleanField(null=True, blank=True)

    # Safety considerations
    suicidal_ideation_current = models.BooleanField("current suicidal ideation", default=False)
    suicide_attempt_history = models.CharField(
        max_length=10, choices=AttemptHistory.choices, default=AttemptHistory.NONE
    )
    substance_use = models.CharField(max_length=10, choices=SubstanceUse.choices, default=SubstanceUse.NONE)
    psychosis_or_mania_history = models.BooleanField("history of psychosis or mania", default=False)
    uncontrolled_hypertension = models.BooleanField(default=False)
    cardiac_disease = models.BooleanField("unstable cardiac disease", default=False)
    aneurysmal_vascular_disease = models.BooleanField("aneurysmal vascular disease or AVM", default=False)
    intracerebral_haemorrhage = models.BooleanField("history of intracerebral haemorrhage", default=False)
    pregnancy = models.BooleanField("pregnant or planning pregnancy", default=False)
    seizures = models.BooleanField("seizure disorder", default=False)
    safety_other = models.TextField("other safety considerations", blank=True)

    # A recent PHQ-9, if the referrer has one: the total, or the nine items (the total then follows). Items left
    # unanswered are None: the questionnaire is incomplete and has no total. With a total alone, item 9 is asked
    # on its own; empty, it is a gap a clinician resolves (care.services.referral_item9_record).
    phq9_total = models.PositiveSmallIntegerField(
        "PHQ-9 total", null=True, blank=True, validators=[MaxValueValidator(27)]
    )
    phq9_items = models.JSONField("PHQ-9 items", null=True, blank=True)
    phq9_item9 = models.PositiveSmallIntegerField(
        "PHQ-9 item 9", null=True, blank=True, validators=[MaxValueValidator(3)], help_text="Empty: not asked."
    )
    phq9_date = models.DateField("PHQ-9 date", null=True, blank=True)

    # Contact for coordination
    coordination_name = models.CharField("coordination contact", max_length=200, blank=True)
    coordination_phone = models.CharField(max_length=20, blank=True, validators=[validate_phone])
    coordination_email = models.EmailField(blank=True)
    prescriber_name = models.CharField(
        "current prescriber",
        max_length=200,
        blank=True,
        help_text="For self-referrals: who prescribes for the patient.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            # The inbox's default order over open referrals: urgent first, then by due time.
            models.Index(
                fields=["is_open", "-urgency_rank", "next_action_due_at", "-received_at", "-id"], name="referral_inbox"
            ),
            models.Index(fields=["status", "-urgency_rank", "next_action_due_at", "-id"], name="referral_status_inbox"),
            # Includes the status and is_open: a referrer's outcome counts (crm.queries.referral_summary) are an
            # index-only scan, not a read of every one of a busy referrer's referrals.
            models.Index(
                fields=["referrer", "-received_at"], name="referral_referrer_recent", include=["status", "is_open"]
            ),
            # The first referral ever (the network's growth phase) and date ranges over all referrals.
            models.Index(fields=["received_at"], name="referral_received"),
            # One source's referrals in one month, counted from the index alone (crm/monthly_counts.py).
            models.Index(fields=["source_type", "received_at"], name="referral_source_received"),
            models.Index(fields=["next_action_owner", "next_action_due_at"], name="referral_owner_due"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=Status.values), name="referral_status_known"),
            models.CheckConstraint(
                condition=~Q(status__in=sorted(s.value for s in lifecycle.CLOSING)) | ~Q(closed_reason=""),
                name="referral_closing_state_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(is_open=True) | Q(closed_at__isnull=False), name="referral_closed_has_time"
            ),
            models.CheckConstraint(
                condition=Q(phq9_total__isnull=True) | Q(phq9_total__lte=27), name="referral_phq9_total_range"
            ),
            models.CheckConstraint(
                condition=Q(phq9_item9__isnull=True) | Q(phq9_item9__lte=3), name="referral_phq9_item9_range"
            ),
            models.CheckConstraint(
                condition=~Q(source_type="self") | Q(referrer__isnull=True) | Q(channel="self"),
                name="referral_self_source_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.patient}"

    @property
    def reference(self) -> str:
        return f"R-{self.pk:06d}" if self.pk else "R-new"

    @property
    def phq9_complete(self) -> bool:
        return not self.phq9_items or None not in self.phq9_items

    @property
    def phq9_score(self) -> int | None:
        """The total, or None for an incomplete questionnaire (or none at all)."""
        if self.phq9_items:
            return sum(self.phq9_items) if self.phq9_complete else None
        return self.phq9_total

    @property
    def phq9_item9_known(self) -> int | None:
        if self.phq9_items and self.phq9_items[PHQ9_ITEM_COUNT - 1] is not None:
            return self.phq9_items[PHQ9_ITEM_COUNT - 1]
        return self.phq9_item9

    @property
    def phq9_item9_gap(self) -> bool:
        """A PHQ-9 was given but its item 9 is not known: shown on the referral page until a clinician records it."""
        given = self.phq9_total is not None or bool(self.phq9_items)
        return given and self.phq9_item9_known is None

    def clean(self):
        errors = _phq9_errors(self)
        if self.source_type == SourceType.SELF and self.referrer_id:
            errors["source_type"] = "A self-referral has no referring clinician."
        if self.source_type != SourceType.SELF and not self.referrer_id and self.channel != IntakeChannel.SELF:
            errors["referrer"] = "Choose the referring clinician."
        if errors:
            raise ValidationError(errors)


def _is_item(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 3


def _phq9_errors(referral) -> dict:
    """The referral's PHQ-9 as one: items (some may be unanswered), total and item 9 agree, or each field at
    fault is named."""
    items, total, item9 = referral.phq9_items, referral.phq9_total, referral.phq9_item9
    errors = {}
    if items is not None:
        if not (isinstance(items, list) and len(items) == PHQ9_ITEM_COUNT):
            return {"phq9_items": "The PHQ-9 has nine items; give them in order, leaving unanswered ones empty."}
        if not all(v is None or _is_item(v) for v in items):
            return {"phq9_items": "Each PHQ-9 item is scored 0, 1, 2 or 3."}
        answered = [v for v in items if v is not None]
        if total is not None and len(answered) < PHQ9_ITEM_COUNT:
            errors["phq9_total"] = "Some items have no answer, so the questionnaire has no total: leave it blank."
        elif total is not None and total != sum(answered):
            errors["phq9_total"] = f"The total {total} does not match the items, which add up to {sum(answered)}."
        if item9 is not None and items[-1] is not None and item9 != items[-1]:
            errors["phq9_item9"] = f"Item 9 is given twice, with two different answers ({items[-1]} and {item9})."
    if item9 is not None and isinstance(total, int) and "phq9_total" not in errors and "phq9_item9" not in errors:
        if item9 > total:
            errors["phq9_item9"] = f"Item 9 ({item9}) cannot be more than the total ({total})."
        elif item9 < total - 24:
            errors["phq9_item9"] = (
                f"A total of {total} means item 9 is at least {total - 24} (the other eight items add up to 24 "
                f"at most), not {item9}."
            )
    return errors


class Diagnosis(models.Model):
    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="diagnoses")
    code = models.CharField("ICD-10 code", max_length=8, validators=[icd10_validator])
    description = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name_plural = "diagnoses"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.code} {self.description}".strip()


class MedicationTrial(models.Model):
    """One prior medication trial: drug, highest daily dose, weeks at that dose, response, why stopped."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="trials")
    drug = models.CharField(max_length=100)
    daily_dose_mg = models.DecimalField(
        "highest daily dose (mg)",
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0.01)],
    )
    weeks_at_dose = models.PositiveSmallIntegerField(
        "weeks at that dose", null=True, blank=True, validators=[MaxValueValidator(520)]
    )
    response = models.CharField(max_length=10, choices=TrialResponse.choices, default=TrialResponse.UNKNOWN)
    reason_stopped = models.CharField(max_length=15, choices=StopReason.choices, default=StopReason.INEFFICACY)
    is_augmentation = models.BooleanField("augmentation", default=False)
    in_current_episode = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(daily_dose_mg__isnull=True) | Q(daily_dose_mg__gt=0), name="trial_dose_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.drug


class EventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("A referral's history is append-only.")

    def delete(self):
        raise PermissionError("A referral's history is append-only.")


class ReferralEvent(models.Model):
    """One step in a referral's history: who, when, from which status to which, and why. Append-only."""

    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    actor_label = models.CharField(max_length=150)
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    from_status = models.CharField(max_length=24, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=24, choices=Status.choices, blank=True)
    reason = models.TextField(blank=True)
    detail = models.JSONField(default=dict, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["referral", "at", "id"], name="event_referral_at")]

    def __str__(self) -> str:
        return f"{self.referral_id} {self.kind} {self.from_status}->{self.to_status}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("A referral's history is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("A referral's history is append-only.")


# Intake data (screening, duplicates, attachments, idempotency) lives in its own module.
from liaison.referrals.intake_models import *  # noqa: E402,F403
from liaison.referrals.message_models import *  # noqa: E402,F403
