from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from liaison.comms.choices import (
    DeadlineKind,
    DeliveryChannel,
    DueStatus,
    LetterStatus,
    LetterType,
    OutboxStatus,
    OwnerRole,
    SendPhase,
    Trigger,
)
from liaison.comms.predicates import ACTIVE_DUE, DELIVERED_ACK, PENDING_DUE, PROBLEM_DUE
from liaison.directory.choices import SharedCareModel

MAX_EVERY_N_SESSIONS = 20

# The safety letter's effect, as seeded (decision 0018, 0021): only its wording (the recipient line) is the
# practice's. Every other field holds this value; the admin, the service, clean() and a constraint keep it so.
SAFETY_RULE_EFFECT = {
    "letter_type": LetterType.SAFETY_ALERT,
    "owner_role": OwnerRole.CLINICIAN,
    "deadline_kind": DeadlineKind.IMMEDIATE,
    "deadline_hours": 0,
    "every_n_sessions": None,
    "business_hours": False,
    "active": True,
}
SAFETY_RULE_LOCKED = ("trigger", "shared_care_model", *SAFETY_RULE_EFFECT)


SAFETY_RULE_FIXED = "The safety letter to the referrer keeps this setting: only its wording can be changed."


class ProtocolRule(models.Model):
    """One line of the communication protocol for one shared-care model: when a letter is owed,
    which letter, who drafts it and by when. Seeded from PRODUCT §3; an administrator edits it."""

    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    shared_care_model = models.CharField(max_length=20, choices=SharedCareModel.choices)
    letter_type = models.CharField(max_length=30, choices=LetterType.choices)
    recipient = models.CharField(max_length=100, default="Referring clinician")
    owner_role = models.CharField(max_length=20, choices=OwnerRole.choices, default=OwnerRole.COORDINATOR)
    deadline_kind = models.CharField(max_length=10, choices=DeadlineKind.choices, default=DeadlineKind.HOURS)
    deadline_hours = models.PositiveIntegerField(default=24, help_text="Hours after the trigger (for 'hours').")
    every_n_sessions = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_EVERY_N_SESSIONS)],
        help_text=f"For acute-session updates: one letter after every N sessions (a whole number, 1 to "
        f"{MAX_EVERY_N_SESSIONS}).",
    )
    business_hours = models.BooleanField(
        default=False, help_text="Count the deadline in the practice's business hours (weekdays, not holidays)."
    )
    active = models.BooleanField(default=True, help_text="Off: this letter is not owed under this model.")

    class Meta:
        ordering = ["shared_care_model", "id"]
        constraints = [
            models.UniqueConstraint(fields=["trigger", "shared_care_model"], name="protocol_rule_unique"),
            models.CheckConstraint(  # NULL would pass a bare ">= 1": say "not null" too
                condition=~Q(trigger="acute_sessions") | Q(every_n_sessions__isnull=False, every_n_sessions__gte=1),
                name="protocol_rule_sessions_need_n",
            ),
            # The safety letter to the referrer keeps its seeded effect (decisions 0018, 0021): only its words change.
            models.CheckConstraint(
                condition=~Q(trigger="safety")
                | Q(
                    letter_type="safety_alert",
                    owner_role="clinician",
                    deadline_kind="immediate",
                    deadline_hours=0,
                    every_n_sessions__isnull=True,
                    business_hours=False,
                    active=True,
                ),
                name="protocol_rule_safety_fixed",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_shared_care_model_display()}: {self.get_trigger_display()} → {self.get_letter_type_display()}"
        )

    def clean(self):
        if self.trigger == "acute_sessions" and not self.every_n_sessions:
            raise ValidationError({"every_n_sessions": "Say after how many sessions each treatment update is owed."})
        if self.trigger == "safety":
            wrong = {f for f, v in SAFETY_RULE_EFFECT.items() if getattr(self, f) != v}
            if wrong:
                raise ValidationError({f: SAFETY_RULE_FIXED for f in sorted(wrong)})

    @property
    def is_safety(self) -> bool:
        return self.trigger == "safety"


