"""The referral's page in the referrer portal: where it stands, what the practice has done, the letters and
messages, and the referrer's reply (a message, PDF files, the missing history). Scoped by portal_queries: a referrer
sees their own referrals, a practice administrator their practice's, anyone else a 404."""

from django.contrib import messages as flash
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render

from liaison.accounts.access import allowed, may
from liaison.accounts.choices import Role
from liaison.core.audit import audit_log
from liaison.referrals import icd10, messages, portal_queries
from liaison.referrals.forms import put_back
from liaison.referrals.intake_forms import (
    ADEQUATE_HELP,
    IntakeDiagnosisFormSet,
    IntakeTrialFormSet,
    diagnosis_forms,
    diagnosis_rows,
    trial_forms,
    trial_rows,
)
from liaison.referrals.message_forms import ReplyAttachmentsForm, ReplyForm, ReplyHistoryForm


def _reply_parts(request) -> dict:
    data, files = (request.POST, request.FILES) if request.method == "POST" else (None, None)
    return {
        "reply_form": ReplyForm(data, prefix="reply"),
        "history_form": ReplyHistoryForm(data, prefix="history"),
        "diagnoses": IntakeDiagnosisFormSet(data, prefix="diagnoses"),
        "trials": IntakeTrialFormSet(data, prefix="trials"),
        "attachments_form": ReplyAttachmentsForm(data, files, prefix="files"),
    }


@allowed("portal.view")
def portal_detail(request, pk: int):
    referral = portal_queries.portal_get(user=request.user, pk=pk)
    parts = _reply_parts(request)
    if request.method == "POST":
        if not may(request.user, "portal.reply"):
            raise PermissionDenied("Replying is not part of your role.")
        if _reply(request, referral, parts):
            flash.success(request, "Your reply is with the practice. Their coordinator will read it.")
            return redirect("intake:portal_detail", pk=pk)
    audit_log(actor=request.user, action="view", obj=referral, patient_id=referral.patient_id)
    if request.user.role == Role.REFERRER and request.method == "GET":
        messages.messages_seen(referral=referral, by=request.user)
    # The referral form's history fields (two formsets, the ICD-10 list, the PHQ-9) are most of the page's cost: they
    # are drawn when the referrer asks for them, or to show what a reply that was not sent got wrong. The short form
    # (a message and PDFs) posts empty formsets, so both post the same reply.
    history = request.method == "POST" or request.GET.get("reply") == "history"
    context = {
        **parts,
        "history": history,
        "referral": referral,
        "timeline": portal_queries.portal_timeline(referral),
        "thread": messages.messages_of(referral),
        "still_needed": portal_queries.still_needed(referral),
        "attachments": referral.attachments.filter(message__isnull=True).only("id", "filename", "size", "uploaded_at"),
        "posted": request.method == "POST",
        "adequate_help": ADEQUATE_HELP,
        "icd_codes": icd10.codes() if history else (),
    }
    return render(request, "referrals/portal/detail.html", context, status=400 if request.method == "POST" else 200)


def _reply(request, referral, parts) -> bool:
    """Send the reply; False with every problem put back on the form that shows it."""
    if not all(form.is_valid() for form in parts.values()):
        return False
    try:
        messages.reply_receive(
            referral=referral,
            by=request.user,
            body=parts["reply_form"].cleaned_data["body"],
            attachments=parts["attachments_form"].attachment_data(),
            diagnoses=diagnosis_rows(parts["diagnoses"]),
            trials=trial_rows(parts["trials"]),
            history=parts["history_form"].history_data(),
        )
    except ValidationError as exc:
        forms = {"referral": parts["reply_form"], "history": parts["history_form"],
                 "attachments": parts["attachments_form"]}  # fmt: skip
        rows = {"diagnoses": diagnosis_forms(parts["diagnoses"]), "trials": trial_forms(parts["trials"])}
        put_back(exc, forms, rows)
        return False
    return True
