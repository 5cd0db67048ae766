"""The liaison's pages: one referrer, a practice, meetings, tasks and the network (the target lists are in
target_views.py). Every view checks the role; every record comes through queries.py; every write through
services.py. No page here shows a patient's name or clinical detail."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from liaison.accounts.access import allowed
from liaison.core.models import Clinic
from liaison.crm import forms as forms_module
from liaison.crm import invites, meetings, network_queries, network_rows, queries, relationship_rows, services
from liaison.crm.forms import (
    ConcernForm,
    DraftForm,
    InteractionForm,
    MeetingForm,
    MeetingNotesForm,
    RelationshipForm,
    TaskForm,
)
from liaison.crm.models import Concern, OutreachTemplate
from liaison.crm.relationship_panels import owners_and_templates, panels_and_choices

FORMS = {"update": RelationshipForm, "log": InteractionForm, "concern": ConcernForm, "meeting": MeetingForm,
         "task": TaskForm}  # fmt: skip


def _clinic_name(request) -> str:
    clinic = Clinic.objects.first()
    return clinic.name if clinic else ""


def _errors_into(form, exc: ValidationError) -> None:
    for field, problems in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, problems)


# ---------------------------------------------------------------- one referrer


HISTORY_SHOWN = 20  # the newest contacts on the page; "?history=more" shows up to HISTORY_MORE
HISTORY_MORE = 200
CLINICIANS_SHOWN = 200  # a practice's clinicians by name on its page
LIST_SHOWN = 20  # open tasks, meetings, concerns: the first this many, then a line that there are more


def _relationship(*, referrer=None, practice=None):
    """The relationship record (read with the referrer or practice, queries.referrer_get and practice_get), made
    the first time it is needed; it knows its referrer or practice without reading it again."""
    held = referrer if referrer is not None else practice
    found = getattr(held, "relationship", None) or services.relationship_ensure(referrer=referrer, practice=practice)
    setattr(found, "referrer" if referrer is not None else "practice", held)
    return found


def _owner_choices() -> list:
    """The liaisons who may own a relationship or a task, read once for both forms' lists."""
    return [("", "---------"), *((user.pk, str(user)) for user in forms_module.liaisons())]


def _forms_html(forms: dict, choices: tuple[list, list] | None = None) -> dict:
    """Each form's fields; the owner and template lists set from one read of both (decision 0031), or `choices`
    when the page read them with its panels."""
    found, templates = choices or owners_and_templates()
    owners = [("", "---------"), *found]
    forms["update"].fields["owner"].choices = owners
    forms["task"].fields["owner"].choices = owners
    forms["draft"].fields["template"].choices = templates
    fields = relationship_rows.fields_html
    return {
        "log_row": fields(forms["log"], exclude=("summary",)),
        "log_summary": fields(forms["log"], ["summary"]),
        "task": fields(forms["task"]),
        "meeting": fields(forms["meeting"]),
        "draft": fields(forms["draft"], ["template"]),
        "concern": fields(forms["concern"]),
        "update": fields(forms["update"]),
    }


def _shown(items: list, limit: int) -> tuple[list, bool]:
    return items[:limit], len(items) > limit


