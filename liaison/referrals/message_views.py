"""The practice's side of the messages on a referral's page: write to the referrer, mark their replies read
(messages.py holds the rules; the panel is templates/referrals/_messages_panel.html)."""

from django.contrib import messages as flash
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from liaison.accounts.access import allowed
from liaison.referrals import messages, queries
from liaison.referrals.message_forms import MessageForm


@allowed("referral.message")
@require_POST
def message_send(request, pk: int):
    referral = queries.referral_get(user=request.user, pk=pk, related=("patient", "referrer"))
    form = MessageForm(request.POST, prefix="message")
    problems = [m for msgs in form.errors.values() for m in msgs] if not form.is_valid() else []
    if not problems:
        try:
            messages.message_send(referral=referral, by=request.user, body=form.cleaned_data["body"])
        except ValidationError as exc:
            problems = exc.messages
    if problems:
        flash.error(request, "Message to the referrer: " + " ".join(problems) + " Nothing was sent.")
    else:
        flash.success(request, "Message sent. The referrer reads it in their portal.")
    return redirect(reverse("referrals:detail", args=[pk]) + "#messages")


@allowed("referral.message")
@require_POST
def replies_read(request, pk: int):
    referral = queries.referral_get(user=request.user, pk=pk, related=("patient",))
    done = messages.replies_read(referral=referral, by=request.user)
    if done:
        flash.success(request, "The referrer's reply is marked read." if done == 1 else f"{done} replies marked read.")
    else:
        flash.info(request, "There was no unread reply.")
    return redirect(reverse("referrals:detail", args=[pk]) + "#messages")
