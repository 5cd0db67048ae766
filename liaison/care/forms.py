"""Forms read and type what a person typed; the rules live in care.services, whose field-by-field errors
(`held_on`, `phq9_3`, `phq9_total`, ...) are put back on the field of the same name."""

from django import forms
from django.core.exceptions import ValidationError

from liaison.care.choices import AdverseEffect, DoseUnit, Route, SessionKind
from liaison.care.instruments import ANSWERS, DIFFICULTY_ANSWERS, GAD7, PHQ9, PHQ9_DIFFICULTY_TEXT
from liaison.care.scoring import NOT_ASKED, ScoreInput
from liaison.care.services import SessionInput
from liaison.core.forms import Form

DATE_INPUT = forms.DateInput(attrs={"type": "date"})
ITEM_CHOICES = [("", "—"), *[(v, f"{v} · {text}") for v, text in ANSWERS]]


def _item_field(number: int, spec) -> forms.Field:
    """Item `number` of the instrument, labelled with its question."""
    label = f"{number}. {spec.items[number - 1]}"
    field = forms.TypedChoiceField(label=label, choices=ITEM_CHOICES, coerce=int, empty_value=None, required=False)
    field.error_messages["invalid_choice"] = f"{spec.name} item {number}: answer 0, 1, 2 or 3."
    return field


def _item9(value):
    return value if value == NOT_ASKED else int(value)


def _item9_field() -> forms.Field:
    """Item 9 asked on its own, for a PHQ-9 known only by its total: 0–3, or "not asked" (a visible gap)."""
    field = forms.TypedChoiceField(
        label="Item 9, with a total alone",
        choices=[*ITEM_CHOICES, (NOT_ASKED, "Not asked")],
        coerce=_item9,
        empty_value=None,
        required=False,
        help_text="The answer to item 9, or “Not asked”: a gap a clinician then records.",
    )
    field.error_messages["invalid_choice"] = "PHQ-9 item 9: answer 0, 1, 2 or 3, or choose “Not asked”."
    return field


def _score(data: dict, prefix: str, count: int, **extra) -> ScoreInput:
    return ScoreInput(items=[data.get(f"{prefix}_{n}") for n in range(1, count + 1)], **extra)


class ScoreFieldsMixin:
    """PHQ-9 and GAD-7 item fields plus a total for each (for a total known alone)."""

    def add_score_fields(self):
        for n in range(1, 10):
            self.fields[f"phq9_{n}"] = _item_field(n, PHQ9)
        self.fields["phq9_difficulty"] = forms.TypedChoiceField(
            label="Difficulty", choices=[("", "—"), *DIFFICULTY_ANSWERS], coerce=int, empty_value=None, required=False
        )
        self.fields["phq9_total"] = forms.IntegerField(label="PHQ-9 total", required=False, help_text="0–27")
        self.fields["phq9_item9"] = _item9_field()
        for n in range(1, 8):
            self.fields[f"gad7_{n}"] = _item_field(n, GAD7)
        self.fields["gad7_total"] = forms.IntegerField(label="GAD-7 total", required=False, help_text="0–21")

    def phq9_items(self):
        return [self[f"phq9_{n}"] for n in range(1, 10)]

    def gad7_items(self):
        return [self[f"gad7_{n}"] for n in range(1, 8)]

    def scores(self) -> tuple[ScoreInput, ScoreInput]:
        d = self.cleaned_data
        phq9 = _score(
            d, "phq9", 9, total=d.get("phq9_total"), item9=d.get("phq9_item9"), difficulty=d.get("phq9_difficulty")
        )
        return phq9, _score(d, "gad7", 7, total=d.get("gad7_total"))

    def clean(self):
        data = super().clean()
        no_items = all(data.get(f"phq9_{n}") is None for n in range(1, 10))
        if data.get("phq9_total") is not None and no_items and data.get("phq9_item9") is None:
            self.add_error("phq9_item9", "With a total alone, give item 9 (0 to 3) or choose “Not asked”.")
        return data

    def put_back(self, exc: ValidationError) -> None:
        for key, messages in exc.message_dict.items():
            for message in messages:
                self.add_error(key if key in self.fields else None, message)