class CommsSettings(models.Model):
    """The practice's delivery settings (one row): the email-to-fax gateway and the escalation delay."""

    fax_gateway_domain = models.CharField(
        max_length=200,
        blank=True,
        help_text="A fax goes as email to <digits>@this domain (e.g. fax.example.org). Empty: no fax.",
    )
    from_email = models.EmailField(blank=True, help_text="Sender address; empty uses DEFAULT_FROM_EMAIL.")
    escalate_after_hours = models.PositiveIntegerField(
        default=0, help_text="Escalate an overdue letter to the owner's lead this many hours after its due time."
    )

    class Meta:
        verbose_name = "communication settings"
        verbose_name_plural = "communication settings"

    def __str__(self) -> str:
        return "Communication settings"

    @classmethod
    def current(cls) -> "CommsSettings":
        return cls.objects.order_by("pk").first() or cls()


class Holiday(models.Model):
    """A day the practice is closed: business-hour deadlines skip it."""

    date = models.DateField(unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class HolidayYear(models.Model):
    """A year whose public holidays were loaded (by the first migrate, the sweep or load_holidays): the sweep
    loads a year once, so a holiday the practice removed stays removed."""

    year = models.PositiveSmallIntegerField(unique=True)
    state = models.CharField(max_length=2, blank=True)
    loaded_at = models.DateTimeField()

    class Meta:
        ordering = ["year"]

    def __str__(self) -> str:
        return f"{self.year} {self.state}".strip()


class DueCommunication(models.Model):
    """A letter owed to a referrer: derived from the referral's state and history by
    services.communications_recompute, one row per (referral, key)."""

    referral = models.ForeignKey("referrals.Referral", on_delete=models.CASCADE, related_name="due_communications")
    key = models.CharField(max_length=60, help_text="What made it owed, e.g. ack, update:6, month:2, alert:12.")
    rule = models.ForeignKey(ProtocolRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    letter_type = models.CharField(max_length=30, choices=LetterType.choices)
    status = models.CharField(max_length=10, choices=DueStatus.choices, default=DueStatus.OWED)
    triggered_at = models.DateTimeField()
    due_at = models.DateTimeField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner_role = models.CharField(max_length=20, choices=OwnerRole.choices)
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    problem = models.CharField(max_length=300, blank=True, help_text="Why this cannot go out as it is.")
    reason = models.CharField(
        max_length=200, blank=True, help_text="The rule that made it owed, e.g. 'collaborative: every 2 sessions'."
    )
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["referral", "due_at"], name="due_referral_due_at"),
            models.Index(fields=["due_at"], name="due_due_at"),  # the on-time figures' window
            # The work queue walks only letters still to send, however long the history of delivered ones. Its
            # queries write these predicates with constants (predicates.Inlined), so generic plans use them too.
            models.Index(fields=["due_at", "id"], condition=ACTIVE_DUE, name="due_active_due_at"),
            # The queue's sections and counts (escalated_at included: the counts read the index alone). A full
            # (status, due_at) index made PostgreSQL sort every letter due this week for a page of 25: its
            # statistics cannot know that all the future letters are the pending ones (decision 0026).
            models.Index(
                fields=["due_at", "id"], include=["escalated_at"], condition=PENDING_DUE, name="due_pending_due_at"
            ),
            models.Index(fields=["due_at", "id"], condition=PROBLEM_DUE, name="due_active_problem"),
            models.Index(fields=["escalated_to", "due_at", "id"], condition=PENDING_DUE, name="due_pending_escalated"),
            # The letters-on-time medians: the window's delivered acknowledgments from the index alone (0033).
            models.Index(
                fields=["due_at"],
                include=["triggered_at", "delivered_at", "referral"],
                condition=DELIVERED_ACK,
                name="due_delivered_ack",
            ),
        ]
        constraints = [models.UniqueConstraint(fields=["referral", "key"], name="due_referral_key_unique")]

    def __str__(self) -> str:
        return f"{self.referral_id} {self.key} due {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def is_pending(self) -> bool:
        return self.status in (DueStatus.OWED, DueStatus.DRAFTED)


