from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_POST

from liaison.accounts.access import CLINICAL_TEAM, allowed, may
from liaison.accounts.choices import Role
from liaison.core import lists
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
from liaison.referrals.services import BOOK_FIRST

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
        # The care team, read once: the owner filter's names and the bulk bar's two lists (the single assign form's).
        self.staff = list(queries.staff_choices(*CLINICAL_TEAM)) if user.sees_all_referrals else []
        owners += [(str(u.pk), str(u)) for u in self.staff]
        self.fields["owner"].choices = owners

    def filters(self, *, sort=None, size: int = queries.INBOX_PAGE_SIZE) -> queries.InboxFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return queries.InboxFilters(
            status=data.get("status") or "open",
            source_type=data.get("source_type") or "",
            owner=data.get("owner") or "",
            overdue=bool(data.get("overdue")),
            after=data.get("after") or 0,
            size=size,
            sort=sort,
        )


def _team(staff) -> tuple[list, list]:
    """The single assign form's two lists (_detail_context): coordinators, and clinicians with the director."""
    coordinators = [u for u in staff if u.role == Role.COORDINATOR]
    clinicians = [u for u in staff if u.role in (Role.CLINICIAN, Role.DIRECTOR)]
    return coordinators, clinicians


@allowed("referral.list")
def inbox(request):
    form = InboxFilterForm(request.GET or None, user=request.user)
    try:
        sort = queries.INBOX_SORTING.parse(request.GET.get("sort"))
        size = lists.page_size(request.GET, queries.INBOX_PAGE_SIZE)
        # An unknown status is named, not dropped: the form alone would fall back to every open referral.
        lists.choice(request.GET, "status", [value for value, _ in STATUS_FILTERS])
        filters = form.filters(sort=sort, size=size)
        rows = queries.referral_list(user=request.user, filters=filters)
    except lists.ListError as exc:
        return lists.list_error(request, exc)
    page, has_next = rows[:size], len(rows) > size
    query = request.GET.copy()
    query.pop("after", None)
    may_assign = may(request.user, "referral.assign")
    coordinators, clinicians = _team(form.staff) if may_assign else ([], [])
    sortable = filters.sortable()
    context = {
        "form": form,
        "referrals": page,
        "rows_html": inbox_rows_html(page, pick=BULK_FORM if may_assign else ""),
        "filters_html": inbox_filters_html(request, form),
        "first": filters.after + 1,
        "last": filters.after + len(page),
        "next_after": filters.after + size if has_next else None,
        "prev_after": max(filters.after - size, 0) if filters.after else None,
        "query": query.urlencode(),
        "sort": sort,
        "sorted": bool(request.GET.get("sort")),
        "sortable": {key: True for key in sortable},
        "keep_sort": sort.key in queries.INDEXED_SORTS and bool(request.GET.get("sort")),
        "size": size,
        "sized": bool(request.GET.get("size")),
        "unsorted_query": lists.query_without(request.GET, "sort", "after"),
        "mine_query": lists.query_without(request.GET, "owner", "after", owner="me"),
        "unassigned_query": lists.query_without(request.GET, "owner", "after", owner="unassigned"),
        "owner": filters.owner,
        "bulk_form": BULK_FORM if may_assign else "",
        "coordinators": coordinators,
        "clinicians": clinicians,
    }
    template = "referrals/_inbox_rows.html" if request.htmx else "referrals/inbox.html"
    # One audit row for what the page shows: the referrals, and the open safety alerts above them in the row's detail
    # under their own record type (care_tags.care_alerts; decisions 0032 and 0034).
    detail = {"referrals": [r["id"] for r in page], "filters": request.GET.dict()}
    with audited_page(actor=request.user, action="list", object_type="referrals.referral", detail=detail):
        return render(request, template, context)


BULK_FORM = "inbox-bulk"  # the bulk bar's form id: each row's box belongs to it by its form attribute
CLOSED_LEFT = "closed, so it will be left as it is"


