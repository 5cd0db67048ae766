"""The public referral forms (no account needed), their confirmation page, the ICD-10 look-up,
the referrer portal, and the staff's decisions on screening (duplicates) and attachments."""

from django.contrib import messages
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from liaison.accounts.choices import Role
from liaison.core.audit import audit_log, client_address
from liaison.core.permissions import role_required
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

CONFIRM_SALT = "liaison.referrals.confirmation"
CONFIRM_MAX_AGE = 2 * 60 * 60
RATE_LIMIT = 20  # form posts per address per window
RATE_WINDOW = 10 * 60
CLINIC_STAFF = (Role.COORDINATOR, Role.CLINICIAN, Role.DIRECTOR, Role.ADMIN)
OUTSIDE = (Role.REFERRER, Role.REFERRER_ADMIN)


def _too_many(request) -> bool:
    """A cheap per-address limit on public form posts."""
    key = f"intake-rate:{client_address(request)}"
    cache.add(key, 0, RATE_WINDOW)
    try:
        return cache.incr(key) > RATE_LIMIT
    except ValueError:
        return False


def _signed_in_referrer(request):
    user = request.user
    return user if user.is_authenticated and user.role == Role.REFERRER and user.referrer_id else None


def _bound(request):
    return (request.POST, request.FILES) if request.method == "POST" else (None, None)


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
        if _too_many(request):
            return HttpResponse("Too many referrals from this address; please try again in a few minutes.", status=429)
        made = _submit_clinician(request, referrer_user, parts)
        if made is not None:
            return redirect("intake:sent", token=signing.dumps(made.pk, salt=CONFIRM_SALT))
    context = {
        **parts,
        "referrer_user": referrer_user,
        "posted": request.method == "POST",
        "adequate_help": ADEQUATE_HELP,
        "icd_codes": icd10.codes(),
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


def self_refer(request):
    """The lighter form a patient fills in about themselves."""
    data, _ = _bound(request)
    patient_form = PublicPatientForm(data, prefix="patient")
    form = SelfReferralForm(data, prefix="self")
    if request.method == "POST":
        if _too_many(request):
            return HttpResponse("Too many requests from this address; please try again in a few minutes.", status=429)
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
    context = {"patient_form": patient_form, "form": form, "posted": request.method == "POST"}
    return render(request, "referrals/intake/self_refer.html", context, status=400 if request.method == "POST" else 200)


def sent(request, token: str):
    """What happens next, and when. The link is signed and short-lived, and shows no patient details."""
    try:
        pk = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.BadSignature:
        raise Http404("This confirmation link has expired.") from None
    referral = get_object_or_404(Referral.objects.select_related("screening"), pk=pk)
    audit_log(actor=request.user, action="view_confirmation", obj=referral, patient_id=referral.patient_id)
    context = {"referral": referral, "still_needed": portal_queries.still_needed(referral)}
    return render(request, "referrals/intake/sent.html", context)


@require_GET
def icd10_options(request):
    """<option>s for the diagnosis look-up's datalist (htmx sends what was typed)."""
    q = request.GET.get("q") or next(iter(request.GET.values()), "")
    return render(request, "referrals/intake/_icd10_options.html", {"codes": icd10.search(q[:50])})


# ---------------------------------------------------------------- the referrer portal


@role_required(*OUTSIDE)
def portal(request):
    after = _int(request.GET.get("after"))
    rows = portal_queries.portal_list(user=request.user, after=after)
    page = rows[: portal_queries.PORTAL_PAGE_SIZE]
    audit_log(
        actor=request.user, action="list", object_type="referrals.referral", detail={"portal": [r.pk for r in page]}
    )
    more = len(rows) > portal_queries.PORTAL_PAGE_SIZE
    context = {"referrals": page, "next_after": after + portal_queries.PORTAL_PAGE_SIZE if more else None}
    return render(request, "referrals/portal/list.html", context)


@role_required(*OUTSIDE)
def portal_detail(request, pk: int):
    referral = portal_queries.portal_get(user=request.user, pk=pk)
    audit_log(actor=request.user, action="view", obj=referral, patient_id=referral.patient_id)
    context = {
        "referral": referral,
        "timeline": portal_queries.portal_timeline(referral),
        "still_needed": portal_queries.still_needed(referral),
        "attachments": referral.attachments.only("id", "filename", "size", "uploaded_at"),
    }
    return render(request, "referrals/portal/detail.html", context)


def _int(value) -> int:
    return int(value) if (value or "").isdigit() and len(value) < 9 else 0


# ---------------------------------------------------------------- staff and shared


@role_required(*CLINIC_STAFF, *OUTSIDE)
def attachment(request, pk: int, attachment_id: int):
    referral = queries.referral_get(user=request.user, pk=pk)
    item = get_object_or_404(Attachment, pk=attachment_id, referral=referral)
    audit_log(actor=request.user, action="download", obj=item, patient_id=referral.patient_id)
    response = HttpResponse(bytes(item.content), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="attachment-{item.pk}.pdf"'
    return response


@require_POST
@role_required(*CLINIC_STAFF)
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
