"""Notices outside the app (decision 0041): what each person chose to receive, and every message waiting to be
sent, sent or failed. A Notice is written in the same transaction as what it tells of (an alert, an urgent
referral, a link to send), and the worker sends it (send.py): the outbox pattern of comms (decision 0008)."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from liaison.notify.choices import Channel, NoticeKind, NoticeStatus, SendPhase


class Preference(models.Model):
    """What one person receives by email. With no row, everything is on. A safety alert always goes: its column
    exists only so that the database itself refuses to switch it off."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notify_preference")
    safety_alert = models.BooleanField("safety alerts", default=True, editable=False)
    urgent_referral = models.BooleanField("urgent referrals", default=True)
    referrer_message = models.BooleanField("messages from referrers", default=True)
    letter_due_soon = models.BooleanField("letters about to go overdue", default=True)
    digest = models.BooleanField("the daily digest", default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(safety_alert=True), name="notify_safety_alerts_always_on")]

    def __str__(self) -> str:
        return f"Notification choices of {self.user}"


class Notice(models.Model):
    """One message to send outside the app, and what became of it. To staff it says what needs them and links to
    the record, never naming the patient; to a patient it carries their questionnaire link, whose token is kept
    encrypted (`secret`) only until no message needs it."""

    kind = models.CharField(max_length=30, choices=NoticeKind.choices)
    key = models.CharField(
        max_length=80, help_text="What it is about, once per person, e.g. alert:12, digest:2026-11-30"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    referral = models.ForeignKey(
        "referrals.Referral", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    link = models.ForeignKey(
        "care.QuestionnaireLink", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    address = models.CharField(max_length=254, blank=True)
    path = models.CharField(max_length=200, blank=True, help_text="The page the message links to.")
    payload = models.JSONField(default=dict, blank=True, help_text="A digest's counts.")
    secret = models.TextField(
        blank=True, help_text="The questionnaire link's token, encrypted, while a message needs it."
    )
    status = models.CharField(max_length=10, choices=NoticeStatus.choices, default=NoticeStatus.QUEUED)
    phase = models.CharField(max_length=10, choices=SendPhase.choices, default=SendPhase.NONE, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    leased_by = models.CharField(max_length=100, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    confirmed = models.BooleanField(default=True, help_text="False: the worker stopped after handing it over.")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["next_attempt_at", "id"], condition=Q(status="queued"), name="notice_due"),
            models.Index(fields=["referral", "kind"], name="notice_referral_kind"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "key"], condition=Q(recipient__isnull=False), name="notice_once_per_person"
            ),
            models.UniqueConstraint(fields=["key"], condition=Q(recipient__isnull=True), name="notice_once_to_patient"),
            models.CheckConstraint(condition=Q(status__in=NoticeStatus.values), name="notice_status_known"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.key}): {self.get_status_display().lower()}"

    @property
    def message_id(self) -> str:
        return f"<notice-{self.pk}@liaison>"
