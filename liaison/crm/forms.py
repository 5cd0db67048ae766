from django import forms
from django.core.cache import cache
from django.utils import timezone

from liaison.accounts.models import User
from liaison.core.forms import Form, ModelForm
from liaison.crm.choices import HAND_KINDS, LOGGABLE_KINDS, ConcernTag, MeetingKind, Outcome, Stage, Strategy, TaskKind
from liaison.crm.meetings import AGENDA_FIELDS
from liaison.crm.models import OutreachTemplate, Relationship
from liaison.crm.queries import CRM_WRITERS, TargetFilters
from liaison.directory.choices import PracticeType, SharedCareModel, SourceType
from liaison.directory.models import Referrer, Taxonomy

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")

SORT_CHOICES = [
    ("distance", "Nearest first"),
    ("referrals", "Most referrals first"),
    ("health", "Healthiest first"),
    ("size", "Largest practice first"),
    ("name", "By name"),
]
HISTORY_CHOICES = [
    ("", "Any referral history"),
    ("none", "Never referred"),
    ("referring", "Has referred"),
    ("at_risk", "Cooling or dormant"),
]


def liaisons():
    return User.objects.filter(role__in=CRM_WRITERS, is_active=True).order_by("first_name", "last_name")


def specialties_in_use() -> list[tuple[str, str]]:
    """The specialties of the referrers in the directory (kept for five minutes: it changes rarely)."""

    def load():
        used = Referrer.objects.order_by().values("taxonomy_id").distinct()
        return list(Taxonomy.objects.filter(code__in=used).order_by("display_name").values_list("code", "display_name"))

    return cache.get_or_set("crm:specialties", load, timeout=300)


class TargetFilterForm(Form):
    kind = forms.ChoiceField(choices=[("referrers", "Clinicians"), ("practices", "Practices")], required=False)
    specialty = forms.ChoiceField(required=False)
    source_type = forms.ChoiceField(choices=[("", "Any source"), *SourceType.choices], required=False, label="Source")
    practice_type = forms.ChoiceField(choices=[("", "Any type"), *PracticeType.choices], required=False)
    min_size = forms.IntegerField(required=False, min_value=1, label="At least (clinicians)")
    max_size = forms.IntegerField(required=False, min_value=1, label="At most (clinicians)")
    within_miles = forms.FloatField(required=False, min_value=0, max_value=3000, label="Within (miles)")
    stage = forms.ChoiceField(choices=[("", "Any stage"), *Stage.choices], required=False)
    history = forms.ChoiceField(choices=HISTORY_CHOICES, required=False, label="Referral history")
    min_referrals = forms.IntegerField(required=False, min_value=1, label="At least (referrals)")
    owner = forms.ChoiceField(
        choices=[("", "Anyone's"), ("me", "Mine"), ("nobody", "Nobody's yet")], required=False, label="Owner"
    )
    sort = forms.ChoiceField(choices=SORT_CHOICES, required=False, label="Rank")
    after = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["specialty"].choices = [("", "Any specialty"), *specialties_in_use()]

    def clean(self):
        data = super().clean()
        if data.get("min_size") and data.get("max_size") and data["min_size"] > data["max_size"]:
            self.add_error("max_size", "The largest size is smaller than the smallest.")
        return data

    def filters(self) -> TargetFilters:
        data = self.cleaned_data if self.is_valid() else {}
        keys = TargetFilters.__dataclass_fields__
        values = {k: v for k, v in data.items() if k in keys and v not in (None, "")}
        return TargetFilters(**values)


class SaveListForm(Form):
    name = forms.CharField(max_length=100, label="Name of the list")


class ImportForm(Form):
    file = forms.FileField(label="CSV file", help_text="Our columns or an NPPES extract; up to 5 MB.")


class RelationshipForm(ModelForm):
    stage = forms.ChoiceField(choices=Stage.choices)
    # Kept on the directory record (the one field the communication protocol reads), not on the relationship.
    shared_care_model = forms.ChoiceField(
        choices=[("", "Not agreed yet"), *SharedCareModel.choices],
        required=False,
        label="Agreed shared-care model",
        help_text="Sets which letters this referrer gets, and how often, from now on. A clinician with none of "
        "their own follows their practice's agreement (consultation if there is none).",
    )

    class Meta:
        model = Relationship
        fields = [
            "owner", "introduction", "introduced_by", "shared_care_model", "contact_name", "contact_role",
            "contact_email", "contact_phone", "enthusiasm", "is_opinion_leader", "notes",
        ]  # fmt: skip
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = liaisons()
        self.fields["shared_care_model"].initial = agreed_model(self.instance)
        self.fields["enthusiasm"].widget = forms.Select(
            choices=[("", "Not rated"), *((n, f"{n} of 5") for n in range(1, 6))]
        )


def agreed_model(relationship: Relationship) -> str:
    """The agreement recorded with this referrer ("" when they follow their practice's) or this practice."""
    if relationship.referrer_id:
        referrer = relationship.referrer
        return referrer.shared_care_model if referrer.shared_care_own else ""
    return relationship.practice.shared_care_model if relationship.practice_id else ""


class InteractionForm(Form):
    kind = forms.ChoiceField(choices=LOGGABLE_KINDS, label="What")
    strategy = forms.ChoiceField(choices=[("", "—"), *Strategy.choices], required=False)
    outcome = forms.ChoiceField(choices=Outcome.choices, required=False)
    at = forms.DateTimeField(widget=DATETIME, label="When", initial=lambda: timezone.localtime().replace(second=0))
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000)


class ConcernForm(Form):
    tag = forms.ChoiceField(choices=ConcernTag.choices, label="Concern")
    note = forms.CharField(required=False, max_length=2000)


class MeetingForm(Form):
    kind = forms.ChoiceField(choices=MeetingKind.choices)
    starts_at = forms.DateTimeField(widget=DATETIME, label="Starts")
    ends_at = forms.DateTimeField(widget=DATETIME, label="Ends")
    place = forms.CharField(required=False, max_length=200)

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", "The meeting must end after it starts.")
        return data


class MeetingNotesForm(Form):
    opening_notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Opening")
    listening_notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Listening",
        help_text="How they care for treatment-resistant patients today; what they worry about.",
    )  # fmt: skip
    presentation_notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Presentation")
    discussion_notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False, label="Discussion")
    closing_notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False, label="Closing")
    next_step = forms.CharField(required=False, max_length=300, label="Agreed next step")
    concerns = forms.MultipleChoiceField(
        choices=ConcernTag.choices, required=False, widget=forms.CheckboxSelectMultiple, label="Concerns raised"
    )
    concern_note = forms.CharField(required=False, max_length=2000, label="Notes on the concerns")
    held = forms.BooleanField(required=False, initial=True, label="The meeting took place")

    def notes(self) -> dict:
        return {name: self.cleaned_data[name] for name in AGENDA_FIELDS}


class TaskForm(Form):
    kind = forms.ChoiceField(choices=HAND_KINDS, initial=TaskKind.OTHER)
    title = forms.CharField(max_length=200, label="What is to be done")
    due_at = forms.DateTimeField(widget=DATETIME, label="Due")
    owner = forms.ModelChoiceField(queryset=User.objects.none(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = liaisons()


class DraftForm(Form):
    template = forms.ModelChoiceField(queryset=OutreachTemplate.objects.filter(is_active=True), empty_label=None)
