"""Messages between the practice and the referrer about one referral (decision 0039). Imported at the end of
referrals/models.py so Django registers them.

A message is written once and never changed, except for the moment it was read (by the practice, for the
referrer's replies; by the referrer, for the practice's messages) and the moment the referrer was told of a
practice message by email. Its timeline event (EventKind.REPLY or MESSAGE) is the append-only record."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from liaison.referrals.choices import MessageDirection

MAX_MESSAGE_CHARS = 5000


class ReferralMessage(models.Model):
    """One message: the referrer's reply in the portal (with any files and history it added to the referral), or
    the practice's message to the referrer from the referral page."""

    # Indexed by message_referral_at, which begins with it.
    referral = models.ForeignKey(
        "referrals.Referral", on_delete=models.CASCADE, related_name="messages", db_index=False
    )
    direction = models.CharField(max_length=15, choices=MessageDirection.choices)
    at = models.DateTimeField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    author_label = models.CharField(max_length=150)
    body = models.TextField(blank=True)
    added = models.JSONField(
        default=list, blank=True, help_text="What a reply added to the referral, in words, one line each."
    )
    read_at = models.DateTimeField(null=True, blank=True)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    notified_at = models.DateTimeField(null=True, blank=True, help_text="When the referrer was told by email.")

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["referral", "at", "id"], name="message_referral_at")]
        constraints = [
            models.CheckConstraint(condition=Q(direction__in=MessageDirection.values), name="message_direction_known"),
            models.CheckConstraint(
                condition=Q(read_at__isnull=True, read_by__isnull=True) | Q(read_at__isnull=False),
                name="message_read_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} on {self.referral_id} at {self.at:%Y-%m-%d %H:%M}"

    @property
    def from_referrer(self) -> bool:
        return self.direction == MessageDirection.FROM_REFERRER
