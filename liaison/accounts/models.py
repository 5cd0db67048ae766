from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

from liaison.accounts.choices import CLINICAL_STAFF_ROLES, OUTSIDE_ROLES, STAFF_ROLES, Role


class User(AbstractUser):
    """A person who signs in: clinic staff in one of five roles, or a referring clinician
    (tied to their directory record) or a referring practice's administrator (tied to the practice)."""

    role = models.CharField(max_length=20, choices=Role.choices)
    referrer = models.ForeignKey(
        "directory.Referrer", null=True, blank=True, on_delete=models.PROTECT, related_name="accounts"
    )
    practice = models.ForeignKey(
        "directory.Practice", null=True, blank=True, on_delete=models.PROTECT, related_name="admin_accounts"
    )
    lead = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="team",
        help_text="Who overdue work is escalated to.",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="referrer") | Q(referrer__isnull=False),
                name="user_referrer_role_has_referrer",
            ),
            models.CheckConstraint(
                condition=~Q(role="referrer_admin") | Q(practice__isnull=False),
                name="user_referrer_admin_has_practice",
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_clinic_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def sees_all_referrals(self) -> bool:
        return self.role in CLINICAL_STAFF_ROLES

    @property
    def is_outside(self) -> bool:
        return self.role in OUTSIDE_ROLES

    @property
    def home_page(self) -> str:
        """The URL name of the page this person lands on after signing in (the site's root sends them there)."""
        if self.role == Role.LIAISON:
            return "crm:tasks"
        if self.role == Role.ADMIN:
            return "core:audit"
        return "intake:portal" if self.is_outside else "referrals:inbox"


class ApiToken(models.Model):
    """A bearer token for an EHR integration. It acts as its user (a referring clinician or a
    referring practice's administrator), so it sees exactly what that user sees. Only a hash is kept."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="Which system uses it, e.g. “Riverside EHR”.")
    prefix = models.CharField(max_length=8, help_text="The first characters, to recognise it by.")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
