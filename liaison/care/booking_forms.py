"""The booking form: a day, a start and an end in the practice's time zone, a clinician and a place. It reads and
types what was typed; the rules (not in the past, ends after it starts, no clash) are care.bookings', whose errors
are put back on the field of the same name."""

from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from liaison.core.forms import Form

DATE_INPUT = forms.DateInput(attrs={"type": "date"})
TIME_INPUT = forms.TimeInput(attrs={"type": "time", "step": 300}, format="%H:%M")


class BookingForm(Form):
    day = forms.DateField(label="Date", widget=DATE_INPUT)
    starts_at = forms.TimeField(label="Starts", widget=TIME_INPUT)
    ends_at = forms.TimeField(label="Ends", widget=TIME_INPUT)
    clinician = forms.ModelChoiceField(queryset=None, label="Clinician", empty_label="— choose —")
    place = forms.CharField(
        label="Place", max_length=100, help_text="A room, a site, or “video call”.", widget=forms.TextInput()
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, clinicians, places=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clinician"].queryset = clinicians
        self.fields["clinician"].error_messages["invalid_choice"] = "Choose a clinician from the list."
        self.fields["day"].error_messages["invalid"] = "Give the date as a calendar date."
        for name in ("starts_at", "ends_at"):
            self.fields[name].error_messages["invalid"] = "Give the time as hours and minutes, such as 10:30."
        self.fields["place"].widget.attrs["list"] = "places"
        self.places = list(places)

    def clean_day(self):
        day = self.cleaned_data["day"]
        if day < timezone.localdate():
            raise ValidationError("This date has passed: choose today or a later day.")
        return day

    def moments(self) -> tuple[datetime | None, datetime | None]:
        """The start and end as aware instants in the practice's time zone (stored UTC)."""
        day = self.cleaned_data.get("day")
        if day is None:
            return None, None
        start, end = self.cleaned_data.get("starts_at"), self.cleaned_data.get("ends_at")
        return (
            timezone.make_aware(datetime.combine(day, start)) if start else None,
            timezone.make_aware(datetime.combine(day, end)) if end else None,
        )

    def put_back(self, exc: ValidationError) -> None:
        for key, messages in exc.message_dict.items():
            for message in messages:
                self.add_error(key if key in self.fields else None, message)


class ScheduleForm(forms.Form):
    """The schedule's filters, kept in the URL: a day or a week (any day in it), and one clinician or everyone."""

    day = forms.DateField(required=False, widget=DATE_INPUT)
    week = forms.DateField(required=False, widget=DATE_INPUT)
    clinician = forms.ModelChoiceField(queryset=None, required=False, empty_label="Everyone")

    def __init__(self, *args, clinicians, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clinician"].queryset = clinicians
