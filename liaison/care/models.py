from django.conf import settings
from django.db import models
from django.db.models import F, Q

from liaison.care.choices import (
    AlertKind,
    BookingKind,
    BookingStatus,
    DoseUnit,
    Instrument,
    Route,
    ScoreSource,
    SessionKind,
)


class CareSettings(models.Model):
    """The practice's safety thresholds and defaults for measurement-based care. One row at most;
    with none, the defaults below apply (care.queries.care_settings)."""

    systolic_alert_above = models.PositiveSmallIntegerField("alert when systolic pressure is above (mmHg)", default=180)
    diastolic_alert_above = models.PositiveSmallIntegerField(
        "alert when diastolic pressure is above (mmHg)", default=110
    )
    acute_sessions_planned = models.PositiveSmallIntegerField("sessions planned in an acute series", default=6)
    questionnaire_link_hours = models.PositiveSmallIntegerField("hours a questionnaire link stays valid", default=72)

    class Meta:
        verbose_name = verbose_name_plural = "care settings"
        constraints = [
            models.CheckConstraint(condition=Q(acute_sessions_planned__gte=1), name="care_settings_planned_positive"),
            models.CheckConstraint(condition=Q(questionnaire_link_hours__gte=1), name="care_settings_link_hours"),
        ]

    def __str__(self) -> str:
        return f"BP alert above {self.systolic_alert_above}/{self.diastolic_alert_above}"


class Session(models.Model):
    """One visit: the evaluation, a numbered session of the acute series, or a maintenance session,
    with route, dose, blood pressure before and after, adverse effects and notes."""

    referral = models.ForeignKey("referrals.Referral", on_delete=models.PROTECT, related_name="care_sessions")
    kind = models.CharField(max_length=12, choices=SessionKind.choices)
    number = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Acute series: 1, 2, 3 …")
    planned = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Acute series: sessions planned.")
    held_on = models.DateField("date")
    route = models.CharField(max_length=12, choices=Route.choices, blank=True)
    dose = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    dose_unit = models.CharField(max_length=6, choices=DoseUnit.choices, blank=True)
    bp_before_systolic = models.PositiveSmallIntegerField("systolic before", null=True, blank=True)
    bp_before_diastolic = models.PositiveSmallIntegerField("diastolic before", null=True, blank=True)
    bp_after_systolic = models.PositiveSmallIntegerField("systolic after", null=True, blank=True)
    bp_after_diastolic = models.PositiveSmallIntegerField("diastolic after", null=True, blank=True)
    adverse_effects = models.JSONField(default=list, blank=True)
    adverse_other = models.CharField("other adverse effects", max_length=300, blank=True)
    notes = models.TextField(blank=True)
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["held_on", "id"]
        indexes = [models.Index(fields=["referral", "held_on", "id"], name="care_session_referral")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=SessionKind.values), name="care_session_kind_known"),
            models.CheckConstraint(
                condition=Q(kind="acute", number__gte=1, planned__gte=1) | (~Q(kind="acute") & Q(number__isnull=True)),
                name="care_session_acute_numbered",
            ),
            models.UniqueConstraint(
                fields=["referral", "number"], condition=Q(kind="acute"), name="care_session_acute_number_unique"
            ),
            models.CheckConstraint(condition=Q(dose__isnull=True) | Q(dose__gt=0), name="care_session_dose_positive"),
        ]

    def __str__(self) -> str:
        if self.kind == SessionKind.ACUTE:
            return f"Acute session {self.number} of {self.planned} on {self.held_on}"
        return f"{self.get_kind_display()} on {self.held_on}"

    @property
    def label(self) -> str:
        if self.kind == SessionKind.ACUTE:
            return f"Acute {self.number}/{self.planned}"
        return "Evaluation" if self.kind == SessionKind.EVALUATION else "Maintenance"

    @property
    def bp_before(self) -> str:
        return _bp(self.bp_before_systolic, self.bp_before_diastolic)

    @property
    def bp_after(self) -> str:
        return _bp(self.bp_after_systolic, self.bp_after_diastolic)

    @property
    def adverse_labels(self) -> list[str]:
        from liaison.care.choices import AdverseEffect

        labels = dict(AdverseEffect.choices)
        return [labels.get(code, code) for code in self.adverse_effects] + (
            [self.adverse_other] if self.adverse_other else []
        )


def _bp(systolic, diastolic) -> str:
    return f"{systolic}/{diastolic}" if systolic and diastolic else ""


