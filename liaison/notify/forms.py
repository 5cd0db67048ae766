from django import forms

from liaison.notify.models import Preference

HELP = {
    "urgent_referral": "An email when an urgent referral comes in for you to review.",
    "referrer_message": "An email when a referrer answers in the portal on a referral you coordinate.",
    "letter_due_soon": "An email when a letter of yours is due within two business hours and has not gone.",
    "digest": "Each working morning: what is due today, what is overdue and the open safety alerts, as counts.",
}


class PreferencesForm(forms.ModelForm):
    """What a person receives. Safety alerts are shown, ticked and disabled: a disabled field takes its value from
    the form, never from what is posted, so no request can switch them off."""

    safety_alert = forms.BooleanField(
        label="Safety alerts",
        required=False,
        disabled=True,
        initial=True,
        help_text="An email the moment a safety alert is raised on a referral of yours. Always sent.",
    )

    class Meta:
        model = Preference
        fields = ["urgent_referral", "referrer_message", "letter_due_soon", "digest"]
        help_texts = HELP
        labels = {
            "urgent_referral": "Urgent referrals",
            "referrer_message": "Messages from referrers",
            "letter_due_soon": "Letters about to go overdue",
            "digest": "The daily digest",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {"safety_alert": self.fields.pop("safety_alert"), **self.fields}
        self.initial["safety_alert"] = True
        for name, field in self.fields.items():
            field.widget.attrs["aria-describedby"] = f"id_{name}-help"

    def choices(self) -> dict[str, bool]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}