def _referrer_context(request, referrer, forms=None):
    relationship = _relationship(referrer=referrer)
    health = getattr(referrer, "health", None)  # None until the first refresh
    can_write = queries.can_write(request.user)
    history_limit = HISTORY_MORE if request.GET.get("history") == "more" else HISTORY_SHOWN
    # one query for the four lists (and, for a writer, the forms' owners and templates)
    (history, tasks, meetings, concerns), choices = panels_and_choices(
        relationship, history=history_limit + 1, limit=LIST_SHOWN + 1, choices=can_write
    )
    history, more_history = _shown(history, history_limit)
    tasks, more_tasks = _shown(tasks, LIST_SHOWN)
    concerns, more_concerns = _shown(concerns, LIST_SHOWN)
    context = {
        "referrer": referrer,
        "rel": relationship,
        "health": health,
        "summary": queries.referral_summary(user=request.user, referrer=referrer),
        "history_html": relationship_rows.history_rows_html(history),
        "history_empty": not history,
        "more_history": more_history and history_limit == HISTORY_SHOWN,
        "history_limit": history_limit if more_history else None,
        "tasks": tasks,
        "more_tasks": more_tasks,
        "meetings": meetings[:LIST_SHOWN],
        "concerns": concerns,
        "more_concerns": more_concerns,
        "can_write": can_write,
        "now": timezone.now(),
    }
    if can_write:
        forms = {
            "update": RelationshipForm(instance=relationship, initial={"stage": relationship.stage}),
            "log": InteractionForm(),
            "concern": ConcernForm(),
            "meeting": MeetingForm(),
            "task": TaskForm(),
            "draft": DraftForm(),
            **(forms or {}),
        }
        context["forms_html"] = _forms_html(forms, choices)
    return context


@allowed("crm.read")
def referrer(request, pk: int):
    item = queries.referrer_get(user=request.user, pk=pk)
    if request.method == "POST":
        if not queries.can_write(request.user):
            raise PermissionDenied("Your role may read this page but not change it.")
        return _referrer_post(request, item)
    return render(request, "crm/referrer.html", _referrer_context(request, item))


def _referrer_post(request, item):
    action = request.POST.get("action", "")
    relationship = _relationship(referrer=item)
    if action == "resolve":
        concern = Concern.objects.filter(pk=request.POST.get("concern") or 0, relationship=relationship).first()
        if concern:
            services.concern_resolve(concern=concern, by=request.user)
        return redirect("crm:referrer", pk=item.pk)
    form_class = FORMS.get(action)
    if form_class is None:
        return HttpResponse("Unknown action.", status=400)
    form = (
        form_class(request.POST, instance=relationship) if form_class is RelationshipForm else form_class(request.POST)
    )
    if form.is_valid():
        try:
            message = ACTIONS[action](request, relationship, item, form.cleaned_data)
        except ValidationError as exc:
            _errors_into(form, exc)
        else:
            messages.success(request, message)
            return redirect("crm:referrer", pk=item.pk)
    relationship.refresh_from_db()  # the record as saved, not as the refused form left it
    context = _referrer_context(request, item, {action: form})
    context["open_form"] = action
    return render(request, "crm/referrer.html", context, status=400)


def _do_update(request, relationship, item, data):
    stage = data.pop("stage")
    services.relationship_update(relationship=relationship, by=request.user, data=data, stage=stage)
    return "Saved."


def _do_log(request, relationship, item, data):
    services.interaction_log(relationship=relationship, by=request.user, **data)
    return "Logged."


def _do_concern(request, relationship, item, data):
    services.concern_add(relationship=relationship, by=request.user, **data)
    return "Concern noted."


def _do_meeting(request, relationship, item, data):
    meeting = meetings.meeting_schedule(relationship=relationship, by=request.user, **data)
    return f"Meeting arranged; the thank-you is due {timezone.localtime(meeting.ends_at):%b %-d} + 48 hours."


def _do_task(request, relationship, item, data):
    services.task_create(by=request.user, referrer_id=item.pk, **data)
    return "Task added."


ACTIONS = {"update": _do_update, "log": _do_log, "concern": _do_concern, "meeting": _do_meeting, "task": _do_task}


@allowed("crm.write")
def draft(request, pk: int):
    item = queries.referrer_get(user=request.user, pk=pk)
    form = DraftForm(request.GET or None)
    template = (
        form.cleaned_data["template"] if form.is_valid() else OutreachTemplate.objects.filter(is_active=True).first()
    )
    subject, body = ("", "")
    if template is not None:
        subject, body = queries.draft_email(
            template=template, referrer=item, liaison=request.user, clinic_name=_clinic_name(request)
        )
    return render(
        request,
        "crm/draft.html",
        {"referrer": item, "form": form, "template": template, "subject": subject, "body": body,
         "log_form": InteractionForm(initial={"kind": "email", "strategy": template.strategy if template else "",
                                              "summary": subject})},
    )  # fmt: skip


