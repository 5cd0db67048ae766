"""Forms read and type what a person typed; the rules live in services.referral_receive,
whose field-by-field errors are put back on these forms."""

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy

from liaison.core import phq9
from liaison.core.forms import Form, ModelForm
from liaison.directory.models import Referrer
from liaison.referrals import icd10, plausibility
from liaison.referrals.choices import IntakeChannel, Status
from liaison.referrals.models import PHQ9_ITEM_COUNT, Diagnosis, MedicationTrial, Patient, Referral

DATE_INPUT = forms.DateInput(attrs={"type": "date"})
CONFIRM_UNUSUAL = plausibility.CONFIRM  # ticked to send doses or weeks that are unusual but right
PHQ9_CHOICES = [("", "—"), *[(v, f"{v} · {text}") for v, text in phq9.ANSWERS]]


class PatientForm(ModelForm):
    class Meta:
        model = Patient
        fields = ["first_name", "last_name", "date_of_birth", "sex", "phone", "email", "zip_code"]
        widgets = {"date_of_birth": DATE_INPUT}


class ReferrerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.last_name}, {obj.first_name} {obj.credential} — NPI {obj.npi}".strip()


class StaffReferralForm(ModelForm):
    """A referral taken by phone or fax. The referrer is chosen from the directory, or the
    referral is marked as the patient's own."""

    channel = forms.ChoiceField(
        label="Received by",
        choices=[(IntakeChannel.PHONE, "Phone"), (IntakeChannel.FAX, "Fax")],
        widget=forms.RadioSelect,
        initial=IntakeChannel.PHONE,
    )
    self_referral = forms.BooleanField(
        label="The patient is referring themselves",
        required=False,
        help_text="Then name the patient's current prescriber below so they can be brought in.",
    )
    # Picked from the matches of a search by name or NPI (referrer_picker), never from a list of every referrer.
    referrer = ReferrerChoiceField(
        queryset=Referrer.objects.all(), required=False, label="Referring clinician", widget=forms.HiddenInput
    )

    class Meta:
        model = Referral
        fields = [
            "referrer",
            "urgency",
            "reason",
            "episode_months",
            "prior_episodes",
            "current_medications",
            "psychotherapy_type",
            "psychotherapy_months",
            "psychotherapy_ongoing",
            "suicidal_ideation_current",
            "suicide_attempt_history",
            "substance_use",
            "psychosis_or_mania_history",
            "uncontrolled_hypertension",
            "cardiac_disease",
            "aneurysmal_vascular_disease",
            "intracerebral_haemorrhage",
            "pregnancy",
            "seizures",
            "safety_other",
            "phq9_total",
            "phq9_date",
            "coordination_name",
            "coordination_phone",
            "coordination_email",
            "prescriber_name",
        ]
        widgets = {
            "phq9_date": DATE_INPUT,
            "reason": forms.Textarea(attrs={"rows": 3}),
            "current_medications": forms.Textarea(attrs={"rows": 2}),
            "safety_other": forms.Textarea(attrs={"rows": 2}),
            "psychotherapy_ongoing": forms.NullBooleanSelect,
        }

    def __init__(self, *args, new_referrer: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.new_referrer = new_referrer  # the staff form's "new referrer" block is filled in (referrer_picker)
        for i in range(1, PHQ9_ITEM_COUNT + 1):
            self.fields[f"phq9_item_{i}"] = forms.TypedChoiceField(
                label=phq9.question(i), choices=PHQ9_CHOICES, coerce=int, empty_value=None, required=False
            )
            self.fields[f"phq9_item_{i}"].error_messages["invalid_choice"] = f"Item {i}: answer 0, 1, 2 or 3."
        self.fields["phq9_item9"] = phq9_item9_field()
        self.fields[CONFIRM_UNUSUAL] = forms.BooleanField(label="These unusual figures are right", required=False)

    def _post_clean(self):
        # The model's cross-field rules run in the service, with the whole referral in hand.
        pass

    def clean(self):
        data = super().clean()
        phq9_clean(self, data)
        if data.get("self_referral") and (data.get("referrer") or self.new_referrer):
            self.add_error("referrer", "A self-referral has no referring clinician; clear one of the two.")
        elif self.new_referrer and data.get("referrer"):
            self.add_error("referrer", "Pick a clinician from the directory or add a new one, not both.")
        elif not data.get("self_referral") and not data.get("referrer") and not self.new_referrer:
            self.add_error("referrer", "Choose the referring clinician, or mark the referral as the patient's own.")
        return data

    def referral_data(self) -> dict:
        data = {name: self.cleaned_data.get(name) for name in self.Meta.fields}
        data["phq9_items"] = self.cleaned_data.get("phq9_items")
        data["phq9_item9"] = self.cleaned_data.get("phq9_item9")
        data[CONFIRM_UNUSUAL] = self.cleaned_data.get(CONFIRM_UNUSUAL)
        if self.cleaned_data.get("self_referral"):
            data["source_type"] = "self"
            data["referrer"] = None
        return data

    def phq9_fields(self):
        return [self[f"phq9_item_{i}"] for i in range(1, PHQ9_ITEM_COUNT + 1)]


NOT_ASKED = "not_asked"
ITEM9_CHOICES = [*PHQ9_CHOICES, (NOT_ASKED, "Not asked")]


def _item9(value):
    return value if value == NOT_ASKED else int(value)


def phq9_item9_field() -> forms.Field:
    """Item 9 asked on its own, for a PHQ-9 known by its total: 0–3, or "not asked" (kept as a visible gap)."""
    field = forms.TypedChoiceField(
        label="Item 9 (thoughts of self-harm)",
        choices=ITEM9_CHOICES,
        coerce=_item9,
        empty_value=None,
        required=False,
        help_text="Needed with a total alone: the answer, or “Not asked”.",
    )
    field.error_messages["invalid_choice"] = "Item 9: answer 0, 1, 2 or 3, or choose “Not asked”."
    return field


def phq9_clean(form, data: dict) -> None:
    """The nine items (some may be left empty: the PHQ-9 is then kept as incomplete) and item 9 asked on its
    own when only the total is given. The service checks that items, total and item 9 agree."""
    items = [data.get(f"phq9_item_{i}") for i in range(1, PHQ9_ITEM_COUNT + 1)]
    given = any(v is not None for v in items)
    data["phq9_items"] = items if given else None
    if data.get("phq9_total") is not None and not given and data.get("phq9_item9") is None:
        form.add_error("phq9_item9", "With a total alone, give item 9 (0 to 3) or choose “Not asked”.")


ICD10_LOOKUP = {
    "placeholder": "F33.2 or “recurrent severe”",
    "autocomplete": "off",
    "list": "icd10-options",
    "data-icd10-url": reverse_lazy("intake:icd10"),
}


class DiagnosisForm(ModelForm):
    """A diagnosis by its ICD-10 code, or by words from its name ("major depression, recurrent, severe"): the
    words are looked up (icd10.resolve) and the code kept; words that fit no code, or several, are sent back
    naming the codes that fit."""

    code = forms.CharField(
        label="ICD-10 code",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs=ICD10_LOOKUP),
        help_text="A code, or words from its name; choose from the list.",
    )

    class Meta:
        model = Diagnosis
        fields = ["code", "description"]

    def clean(self):
        data = super().clean()
        typed = data.get("code") or data.get("description") or ""
        if not typed.strip():
            self.add_error("code", "Give the ICD-10 code, or words from its name.")
            return data
        try:
            data["code"] = icd10.resolve(typed)
        except icd10.NoMatch as exc:
            self.add_error("code", str(exc))
            return data
        data["description"] = data.get("description") or icd10.describe(data["code"])
        return data


