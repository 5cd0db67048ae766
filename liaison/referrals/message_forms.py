"""The forms of the portal's reply and of the practice's message (messages.py holds the rules). The reply's history
is the referral form's own fields and checks (intake_forms), so a referrer answers in the words they referred in."""

from django import forms

from liaison.core.forms import Form
from liaison.referrals.intake_forms import AttachmentsForm, ClinicianReferralForm
from liaison.referrals.message_models import MAX_MESSAGE_CHARS
from liaison.referrals.messages import HISTORY_FIELDS
from liaison.referrals.plausibility import CONFIRM

KEPT = {*HISTORY_FIELDS, "phq9_total", "phq9_date", "phq9_item9", CONFIRM}


class ReplyForm(Form):
    body = forms.CharField(
        label="Your message",
        required=False,
        max_length=MAX_MESSAGE_CHARS,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Seen by the practice's coordinator and clinicians. For an urgent concern about the patient's "
        "safety, please telephone the practice.",
    )


class ReplyHistoryForm(ClinicianReferralForm):
    """The history fields of the referral form: the episode, psychotherapy, current medications and a PHQ-9.
    Each is optional; only what is given is added to the referral."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in list(self.fields):
            if name not in KEPT and not name.startswith("phq9_item_"):
                self.fields.pop(name)
        for field in self.fields.values():
            field.required = False

    def history_data(self) -> dict:
        data = {name: self.cleaned_data.get(name) for name in self.fields if not name.startswith("phq9_item_")}
        data["phq9_items"] = self.cleaned_data.get("phq9_items")
        return data


class ReplyAttachmentsForm(AttachmentsForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["files"].label = "PDF files (optional)"
        self.fields["files"].help_text = "Notes, letters or rating scales: up to 5 PDF files, 10 MB each."


class MessageForm(Form):
    body = forms.CharField(
        label="Message to the referrer",
        max_length=MAX_MESSAGE_CHARS,
        error_messages={"required": "Write the message before sending it."},
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The referrer reads it in their portal; their email says only that a message is waiting.",
    )
