from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

from liaison.directory.choices import (
    REFERRER_SOURCE_TYPES,
    Channel,
    PracticeType,
    SharedCareModel,
)
from liaison.directory.validators import display_phone, validate_npi, validate_phone

zip_validator = RegexValidator(r"^\d{5}$", "A ZIP code is five digits.")


class Taxonomy(models.Model):
    """A NUCC Health Care Provider Taxonomy code (reference data, loaded from liaison/directory/data)."""

    code = models.CharField(max_length=10, primary_key=True)
    grouping = models.CharField(max_length=200)
    classification = models.CharField(max_length=200)
    specialization = models.CharField(max_length=200, blank=True)
    display_name = models.CharField(max_length=300)

    class Meta:
        verbose_name_plural = "taxonomies"
        ordering = ["display_name"]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.code})"


class Practice(models.Model):
    """A referring practice: a solo office, a group, a health system's clinic."""

    name = models.CharField(max_length=200)
    npi = models.CharField("organisation NPI", max_length=10, blank=True, validators=[validate_npi])
    practice_type = models.CharField(max_length=20, choices=PracticeType.choices, default=PracticeType.GROUP)
    clinician_count = models.PositiveIntegerField(default=1, help_text="How many clinicians work there.")
    address = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True)
    zip_code = models.CharField(max_length=5, blank=True, validators=[zip_validator])
    phone = models.CharField(max_length=20, blank=True, validators=[validate_phone])
    fax = models.CharField(max_length=20, blank=True, validators=[validate_phone])
    shared_care_model = models.CharField(
        "agreed shared-care model",
        max_length=20,
        choices=SharedCareModel.choices,
        blank=True,
        help_text="The practice's agreement: its clinicians follow it unless they agreed their own.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["npi"], condition=~Q(npi=""), name="practice_npi_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Referrer(models.Model):
    """A clinician outside the clinic who refers patients (or might: targets start here too)."""

    npi = models.CharField("NPI", max_length=10, unique=True, validators=[validate_npi])
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    credential = models.CharField(max_length=40, blank=True, help_text="MD, DO, NP, PhD, LCSW ...")
    taxonomy = models.ForeignKey(Taxonomy, on_delete=models.PROTECT, verbose_name="specialty")
    source_type = models.CharField(max_length=20, choices=REFERRER_SOURCE_TYPES)
    practice = models.ForeignKey(Practice, null=True, blank=True, on_delete=models.PROTECT, related_name="referrers")
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=20, blank=True, validators=[validate_phone])
    fax = models.CharField(max_length=20, blank=True, validators=[validate_phone])
    preferred_channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.PORTAL)
    shared_care_model = models.CharField(
        max_length=20,
        choices=SharedCareModel.choices,
        default=SharedCareModel.CONSULTATION,
        help_text="The one field the communication protocol reads. Change it with referrer_shared_care_set.",
    )
    shared_care_own = models.BooleanField(
        "own shared-care agreement",
        default=False,
        help_text="On: agreed with this clinician. Off: follows the practice's agreement.",
    )
    shared_care_changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [
            models.Index(fields=["source_type"], name="referrer_source_type"),
            # The referrers page's order, a page at a time (crm/referrer_list.py).
            models.Index(fields=["last_name", "first_name", "id"], name="referrer_name_order"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(preferred_channel="email") | ~Q(email=""), name="referrer_email_channel_has_email"
            ),
            models.CheckConstraint(
                condition=~Q(preferred_channel="fax") | ~Q(fax=""), name="referrer_fax_channel_has_fax"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        name = f"{self.first_name} {self.last_name}"
        return f"{name}, {self.credential}" if self.credential else name

    @property
    def phone_display(self) -> str:
        return display_phone(self.phone)

    @property
    def fax_display(self) -> str:
        return display_phone(self.fax)

    def clean(self):
        from django.core.exceptions import ValidationError

        errors = {}
        if self.preferred_channel == Channel.EMAIL and not self.email:
            errors["email"] = "An email address is needed when the preferred channel is secure email."
        if self.preferred_channel == Channel.FAX and not self.fax:
            errors["fax"] = "A fax number is needed when the preferred channel is fax."
        if errors:
            raise ValidationError(errors)


class SharedCareChange(models.Model):
    """One change of a referrer's shared-care model: the protocol applies each model from its change on, so a
    change never makes a letter owed for what happened before it."""

    referrer = models.ForeignKey(Referrer, on_delete=models.CASCADE, related_name="shared_care_changes")
    previous = models.CharField(max_length=20, choices=SharedCareModel.choices)
    model = models.CharField(max_length=20, choices=SharedCareModel.choices)
    at = models.DateTimeField()
    by_label = models.CharField(max_length=150, blank=True, help_text="Who changed it, or what (the practice).")

    class Meta:
        ordering = ["referrer", "at", "id"]
        indexes = [models.Index(fields=["referrer", "at"], name="sharedcare_referrer_at")]

    def __str__(self) -> str:
        return f"{self.referrer_id}: {self.previous} → {self.model} at {self.at:%Y-%m-%d %H:%M}"
