from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from liaison.accounts.access import CLINICAL_TEAM, allowed
from liaison.accounts.choices import Role
from liaison.core.audit import audited_page
from liaison.directory.choices import SourceType
from liaison.referrals import lifecycle, queries, referrer_picker, services
from liaison.referrals.choices import Status
from liaison.referrals.forms import (
    DiagnosisFormSet,
    NoteForm,
    PatientForm,
    StaffReferralForm,
    TransitionForm,
    TrialFormSet,
    filled,
    filled_forms,
    put_back,
)
from liaison.referrals.referrer_picker import FaxAttachmentsForm, NewReferrerForm
from liaison.referrals.rows import inbox_filters_html, inbox_rows_html, timeline_html

BOOK_FIRST = "Book the evaluation to schedule it: choose its date, time, clinician and place on the booking form."
STATUS_FILTERS = [("open", "All open"), ("closed", "All closed"), ("all", "Everything"), *Status.choices]


class InboxFilterForm(forms.Form):
    status = forms.ChoiceField(choices=STATUS_FILTERS, required=False)
    source_type = forms.ChoiceField(choices=[("", "Any source"), *SourceType.choices], required=False)
    owner = forms.ChoiceField(required=False)
    overdue = forms.BooleanField(required=False, label="Overdue only")
    after = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        owners = [("", "Anyone"), ("me", "Me"), ("unassigned", "Unassigned")]
        if user.sees_all_referrals:
            owners += [(str(u.pk), str(u)) for u in queries.staff_choices(*CLINICAL_TEAM)]
        self.fields["owner"].choices = owners

    def filters(self) -> queries.InboxFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return queries.InboxFilters(
            status=data.get("status") or "open",
            source_type=data.get("source_type") or "",
            owner=data.get("owner") or "",
            overdue=bool(data.get("overdue")),
            after=data.get("after") or 0,
        )


@allowed("referral.list")
def inbox(request):
    form = InboxFilterForm(request.GET or None, user=request.user)
    filters = form.filters()
    rows = queries.referral_list(user=request.user, filters=filters)
    page, has_next = rows[: queries.INBOX_PAGE_SIZE], len(rows) > queries.INBOX_PAGE_SIZE
    query = request.GET.copy()
    query.pop("after", None)
    context = {
        "form": form,
        "referrals": page,
        "rows_html": inbox_rows_html(page),
        "filters_html": inbox_filters_html(request, form),
        "first": filters.after + 1,
        "last": filters.after + len(page),
        "next_after": filters.after + queries.INBOX_PAGE_SIZE if has_next else None,
        "prev_after": max(filters.after - queries.INBOX_PAGE_SIZE, 0) if filters.after else None,
        "query": query.urlencode(),
    }
    template = "referrals/_inbox_rows.html" if request.htmx else "referrals/inbox.html"
    # One audit row for what the page shows: the referrals, and the open safety alerts above them in the row's detail
    # under their own record type (care_tags.care_alerts; decisions 0032 and 0034).
    detail = {"referrals": [r["id"] for r in page], "filters": request.GET.dict()}
    with audited_page(actor=request.user, action="list", object_type="referrals.referral", detail=detail):
        return render(request, template, context)


def _detail_context(request, referral, **extra):
    sees_all = request.user.sees_all_referrals
    moves = lifecycle.moves_for(referral.status, request.user.role) if sees_all else ()
    timeline = queries.referral_timeline(referral)
    context = {
        "referral": referral,
        "timeline": timeline,
        "timeline_html": timeline_html(timeline),
        "flags": queries.referral_safety_flags(referral),
        "moves": moves,
        "into_care": lifecycle.INTO_CARE,
        "review_first": lifecycle.REVIEW_FIRST if moves and _review_owed(referral) else "",
        "note_form": NoteForm(),
    }
    # The care team's two lists from one query (in the lists' order).
    staff = list(queries.staff_choices(Role.COORDINATOR, Role.CLINICIAN, Role.DIRECTOR)) if sees_all else []
    context["coordinators"] = [u for u in staff if u.role == Role.COORDINATOR]
    context["clinicians"] = [u for u in staff if u.role in (Role.CLINICIAN, Role.DIRECTOR)]
    return context | extra


def _review_owed(referral) -> bool:
    """services.safety_review_owed, from the review queries.referral_get has already read with the referral."""
    review = getattr(referral, "safety_review", None)  # None when there is none (the related row is missing)
    return review is not None and review.decided_at is None


@allowed("referral.view")
def detail(request, pk: int):
    referral = queries.referral_get(user=request.user, pk=pk)
    return _detail_page(request, referral, _detail_context(request, referral))


def _detail_page(request, referral, context, *, status=None):
    """The page and one audit row for all it shows: the referral, and its care panel's own entry (decision 0032)."""
    with audited_page(actor=request.user, action="view", obj=referral, patient_id=referral.patient_id):
        return render(request, "referrals/detail.html", context, status=status)