class SessionForm(ScoreFieldsMixin, Form):
    kind = forms.ChoiceField(label="Kind of session", choices=SessionKind.choices, widget=forms.RadioSelect)
    held_on = forms.DateField(label="Date", widget=DATE_INPUT)
    clinician = forms.ModelChoiceField(queryset=None, label="Clinician", required=False)
    route = forms.ChoiceField(choices=[("", "— none (evaluation) —"), *Route.choices], required=False)
    dose = forms.DecimalField(max_digits=6, decimal_places=2, required=False, min_value=0.01)
    dose_unit = forms.ChoiceField(label="Unit", choices=[("", "—"), *DoseUnit.choices], required=False)
    planned = forms.IntegerField(
        label="Acute sessions planned",
        required=False,
        min_value=1,
        max_value=30,
        help_text="Leave empty to keep the current plan (six by default).",
    )
    bp_before_systolic = forms.IntegerField(label="Systolic before", required=False)
    bp_before_diastolic = forms.IntegerField(label="Diastolic before", required=False)
    bp_after_systolic = forms.IntegerField(label="Systolic after", required=False)
    bp_after_diastolic = forms.IntegerField(label="Diastolic after", required=False)
    adverse_effects = forms.MultipleChoiceField(
        choices=AdverseEffect.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    adverse_other = forms.CharField(label="Other adverse effects", max_length=300, required=False)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, clinicians, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clinician"].queryset = clinicians
        self.add_score_fields()

    def session_input(self) -> SessionInput:
        d = self.cleaned_data
        names = [f for f in SessionInput.__dataclass_fields__ if f in d]
        values = {name: d[name] for name in names}
        values["adverse_effects"] = tuple(d.get("adverse_effects") or ())
        return SessionInput(**values)


class ScoreForm(ScoreFieldsMixin, Form):
    """A PHQ-9 and/or GAD-7 taken outside a session (by phone, or reported from elsewhere)."""

    taken_on = forms.DateField(label="Date taken", widget=DATE_INPUT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_score_fields()


class AcknowledgeForm(Form):
    note = forms.CharField(
        label="What was done",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        help_text="For example: called the patient, safety plan reviewed, C-SSRS done.",
    )


NOT_SURE = "not_sure"


def _answer(value):
    return None if value == NOT_SURE else int(value)


class PatientQuestionnaireForm(Form):
    """The patient's own form, as large radio buttons. Every question is asked; any may be left unanswered."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        radio = forms.RadioSelect
        for n, text in enumerate(PHQ9.items, start=1):
            self.fields[f"phq9_{n}"] = self._radio(text)
        self.fields["phq9_difficulty"] = forms.TypedChoiceField(
            label=PHQ9_DIFFICULTY_TEXT,
            choices=DIFFICULTY_ANSWERS,
            coerce=int,
            widget=radio,
            required=False,
            empty_value=None,
        )
        for n, text in enumerate(GAD7.items, start=1):
            self.fields[f"gad7_{n}"] = self._radio(text)

    @staticmethod
    def _radio(text: str) -> forms.Field:
        """A question may be left unanswered or answered "not sure": the questionnaire is then kept as incomplete."""
        return forms.TypedChoiceField(
            label=text,
            choices=[*ANSWERS, (NOT_SURE, "I'm not sure")],
            coerce=_answer,
            empty_value=None,
            widget=forms.RadioSelect,
            required=False,
        )

    def phq9_fields(self):
        return [self[f"phq9_{n}"] for n in range(1, 10)]

    def gad7_fields(self):
        return [self[f"gad7_{n}"] for n in range(1, 8)]

    def scores(self) -> tuple[ScoreInput, ScoreInput]:
        d = self.cleaned_data
        phq9 = _score(d, "phq9", 9, difficulty=d.get("phq9_difficulty"))
        return phq9, _score(d, "gad7", 7)
