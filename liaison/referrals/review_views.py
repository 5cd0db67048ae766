"""The page action for a clinician's review of an urgent referral's safety flags (review.safety_review_record)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from liaison.accounts.access import allowed
from liaison.referrals import queries, review
from liaison.referrals.intake_choices import ReviewDecision


class SafetyReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label="What was decided", choices=[("", "— choose —"), *ReviewDecision.choices], required=False
    )
    note = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 2}), required=False)


@allowed("referral.safety_review")
@require_POST
def safety_review(request, pk: int):
    referral = queries.referral_get(user=request.user, pk=pk)
    form = SafetyReviewForm(request.POST)
    form.is_valid()  # both fields are checked by the service, which names each one at fault
    data = form.cleaned_data
    try:
        review.safety_review_record(
            referral=referral, by=request.user, decision=data.get("decision", ""), note=data.get("note", "")
        )
    except ValidationError as exc:
        problems = [f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()]
        messages.error(request, "The safety review was not recorded. " + " ".join(problems))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Safety review recorded.")
    return redirect("referrals:detail", pk=pk)
