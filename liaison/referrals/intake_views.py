"""The public referral forms (no account needed), their confirmation page, the ICD-10 look-up,
the referrer portal, and the staff's decisions on screening (duplicates) and attachments."""

from django.conf import settings
from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from liaison.accounts.access import allowed, out_of_scope
from liaison.accounts.choices import Role
from liaison.core import ratelimit
from liaison.core.audit import audit_log, client_address
from liaison.referrals import icd10, intake_services, portal_queries, queries, services
from liaison.referrals.choices import IntakeChannel
from liaison.referrals.forms import put_back
from liaison.referrals.intake_forms import (
    ADEQUATE_HELP,
    AttachmentsForm,
    ClinicianReferralForm,
    IntakeDiagnosisFormSet,
    IntakeTrialFormSet,
    PublicPatientForm,
    ReferrerDetailsForm,
    SelfReferralForm,
    diagnosis_forms,
    diagnosis_rows,
    trial_forms,
    trial_rows,
)
from liaison.referrals.intake_models import Attachment, DuplicateFlag
from liaison.referrals.models import Referral
from liaison.referrals.opening import opening_hours
from liaison.referrals.rows import portal_rows_html

CONFIRM_SALT = "liaison.referrals.confirmation"
CONFIRM_MAX_AGE = 2 * 60 * 60


def _too_many(request, message: str) -> HttpResponse | None:
    """The public forms' limit per address, counted in the store every web process shares: a 429 when over."""
    verdict = ratelimit.hit(
        "intake", client_address(request), limit=settings.FORM_RATE_LIMIT, window=settings.FORM_RATE_WINDOW
    )
    if verdict.allowed:
        return None
    return HttpResponse(message, status=429, content_type="text/plain", headers={"Retry-After": verdict.retry_after})


def _signed_in_referrer(request):
    user = request.user
    return user if user.is_authenticated and user.role == Role.REFERRER and user.referrer_id else None


def _bound(request):
    return (request.POST, request.FILES) if request.method == "POST" else (None, None)


@allowed("intake.public")
def refer(request):
    """The referring clinician's form: the practice links to it from its website."""
    if request.user.is_authenticated and not _signed_in_referrer(request):
        return redirect("referrals:inbox" if request.user.sees_all_referrals else "core:home")
    referrer_user = _signed_in_referrer(request)
    data, files = _bound(request)
    parts = {
        "referrer_form": None if referrer_user else ReferrerDetailsForm(data, prefix="me"),
        "patient_form": PublicPatientForm(data, prefix="patient"),
        "referral_form": ClinicianReferralForm(data, prefix="referral"),
        "diagnoses": IntakeDiagnosisFormSet(data, prefix="diagnoses"),
        "trials": IntakeTrialFormSet(data, prefix="trials"),
        "attachments_form": AttachmentsForm(data, files, prefix="files"),
    }
    if request.method == "POST":
        if refused := _too_many(request, "Too many referrals from this address; please try again in a few minutes."):
            return refused
        made = _submit_clinician(request, referrer_user, parts)
        if made is not None:
            return redirect("intake:sent", token=signing.dumps(made.pk, salt=CONFIRM_SALT))
    context = {
        **parts,
        "referrer_user": referrer_user,
        "posted": request.method == "POST",
        "adequate_help": ADEQUATE_HELP,
    }
    return render(request, "referrals/intake/refer.html", context, status=400 if request.method == "POST" else 200)


def _submit_clinician(request, referrer_user, parts):
    forms_ok = all(f.is_valid() for f in parts.values() if f is not None)
    if not forms_ok:
        return None
    me = parts["referrer_form"]
    try:
        return intake_services.intake_submit(
            by=referrer_user,
            referrer_data=me.cleaned_data if me else {},
            patient=parts["patient_form"].cleaned_data,
            referral=parts["referral_form"].referral_data(),
            diagnoses=diagnosis_rows(parts["diagnoses"]),
            trials=trial_rows(parts["trials"]),
            channel=IntakeChannel.WEB,
            attachments=parts["attachments_form"].attachment_data(),
        )
    except ValidationError as exc:
        forms = {"referrer": parts["referrer_form"], "patient": parts["patient_form"],
                 "referral": parts["referral_form"], "attachments": parts["attachments_form"]}  # fmt: skip
        rows = {"diagnoses": diagnosis_forms(parts["diagnoses"]), "trials": trial_forms(parts["trials"])}
        put_back(exc, forms, rows)
        return None