@allowed("referral.transition")
@require_POST
def transition(request, pk: int):
    referral = queries.referral_get(user=request.user, pk=pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        errors = [f"{field}: {', '.join(msgs)}" for field, msgs in form.errors.items()]
        return _detail_error(request, referral, errors, status=400)
    move = lifecycle.find_move(referral.status, form.cleaned_data["to"])
    if move is not None and move.booked and form.cleaned_data["version"] == referral.version:
        # The step is taken by booking (the booking form has the date); a stale page is still told it is stale.
        return _detail_error(request, referral, [BOOK_FIRST], status=400)
    try:
        services.referral_transition(
            referral=referral,
            to=form.cleaned_data["to"],
            by=request.user,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        )
    except services.TransitionConflict as exc:
        return _detail_error(request, queries.referral_get(user=request.user, pk=pk), [str(exc)], status=409)
    except ValidationError as exc:
        return _detail_error(request, referral, exc.messages, status=400, attempted=form.cleaned_data["to"])
    messages.success(request, f"{referral.reference} is now “{Status(referral.status).label}”.")
    return redirect("referrals:detail", pk=pk)


def _detail_error(request, referral, errors, *, status, attempted=""):
    context = _detail_context(request, referral, errors=errors, attempted=attempted)
    return _detail_page(request, referral, context, status=status)


@allowed("referral.assign")
@require_POST
def assign(request, pk: int):
    referral = queries.referral_get(user=request.user, pk=pk)
    staff = {str(u.pk): u for u in queries.staff_choices(*CLINICAL_TEAM)}
    picks = {}
    for field in ("coordinator", "clinician"):
        value = request.POST.get(field, "")
        if value and value not in staff:
            return _detail_error(request, referral, [f"{field}: choose someone from the list."], status=400)
        picks[field] = staff.get(value)
    try:
        services.referral_assign(referral=referral, by=request.user, **picks)
    except ValidationError as exc:
        return _detail_error(request, referral, exc.messages, status=400)
    messages.success(request, "Assignment saved.")
    return redirect("referrals:detail", pk=pk)


@allowed("referral.note")
@require_POST
def add_note(request, pk: int):
    referral = queries.referral_get(user=request.user, pk=pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _detail_error(request, referral, [m for msgs in form.errors.values() for m in msgs], status=400)
    services.referral_add_note(referral=referral, by=request.user, text=form.cleaned_data["text"])
    messages.success(request, "Note added to the timeline.")
    return redirect("referrals:detail", pk=pk)


@allowed("referral.receive")
def new(request):
    """The staff form for a referral that came in by phone or fax: the faxed PDF attached (checked and cleaned as the
    portal's), the referrer found by name or NPI or added on the spot, all written in one transaction."""
    data, files = (request.POST, request.FILES) if request.method == "POST" else (None, None)
    new_referrer = NewReferrerForm(data, prefix="newref")
    parts = {
        "patient_form": PatientForm(data, prefix="patient"),
        "referral_form": StaffReferralForm(data, prefix="referral", new_referrer=new_referrer.adding),
        "diagnoses": DiagnosisFormSet(data, prefix="diagnoses"),
        "trials": TrialFormSet(data, prefix="trials"),
        "attachments_form": FaxAttachmentsForm(data, files, prefix="files"),
    }
    if request.method == "POST" and (referral := _receive(request, parts, new_referrer)) is not None:
        messages.success(request, f"Referral {referral.reference} received.")
        return redirect("referrals:detail", pk=referral.pk)
    q = request.GET.get("q", "")[:60]
    picked = referrer_picker.chosen(parts["referral_form"]["referrer"].value())
    found = [m for m in referrer_picker.referrer_matches(q) if m["id"] not in {p["id"] for p in picked}]
    context = {**parts, "new_referrer": new_referrer, "q": q, "matches": picked + found, "searched": len(q) >= 2,
               "picked": str(picked[0]["id"]) if picked else ""}  # fmt: skip
    return render(request, "referrals/new.html", context, status=400 if request.method == "POST" else 200)


def _receive(request, parts, new_referrer):
    """The referral (and its new referrer) written whole, or None with every problem on the form showing it."""
    forms_ok = all(f.is_valid() for f in (*parts.values(), new_referrer))
    if not forms_ok:
        return None
    referral_form = parts["referral_form"]
    try:
        with transaction.atomic():  # a new referrer is written only with the referral
            referral_data = referral_form.referral_data()
            if new_referrer.adding:
                referral_data["referrer"] = new_referrer.create(by=request.user)
            return services.referral_receive(
                by=request.user,
                patient=parts["patient_form"].cleaned_data,
                referral=referral_data,
                diagnoses=filled(parts["diagnoses"]),
                trials=filled(parts["trials"]),
                channel=referral_form.cleaned_data["channel"],
                attachments=parts["attachments_form"].attachment_data(),
            )
    except ValidationError as exc:
        put_back(
            exc,
            {"patient": parts["patient_form"], "referral": referral_form, "attachments": parts["attachments_form"],
             "referrer": new_referrer},
            {"diagnoses": filled_forms(parts["diagnoses"]), "trials": filled_forms(parts["trials"])},
        )  # fmt: skip
        return None
