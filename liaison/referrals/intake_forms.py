"""The public forms: a referring clinician's referral (no account needed) and a patient's
self-referral. They read and type what was typed; the rules live in the services."""

from django import forms

from liaison.core.forms import Form, ModelForm
from liaison.directory.validators import validate_npi
from liaison.referrals.choices import StopReason, TrialResponse
from liaison.referrals.forms import (
    CONFIRM_UNUSUAL,
    DATE_INPUT,
    DiagnosisForm,
    PatientForm,
    StaffReferralForm,
    phq9_clean,
)
from liaison.referrals.intake import MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS
from liaison.referrals.intake_services import SPECIALTY_CHOICES
from liaison.referrals.models import MedicationTrial

ADEQUATE_HELP = (
    "An adequate trial is an antidepressant taken at a full therapeutic dose (for example sertraline 50 mg "
    "or more, escitalopram 10 mg or more, venlafaxine 150 mg or more) for at least 6 weeks at that dose. "
    "Give the highest daily dose and the weeks at that dose; if you are not sure, leave it blank rather than guess."
)


class ReferrerDetailsForm(Form):
    """Who is referring. A returning, signed-in referrer does not see this form."""

    npi = forms.CharField(label="Your NPI", max_length=10, validators=[validate_npi], help_text="10 digits.")
    first_name = forms.CharField(label="Your first name", max_length=100)
    last_name = forms.CharField(label="Your last name", max_length=100)
    credential = forms.CharField(label="Credential", max_length=40, required=False, help_text="MD, DO, NP …")
    specialty = forms.ChoiceField(label="You are a", choices=SPECIALTY_CHOICES)
    email = forms.EmailField(label="Your email", help_text="Where we confirm the referral and send updates.")
    phone = forms.CharField(label="Your phone", max_length=20, required=False)


class PublicPatientForm(PatientForm):
    class Meta(PatientForm.Meta):
        fields = ["first_name", "last_name", "date_of_birth", "phone", "email"]
        widgets = {"date_of_birth": DATE_INPUT}


class ClinicianReferralForm(StaffReferralForm):
    """The referral itself, as a referring clinician fills it in."""

    DROP = ("channel", "self_referral", "referrer", "prescriber_name")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.DROP:
            self.fields.pop(name)
        self.fields["reason"].label = "What would you like us to help with?"
        self.fields["current_medications"].help_text = "What the patient takes now, with doses."

    def clean(self):
        data = forms.ModelForm.clean(self)
        phq9_clean(self, data)
        return data

    def referral_data(self) -> dict:
        data = {name: self.cleaned_data.get(name) for name in self.Meta.fields if name in self.fields}
        data["phq9_items"] = self.cleaned_data.get("phq9_items")
        data["phq9_item9"] = self.cleaned_data.get("phq9_item9")
        data[CONFIRM_UNUSUAL] = self.cleaned_data.get(CONFIRM_UNUSUAL)
        return {k: ("" if v is None and k in TEXT_FIELDS else v) for k, v in data.items()}


TEXT_FIELDS = {
    "reason",
    "current_medications",
    "psychotherapy_type",
    "safety_other",
    "coordination_name",
    "coordination_phone",
    "coordination_email",
    "prescriber_name",
}


class IntakeDiagnosisForm(DiagnosisForm):
    class Meta(DiagnosisForm.Meta):
        labels = {"description": "Description (optional)"}