@allowed("intake.public")
def self_refer(request):
    """The lighter form a patient fills in about themselves."""
    data, _ = _bound(request)
    patient_form = PublicPatientForm(data, prefix="patient")
    form = SelfReferralForm(data, prefix="self")
    if request.method == "POST":
        if refused := _too_many(request, "Too many requests from this address; please try again in a few minutes."):
            return refused
        if patient_form.is_valid() and form.is_valid():
            try:
                made = intake_services.intake_submit(
                    by=None,
                    referrer_data=None,
                    patient=patient_form.cleaned_data,
                    referral={**form.referral_data(), "source_type": "self"},
                    channel=IntakeChannel.SELF,
                )
            except ValidationError as exc:
                put_back(exc, {"patient": patient_form, "referral": form}, {})
            else:
                return redirect("intake:sent", token=signing.dumps(made.pk, salt=CONFIRM_SALT))
    context = {
        "patient_form": patient_form,
        "form": form,
        "posted": request.method == "POST",
        "opening_hours": opening_hours(),
    }
    return render(request, "referrals/intake/self_refer.html", context, status=400 if request.method == "POST" else 200)


@allowed("intake.public")
def sent(request, token: str):
    """What happens next, and when. The link is signed and short-lived, and shows no patient details."""
    try:
        pk = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.BadSignature:
        raise Http404("This confirmation link has expired.") from None
    referral = get_object_or_404(Referral.objects.select_related("screening"), pk=pk)
    audit_log(actor=request.user, action="view_confirmation", obj=referral, patient_id=referral.patient_id)
    context = {
        "referral": referral,
        "still_needed": portal_queries.still_needed(referral),
        "opening_hours": opening_hours(),
    }
    return render(request, "referrals/intake/sent.html", context)


@allowed("intake.public")
@require_GET
def icd10_options(request):
    """The codes that fit what was typed (`q`), for the diagnosis look-up's suggestion list (referrals/icd10.js)."""
    codes = icd10.search((request.GET.get("q") or "")[:80])
    return JsonResponse({"codes": [{"code": code, "description": text} for code, text in codes]})


# ---------------------------------------------------------------- the referrer portal


@allowed("portal.view")
def portal(request):
    after = _int(request.GET.get("after"))
    rows = portal_queries.portal_list(user=request.user, after=after)
    page = rows[: portal_queries.PORTAL_PAGE_SIZE]
    audit_log(
        actor=request.user, action="list", object_type="referrals.referral", detail={"portal": [r["id"] for r in page]}
    )
    more = len(rows) > portal_queries.PORTAL_PAGE_SIZE
    context = {
        "referrals": page,
        "rows_html": portal_rows_html(page, admin=request.user.role == Role.REFERRER_ADMIN),
        "next_after": after + portal_queries.PORTAL_PAGE_SIZE if more else None,
    }
    return render(request, "referrals/portal/list.html", context)


def _int(value) -> int:
    return int(value) if (value or "").isdigit() and len(value) < 9 else 0


# ---------------------------------------------------------------- staff and shared


@allowed("referral.attachment")
def attachment(request, pk: int, attachment_id: int):
    referral = queries.referral_get(user=request.user, pk=pk)
    item = Attachment.objects.filter(pk=attachment_id, referral=referral).first()
    if item is None:
        raise out_of_scope(user=request.user, model=Attachment, pk=attachment_id, patient_field="referral__patient_id")
    audit_log(actor=request.user, action="download", obj=item, patient_id=referral.patient_id)
    response = HttpResponse(bytes(item.content), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="attachment-{item.pk}.pdf"'
    return response


@allowed("referral.duplicate")
@require_POST
def duplicate_decide(request, pk: int, flag_id: int):
    referral = queries.referral_get(user=request.user, pk=pk)
    flag = get_object_or_404(
        DuplicateFlag.objects.select_related("existing", "referral"), pk=flag_id, referral=referral
    )
    decision = request.POST.get("decision")
    if decision not in ("merge", "dismiss"):
        messages.error(request, "Choose “Same patient: merge” or “Different patient”.")
        return redirect("referrals:detail", pk=pk)
    merge = decision == "merge"
    try:
        intake_services.duplicate_resolve(flag=flag, by=request.user, merge=merge)
    except ValidationError as exc:  # already decided, or the referral can no longer be cancelled
        messages.error(request, " ".join(exc.messages))
    except services.TransitionConflict as exc:
        messages.error(request, str(exc))
    else:
        done = f"merged into {flag.existing.reference}" if merge else "marked as a different patient"
        messages.success(request, f"{referral.reference} {done}.")
    return redirect("referrals:detail", pk=pk)