class TrialForm(ModelForm):
    class Meta:
        model = MedicationTrial
        fields = [
            "drug",
            "daily_dose_mg",
            "weeks_at_dose",
            "response",
            "reason_stopped",
            "is_augmentation",
            "in_current_episode",
        ]


DiagnosisFormSet = forms.formset_factory(DiagnosisForm, extra=2, max_num=10)
TrialFormSet = forms.formset_factory(TrialForm, extra=3, max_num=20)


def filled_forms(formset) -> list:
    """The row forms a person actually filled in (blank extra rows are skipped), in order."""
    return [f for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]


def filled(formset) -> list[dict]:
    return [f.cleaned_data for f in filled_forms(formset)]


def put_back(exc: ValidationError, forms: dict, rows: dict[str, list]) -> None:
    """File each `part.field` error from referral_receive on the form that shows that field. `forms` maps a
    part ("patient", "referral", "referrer", "attachments") to its form; `rows` maps "diagnoses" and "trials"
    to the row forms whose rows were sent, in order, so that `trials.1` lands on the second row the person
    filled in, whatever blank rows came before it. Whatever has no form of its own goes to the referral form."""
    for key, messages in exc.message_dict.items():
        part, _, field = key.partition(".")
        if part in rows:
            index, _, field = field.partition(".")
            sent = rows[part]
            form = sent[int(index)] if index.isdigit() and int(index) < len(sent) else forms["referral"]
        elif part == "attachments" and "attachments" in forms:
            form, field = forms["attachments"], "files"
        else:
            form = forms.get(part, forms["referral"])
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


class TransitionForm(Form):
    to = forms.ChoiceField(choices=Status.choices)
    version = forms.IntegerField(min_value=1)
    reason = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(Form):
    text = forms.CharField(label="Note", max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
