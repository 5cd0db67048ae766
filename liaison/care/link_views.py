"""Sending the patient's questionnaire link by email or text message (decision 0041): a small form on its own page,
one call to links.questionnaire_link_send."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse

from liaison.accounts.access import allowed
from liaison.care.choices import LinkChannel
from liaison.care.links import questionnaire_link_send
from liaison.core.audit import audit_log
from liaison.referrals.queries import referral_get


class LinkSendForm(forms.Form):
    channel = forms.ChoiceField(label="Send it by", choices=LinkChannel.choices, widget=forms.RadioSelect)
    email = forms.CharField(label="Patient's email address", required=False, max_length=254)
    mobile = forms.CharField(label="Patient's mobile number", required=False, max_length=40)

    def __init__(self, *args, texts: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not texts:
            self.fields["channel"].choices = [(LinkChannel.EMAIL, LinkChannel.EMAIL.label)]
        self.fields["email"].widget.attrs.update(type="email", autocomplete="off")
        self.fields["mobile"].widget.attrs.update(type="tel", autocomplete="off")

    def address(self) -> str:
        return self.cleaned_data["email" if self.cleaned_data["channel"] == LinkChannel.EMAIL else "mobile"]

    def put_back(self, exc: ValidationError) -> None:
        where = {"to": "email" if self.cleaned_data.get("channel") == LinkChannel.EMAIL else "mobile"}
        for key, problems in exc.message_dict.items():
            field = where.get(key, key)
            for problem in problems:
                self.add_error(field if field in self.fields else None, problem)


@allowed("care.link.send")
def link_send(request, pk: int):
    referral = referral_get(user=request.user, pk=pk)
    patient = referral.patient
    audit_log(actor=request.user, action="view", obj=referral, patient_id=patient.pk)
    texts = bool(settings.SMS_BACKEND)
    channel = LinkChannel.EMAIL if patient.email or not (texts and patient.phone) else LinkChannel.SMS
    initial = {"channel": channel, "email": patient.email, "mobile": patient.phone_display}
    form = LinkSendForm(request.POST or None, initial=initial, texts=texts)
    if request.method == "POST" and form.is_valid():
        try:
            questionnaire_link_send(
                referral=referral, by=request.user, channel=form.cleaned_data["channel"], to=form.address()
            )
        except ValidationError as exc:
            form.put_back(exc)
        else:
            how = LinkChannel(form.cleaned_data["channel"]).label.lower()
            messages.success(
                request,
                f"The questionnaire link is on its way to {patient.first_name} by {how}. "
                "One reminder follows if it is not answered.",
            )
            return redirect(reverse("referrals:detail", args=[referral.pk]) + "#care")
    status = 400 if request.method == "POST" else 200
    context = {"referral": referral, "form": form, "texts": texts}
    return render(request, "care/link_send.html", context, status=status)