class Letter(models.Model):
    """One letter to a referrer: drafted from the record, edited, then signed. Once signed it is
    frozen (the service refuses, and a database trigger refuses changes to its words)."""

    due = models.OneToOneField(DueCommunication, on_delete=models.PROTECT, related_name="letter")
    referral = models.ForeignKey("referrals.Referral", on_delete=models.PROTECT, related_name="letters")
    letter_type = models.CharField(max_length=30, choices=LetterType.choices)
    status = models.CharField(max_length=10, choices=LetterStatus.choices, default=LetterStatus.DRAFT)
    subject = models.CharField(max_length=200)
    body = models.TextField()
    facts = models.JSONField(default=dict, blank=True, help_text="The record's values as drafted (scores, dates).")
    drafted_at = models.DateTimeField()
    drafted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signature = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | (Q(signed_at__isnull=False) & Q(signed_by__isnull=False)),
                name="letter_signed_has_signer",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_letter_type_display()} for {self.referral_id}"

    @property
    def is_frozen(self) -> bool:
        return self.status == LetterStatus.SIGNED


class Outbox(models.Model):
    """One delivery of one signed letter. Written in the transaction that approves the letter;
    a worker claims it with a conditional update and a lease (see docs/decisions)."""

    letter = models.OneToOneField(Letter, on_delete=models.PROTECT, related_name="outbox")
    channel = models.CharField(max_length=10, choices=DeliveryChannel.choices)
    address = models.CharField(max_length=254, blank=True)
    message_id = models.CharField(max_length=200, unique=True, help_text="Idempotency key, the same on every try.")
    status = models.CharField(max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.QUEUED)
    phase = models.CharField(max_length=10, choices=SendPhase.choices, blank=True, default=SendPhase.NONE)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    leased_by = models.CharField(max_length=100, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    confirmed = models.BooleanField(default=True, help_text="Off: the server had the whole message; no reply seen.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "outbox"
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_status_next"),
            models.Index(fields=["status", "lease_until"], name="outbox_status_lease"),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} {self.status}"


class LetterDay(models.Model):
    """The letters-on-time page's figures, stored (decision 0033): letters due on one day (UTC) on one referrer's
    referrals (0: self-referrals) — how many are owed (not cancelled), delivered, and delivered by their due time.
    Kept current by liaison.comms.letter_days in the transaction that changes a letter; rebuilt nightly."""

    day = models.DateField()
    referrer_pk = models.PositiveIntegerField(help_text="The referral's referrer; 0 for self-referrals.")
    # Plain integers: a change is added to what is stored, and a store that a bulk load left behind must not
    # make the letter's own transaction fail (the nightly rebuild puts it right).
    owed = models.IntegerField(default=0)
    delivered = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "referrer_pk"], name="letter_day_unique")]
        # The page reads a range of days from this index alone (the counts are in it; PostgreSQL only: a unique
        # constraint with INCLUDE is not made at all on SQLite, so the constraint above stays plain).
        indexes = [
            models.Index(
                fields=["day", "referrer_pk"], include=["owed", "delivered", "on_time"], name="letter_day_covering"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} referrer {self.referrer_pk}: {self.on_time}/{self.owed}"


class SlaSnapshot(models.Model):
    """The letters-on-time page's figures for one window, worked out ahead (decision 0033, the snapshot): the
    practice's row and the top referrers' rows as liaison.comms.sla.sla_figures gives them at `computed_at`.
    Written by liaison.comms.sla_snapshot every 10 minutes; the page reads the newest for its window."""

    days = models.PositiveSmallIntegerField()
    computed_at = models.DateTimeField()
    practice = models.JSONField()
    referrers = models.JSONField()

    class Meta:
        indexes = [models.Index(fields=["days", "-computed_at"], name="sla_snapshot_newest")]

    def __str__(self) -> str:
        return f"{self.days} days as of {self.computed_at:%Y-%m-%d %H:%M}"