class Assessment(models.Model):
    """One PHQ-9 or GAD-7: item by item (the total follows) or a total alone where only that is known.

    `items` are the answers 0–3 in the instrument's order (instruments.Spec.item_loinc gives each one's
    LOINC code), None for an item left unanswered; such an *incomplete* questionnaire has no total and no band.
    `item9` keeps PHQ-9's safety answer even when only the total and that answer are known; on a PHQ-9 it is
    empty only while item 9 is not known, a gap a clinician resolves (services.assessment_item9_record)."""

    referral = models.ForeignKey("referrals.Referral", on_delete=models.PROTECT, related_name="assessments")
    session = models.ForeignKey(Session, null=True, blank=True, on_delete=models.PROTECT, related_name="assessments")
    instrument = models.CharField(max_length=6, choices=Instrument.choices)
    loinc = models.CharField("panel LOINC code", max_length=10)
    items = models.JSONField(null=True, blank=True)
    total = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Empty: an incomplete questionnaire.")
    item9 = models.PositiveSmallIntegerField("PHQ-9 item 9", null=True, blank=True)
    difficulty = models.PositiveSmallIntegerField(null=True, blank=True)
    taken_on = models.DateField()
    source = models.CharField(max_length=14, choices=ScoreSource.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["taken_on", "id"]
        indexes = [models.Index(fields=["referral", "instrument", "taken_on"], name="care_assessment_referral")]
        constraints = [
            models.CheckConstraint(
                condition=Q(total__isnull=True)
                | Q(instrument="phq9", total__lte=27)
                | Q(instrument="gad7", total__lte=21),
                name="care_assessment_total_range",
            ),
            models.CheckConstraint(
                condition=Q(item9__isnull=True) | (Q(instrument="phq9") & Q(item9__lte=3)),
                name="care_assessment_item9_phq9_only",
            ),
            models.CheckConstraint(
                condition=Q(difficulty__isnull=True) | Q(difficulty__lte=3), name="care_assessment_difficulty_range"
            ),
        ]

    def __str__(self) -> str:
        total = self.total if self.total is not None else "incomplete"
        return f"{self.get_instrument_display()} {total} on {self.taken_on}"

    @property
    def is_complete(self) -> bool:
        return self.total is not None

    @property
    def item9_gap(self) -> bool:
        """A PHQ-9 whose item 9 is not known: shown with an action to record it."""
        return self.instrument == "phq9" and self.item9 is None

    @property
    def answered(self) -> int:
        return sum(v is not None for v in self.items or ())


class SafetyAlert(models.Model):
    """A safety signal for the treating clinician: PHQ-9 item 9 above 0, or a blood pressure above the
    practice's threshold. It stays open until a clinician acknowledges it with a note."""

    referral = models.ForeignKey("referrals.Referral", on_delete=models.PROTECT, related_name="safety_alerts")
    kind = models.CharField(max_length=16, choices=AlertKind.choices)
    assessment = models.ForeignKey(Assessment, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(Session, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    summary = models.CharField(max_length=300)
    raised_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledgement = models.TextField(blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [models.Index(fields=["acknowledged_at", "-raised_at"], name="care_alert_open")]
        constraints = [
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True, acknowledged_by__isnull=True, acknowledgement="")
                | (Q(acknowledged_at__isnull=False, acknowledged_by__isnull=False) & ~Q(acknowledgement="")),
                name="care_alert_acknowledged_with_note",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.referral_id})"

    @property
    def is_open(self) -> bool:
        return self.acknowledged_at is None


class QuestionnaireLink(models.Model):
    """A link sent to a patient to fill in the PHQ-9 and GAD-7 without an account. The link carries a
    signed token; only a hash of its secret part is kept here. It expires and works once (`used_at`)."""

    referral = models.ForeignKey("referrals.Referral", on_delete=models.PROTECT, related_name="questionnaire_links")
    nonce_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(expires_at__gt=models.F("created_at")), name="care_link_expires_later"),
        ]

    def __str__(self) -> str:
        return f"Questionnaire link {self.pk} for referral {self.referral_id}"

    def state(self, now) -> str:
        if self.used_at:
            return "used"
        return "expired" if self.expires_at <= now else "waiting"