# ---------------------------------------------------------------- practices


@allowed("crm.read")
def practice(request, pk: int):
    item = queries.practice_get(user=request.user, pk=pk)
    relationship = _relationship(practice=item)
    form = RelationshipForm(instance=relationship, initial={"stage": relationship.stage})
    if request.method == "POST":
        if not queries.can_write(request.user):
            raise PermissionDenied("Your role may read this page but not change it.")
        form = RelationshipForm(request.POST, instance=relationship)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                services.relationship_update(
                    relationship=relationship, by=request.user, data=data, stage=data.pop("stage")
                )
            except ValidationError as exc:
                _errors_into(form, exc)
            else:
                messages.success(request, "Saved.")
                return redirect("crm:practice", pk=item.pk)
    clinicians = queries.practice_clinicians(user=request.user, practice=item, limit=CLINICIANS_SHOWN + 1)
    can_write = queries.can_write(request.user)
    if can_write:
        form.fields["owner"].choices = _owner_choices()
    context = {"practice": item, "rel": relationship, "can_write": can_write, "form": form,
               "form_html": relationship_rows.fields_html(form) if can_write else "",
               "clinicians_html": relationship_rows.clinician_rows_html(clinicians[:CLINICIANS_SHOWN]),
               "clinicians_empty": not clinicians, "more_clinicians": len(clinicians) > CLINICIANS_SHOWN,
               "clinicians_shown": CLINICIANS_SHOWN}  # fmt: skip
    return render(request, "crm/practice.html", context, status=400 if form.errors else 200)


# ---------------------------------------------------------------- meetings


@allowed("crm.read")
def meeting(request, pk: int):
    item = queries.meeting_get(user=request.user, pk=pk)
    initial = {name: getattr(item, name) for name in meetings.AGENDA_FIELDS}
    form = MeetingNotesForm(initial={**initial, "next_step": item.next_step, "held": True})
    if request.method == "POST":
        if not queries.can_write(request.user):
            raise PermissionDenied("Your role may read this page but not change it.")
        if "cancel" in request.POST:
            meetings.meeting_cancel(meeting=item, by=request.user)
            messages.success(request, "Meeting cancelled; its thank-you task too.")
            return redirect("crm:meeting", pk=item.pk)
        form = MeetingNotesForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            concerns = [(tag, data["concern_note"]) for tag in data["concerns"]]
            try:
                meetings.meeting_record(meeting=item, by=request.user, notes=form.notes(), next_step=data["next_step"],
                                        concerns=concerns, held=data["held"])  # fmt: skip
            except ValidationError as exc:
                _errors_into(form, exc)
            else:
                messages.success(request, "Meeting notes saved.")
                return redirect("crm:meeting", pk=item.pk)
    context = {"meeting": item, "form": form, "rel": item.relationship, "can_write": queries.can_write(request.user)}
    return render(request, "crm/meeting.html", context, status=400 if form.errors else 200)


@allowed("crm.read")
def meeting_invite(request, pk: int):
    item = queries.meeting_get(user=request.user, pk=pk)
    body = invites.meeting_ics(item, clinic_name=_clinic_name(request), host=request.get_host().split(":")[0])
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="meeting-{item.pk}.ics"'
    return response


# ---------------------------------------------------------------- tasks (task_views.py) and the network


@allowed("crm.write")
@require_POST
def task_done(request, pk: int):
    task = queries.task_get(user=request.user, pk=pk)
    services.task_complete(task=task, by=request.user)
    messages.success(request, f"Done: {task.title}.")
    return redirect(request.POST.get("next") if request.POST.get("next", "").startswith("/crm/") else "crm:tasks")


@allowed("crm.read")
def network(request):
    summary = network_queries.network_summary(user=request.user)
    rows = {
        "at_risk_html": network_rows.at_risk_rows_html(summary["at_risk"]),
        "key_html": network_rows.key_rows_html(summary["key"]),
    }
    return render(request, "crm/network.html", {**summary, **rows})
