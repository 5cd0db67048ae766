"""Correcting where letters to a referring clinician go: their email, fax number and preferred channel
(`crm:referrer_contact`). The outbox's "add one" and the relationship page link here. Written through
directory.services.referrer_contact_update, which checks every field and writes nothing when one is wrong.

Who: the coordinator (who sends the letters), the director and the IT administrator ("directory.contact"). The
liaison keeps the relationship's own contact notes on the relationship page but does not change delivery addresses."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from liaison.accounts.access import allowed
from liaison.core.forms import Form
from liaison.crm import queries
from liaison.directory import services as directory
from liaison.directory.choices import Channel

LABELS = {"email": "email address", "fax": "fax number", "preferred_channel": "preferred channel"}


class ContactForm(Form):
    """The three fields as typed; the directory's service checks them (the fax as a phone number, the email as
    an address, the channel against the address it needs), so the page and any other caller agree."""

    email = forms.CharField(max_length=254, required=False, label="Email address")
    fax = forms.CharField(max_length=40, required=False, label="Fax number", help_text="Such as (212) 555-0142.")
    preferred_channel = forms.ChoiceField(choices=Channel.choices, label="Preferred channel")


@allowed("directory.contact")
def referrer_contact(request, pk: int):
    referrer = queries.referrer_get(user=request.user, pk=pk)
    initial = {"email": referrer.email, "fax": referrer.fax_display, "preferred_channel": referrer.preferred_channel}
    form = ContactForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            changed = directory.referrer_contact_update(referrer=referrer, by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            for field, problems in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(request, saved_message(changed))
            return redirect("crm:referrer", pk=referrer.pk)
        referrer.refresh_from_db()  # the warning speaks of the details as stored, not as the refused form had them
    status = 400 if form.is_bound else 200
    # the warning line: the stored preferred channel cannot carry letters (the portal without an account, say)
    context = {"referrer": referrer, "form": form, "problem": directory.channel_problem(referrer)}
    return render(request, "crm/referrer_contact.html", context, status=status)


def saved_message(changed: list[str]) -> str:
    """Name what was written: "Saved: fax number and preferred channel.", or "Nothing changed."."""
    said = [LABELS[f] for f in changed]
    if not said:
        return "Nothing changed."
    listed = said[0] if len(said) == 1 else f"{', '.join(said[:-1])} and {said[-1]}"
    return f"Saved: {listed}."