@allowed("referral.assign")  # the single assign's capability: whoever may assign one referral may assign several
@require_POST
def bulk_assign(request):
    """Assign many referrals at once: the first post names them and the coordinator and/or clinician and is answered
    with a confirmation that changes nothing; the second (`confirm`) gives each referral to them through
    services.referral_assign, as the referral page does. A list left at "keep" keeps each referral's own."""
    inbox_url = reverse("referrals:inbox")
    back = lists.back_to(request, inbox_url)
    if not back.startswith(inbox_url):
        back = inbox_url
    staff = list(queries.staff_choices(*CLINICAL_TEAM))
    coordinators, clinicians = _team(staff)
    errors: list[str] = []
    try:
        ids = lists.selected_ids(request.POST)
    except ValidationError as exc:
        ids = []
        errors += [m for msgs in exc.message_dict.values() for m in msgs]
    picks = {}
    for field, people, word in (("coordinator", coordinators, "Coordinator"), ("clinician", clinicians, "Clinician")):
        value = (request.POST.get(field) or "").strip()
        chosen = next((u for u in people if str(u.pk) == value), None)
        if value and chosen is None:
            errors.append(f"{word}: choose someone from the list.")
        picks[field] = chosen
    if not errors and not any(picks.values()):
        errors.append("Choose a coordinator, a clinician or both to assign.")
    found = queries.referrals_to_assign(user=request.user, ids=ids) if ids else {}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        errors.append(f"{', '.join(f'R-{pk:06d}' for pk in missing)}: no such referral in your inbox.")
    referrals = [found[pk] for pk in ids if pk in found]
    labels = [_bulk_label(r) + ("" if r.is_open else f" — {CLOSED_LEFT}") for r in referrals]
    # One audit row for the referrals the confirmation (or the refusal) names.
    detail = {"referrals": [r.pk for r in referrals], "bulk": "assign", "confirm": bool(request.POST.get("confirm"))}
    if errors:  # the request is wrong as a whole: nothing is changed, and every problem is named
        with audited_page(actor=request.user, action="list", object_type="referrals.referral", detail=detail):
            context = {"errors": errors, "rows": labels, "back": back}
            return render(request, "referrals/bulk_refused.html", context, status=400)
    if not request.POST.get("confirm"):
        with audited_page(actor=request.user, action="list", object_type="referrals.referral", detail=detail):
            return lists.confirm_page(
                request, title="Assign referrals", action=reverse("referrals:bulk_assign"), rows=labels,
                hidden=_bulk_hidden(ids, picks), button=f"Assign {len(referrals)} referral{pluralize(len(referrals))}",
                back=back, explain=_bulk_explain(picks),
            )  # fmt: skip

    def change(referral):
        if not referral.is_open:  # closed since the page was drawn: there is no work to hand out
            raise ValidationError(f"it is closed ({Status(referral.status).label}), so it has no work to assign.")
        services.referral_assign(
            referral=referral,
            by=request.user,
            coordinator=picks["coordinator"] or referral.assigned_coordinator,
            clinician=picks["clinician"] or referral.assigned_clinician,
        )

    summary = lists.BulkSummary().run(referrals, _bulk_label, change)
    to = f"to {_bulk_names(picks)}"
    summary.tell(request, "Assigned", (f"referral {to}", f"referrals {to}"))
    return redirect(back)


def _bulk_label(referral) -> str:
    return f"{referral.reference} ({referral.patient.first_name} {referral.patient.last_name})"


def _bulk_names(picks) -> str:
    return " and ".join(f"{u} ({field})" for field, u in picks.items() if u is not None)


def _bulk_explain(picks) -> str:
    kept = [field for field, u in picks.items() if u is None]
    text = f"Each of these referrals will be assigned to {_bulk_names(picks)}"
    text += f"; each keeps its own {kept[0]}." if kept else "."
    return text + " The next action's owner follows, as on the referral's page."


def _bulk_hidden(ids, picks) -> list[tuple[str, str]]:
    hidden = [("ids", str(pk)) for pk in ids]
    return hidden + [(field, str(u.pk)) for field, u in picks.items() if u is not None]


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
