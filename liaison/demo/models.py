"""What the demo keeps besides the made-up network: the mail its catcher received (liaison.demo.mailcatcher)."""

from django.db import models


class CaughtMail(models.Model):
    """One message the demo's mail catcher received instead of the outside world: a letter by email, or by the
    email-to-fax gateway. Kept whole (`raw`, as it came over SMTP) so the Sent mail page can show every part."""

    received_at = models.DateTimeField(db_index=True)
    sender = models.CharField(max_length=300)
    recipients = models.CharField(max_length=1000, help_text="The envelope's recipients, comma-separated.")
    subject = models.CharField(max_length=300, blank=True)
    message_id = models.CharField(max_length=300, blank=True)
    raw = models.BinaryField()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = "caught mail"
        verbose_name_plural = "caught mail"

    def __str__(self) -> str:
        return f"{self.subject} → {self.recipients}"