class IntakeTrialForm(ModelForm):
    earlier_episode = forms.BooleanField(label="Earlier episode", required=False)

    class Meta:
        model = MedicationTrial
        fields = ["drug", "daily_dose_mg", "weeks_at_dose", "response", "reason_stopped", "is_augmentation"]
        labels = {"daily_dose_mg": "Highest daily dose (mg)", "reason_stopped": "Stopped because"}
        widgets = {
            "drug": forms.TextInput(attrs={"placeholder": "sertraline", "size": 14}),
            "daily_dose_mg": forms.NumberInput(attrs={"step": "any", "min": "0", "class": "narrow"}),
            "weeks_at_dose": forms.NumberInput(attrs={"min": "0", "class": "narrow"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["response"].initial = TrialResponse.NONE
        self.fields["reason_stopped"].initial = StopReason.INEFFICACY

    def has_changed(self):
        # A row is filled in when a drug is named; the preset choices alone are not a trial.
        return bool(self.data.get(self.add_prefix("drug"), "").strip()) if self.is_bound else False

    def trial_data(self) -> dict:
        data = {k: v for k, v in self.cleaned_data.items() if k != "earlier_episode"}
        data["in_current_episode"] = not self.cleaned_data.get("earlier_episode")
        return data


IntakeDiagnosisFormSet = forms.formset_factory(IntakeDiagnosisForm, extra=1, max_num=10, absolute_max=10)
IntakeTrialFormSet = forms.formset_factory(IntakeTrialForm, extra=2, max_num=20, absolute_max=20)


def trial_forms(formset) -> list:
    """The trial rows a referrer changed from blank, in order (what trial_rows sends)."""
    return [f for f in formset.forms if f.has_changed() and f.cleaned_data]


def trial_rows(formset) -> list[dict]:
    return [f.trial_data() for f in trial_forms(formset)]


def diagnosis_forms(formset) -> list:
    return [f for f in formset.forms if f.cleaned_data]


def diagnosis_rows(formset) -> list[dict]:
    return [f.cleaned_data for f in diagnosis_forms(formset)]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern)."""

    def clean(self, data, initial=None):
        one = super().clean
        if isinstance(data, list | tuple):
            return [one(d, initial) for d in data if d]
        return [one(data, initial)] if data else []


class AttachmentsForm(Form):
    files = MultipleFileField(
        label="Attachments (PDF, optional)",
        required=False,
        widget=MultipleFileInput(attrs={"accept": "application/pdf,.pdf"}),
        help_text=f"Notes, letters or rating scales: up to {MAX_ATTACHMENTS} PDF files, "
        f"{MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB each.",
    )

    def clean_files(self):
        files = self.cleaned_data.get("files") or []
        if len(files) > MAX_ATTACHMENTS:
            raise forms.ValidationError(f"At most {MAX_ATTACHMENTS} attachments, please.")
        for f in files:
            if f.size > MAX_ATTACHMENT_BYTES:
                raise forms.ValidationError(f"“{f.name}” is larger than 10 MB; please attach a smaller PDF.")
        return files

    def attachment_data(self) -> list[dict]:
        return [{"filename": f.name, "content": f.read()} for f in self.cleaned_data.get("files") or []]


class SelfReferralForm(Form):
    """The lighter form a patient fills in about themselves."""

    reason = forms.CharField(
        label="What has been going on, and what are you hoping for?", widget=forms.Textarea(attrs={"rows": 3})
    )
    medicines_tried = forms.CharField(
        label="Medicines you have tried for depression",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Names and, if you know them, doses and how long you took them.",
    )
    current_medications = forms.CharField(label="Medicines you take now", required=False, max_length=2000)
    prescriber_name = forms.CharField(
        label="Who prescribes your medicines?",
        max_length=200,
        help_text="Their name and practice, so we can work with them. Write “nobody” if you have no prescriber.",
    )
    suicidal_ideation_current = forms.BooleanField(
        label="I am having thoughts of ending my life or of hurting myself", required=False
    )
    recent_attempt = forms.BooleanField(label="I have tried to end my life in the past year", required=False)
    pregnancy = forms.BooleanField(label="I am pregnant or planning a pregnancy", required=False)
    psychosis_or_mania_history = forms.BooleanField(label="I have had mania or psychosis", required=False)
    uncontrolled_hypertension = forms.BooleanField(
        label="I have high blood pressure that is not controlled", required=False
    )

    def referral_data(self) -> dict:
        data = self.cleaned_data
        reason = data["reason"]
        if data.get("medicines_tried"):
            reason += f"\n\nMedicines tried (in the patient's words): {data['medicines_tried']}"
        return {
            "reason": reason,
            "current_medications": data.get("current_medications") or "",
            "prescriber_name": data["prescriber_name"],
            "suicidal_ideation_current": data["suicidal_ideation_current"],
            "suicide_attempt_history": "recent" if data["recent_attempt"] else "none",
            "pregnancy": data["pregnancy"],
            "psychosis_or_mania_history": data["psychosis_or_mania_history"],
            "uncontrolled_hypertension": data["uncontrolled_hypertension"],
        }