class ReferralOutcome(models.Model):
    """One referral's PHQ-9 outcome, stored so that outcome rates are one grouped query (decision 0024).

    Derived data, never entered: care.outcomes' definitions applied to the referral's complete PHQ-9s and its
    sessions. Rewritten in the transaction of every score or session written (stored_outcomes.outcome_refresh)
    and reconciled nightly in sets (stored_outcomes.reconcile_outcomes). There is a row for every referral with
    a complete PHQ-9 or a treatment session; `referrer` and `source_type` are the referral's, copied so the
    outcomes page groups without a join."""

    referral = models.OneToOneField(
        "referrals.Referral", primary_key=True, on_delete=models.CASCADE, related_name="care_outcome"
    )
    referrer = models.ForeignKey(
        "directory.Referrer", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )  # care_outcome_referrer_counts below serves
    source_type = models.CharField(max_length=20)
    treated_on = models.DateField(null=True, blank=True, help_text="The first acute or maintenance session.")
    baseline_total = models.PositiveSmallIntegerField(null=True, blank=True)
    baseline_on = models.DateField(null=True, blank=True)
    baseline_kind = models.CharField(max_length=12, blank=True, help_text="Its session's kind; empty outside one.")
    current_total = models.PositiveSmallIntegerField(null=True, blank=True)
    current_on = models.DateField(null=True, blank=True)
    scores = models.PositiveIntegerField(default=0, help_text="Complete PHQ-9s.")
    response = models.CharField(max_length=12, null=True, blank=True)
    remission = models.BooleanField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(response__isnull=True) | Q(response__in=("response", "partial", "non_response")),
                name="care_outcome_response_known",
            ),
            models.CheckConstraint(
                condition=Q(current_total__isnull=True) | Q(baseline_total__isnull=False),
                name="care_outcome_current_after_baseline",
            ),
        ]
        indexes = [
            # One referrer's outcome counts (care.queries.outcome_aggregates, the relationship page) read only
            # this index: every column they touch is in it, so a referrer with 20,000 outcomes is an index range.
            models.Index(
                fields=["referrer"],
                include=["referral", "treated_on", "response", "remission"],
                name="care_outcome_referrer_counts",
            ),
            # The outcomes page's grouped counts (care.queries.COUNTS) read only these: every key column is what
            # the counts touch, so the index deduplicates to a few MB at 1M referrals and stays in shared buffers,
            # where a scan of the whole table goes through a small ring buffer and is read cold (decision 0024).
            models.Index(
                fields=["source_type", "response", "remission"],
                condition=Q(treated_on__isnull=False),
                name="care_outcome_by_source",
            ),
            models.Index(
                fields=["referrer", "response", "remission"],
                condition=Q(treated_on__isnull=False),
                name="care_outcome_by_referrer",
            ),
        ]

    def __str__(self) -> str:
        return f"Outcome of referral {self.referral_id}: {self.response or 'not measured'}"


class OutcomeCount(models.Model):
    """The outcomes page's counts for one (referrer, source type): stored_outcomes.COUNTS over the treated
    ReferralOutcome rows of that cell, so the page sums about as many rows as there are referrers (decision 0024).

    Derived data, never entered: recounted from ReferralOutcome in the transaction of every outcome written
    (stored_outcomes.outcome_refresh) and rebuilt in one grouped query by stored_outcomes.reconcile_outcomes.
    `key` is "<referrer id or empty>:<source type>", one key for a cell whose referrer may be null (self-referrals),
    so both databases can upsert it."""

    key = models.CharField(max_length=40, primary_key=True)
    referrer = models.ForeignKey(
        "directory.Referrer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source_type = models.CharField(max_length=20)
    treated = models.PositiveIntegerField(default=0)
    measured = models.PositiveIntegerField(default=0, help_text="Treated with a response class.")
    responders = models.PositiveIntegerField(default=0)
    partial = models.PositiveIntegerField(default=0)
    remitted = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"Outcome counts {self.key}: {self.treated} treated"


class Booking(models.Model):
    """A slot booked for a referral's evaluation or a treatment session: when (stored UTC, shown in the practice's
    time zone), with which clinician, where. A booking is never moved in place: rescheduling marks it
    "rescheduled" and books a new one that points back to it (`replaces`), so the history stays whole."""

    referral = models.ForeignKey("referrals.Referral", on_delete=models.PROTECT, related_name="bookings")
    kind = models.CharField(max_length=12, choices=BookingKind.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    clinician = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    place = models.CharField(max_length=100, help_text="Where: a room, a site, or 'video call'.")
    status = models.CharField(max_length=12, choices=BookingStatus.choices, default=BookingStatus.BOOKED)
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by", help_text="Moved from."
    )
    session = models.ForeignKey(
        Session, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="The session held."
    )
    status_reason = models.CharField(max_length=300, blank=True)
    status_at = models.DateTimeField(null=True, blank=True)
    status_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["referral", "starts_at"], name="care_booking_referral"),
            models.Index(fields=["starts_at", "clinician"], name="care_booking_day"),
            models.Index(fields=["clinician", "starts_at"], name="care_booking_clinician"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=BookingKind.values), name="care_booking_kind_known"),
            models.CheckConstraint(condition=Q(status__in=BookingStatus.values), name="care_booking_status_known"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="care_booking_ends_after_start"),
            models.UniqueConstraint(
                fields=["referral"],
                condition=Q(kind="evaluation", status="booked"),
                name="care_booking_one_open_evaluation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.starts_at:%Y-%m-%d %H:%M} UTC ({self.get_status_display()})"
