"""The liaison's task list: the three sections with their first rows, or the list as its address says (window,
kind, whose, sort, size: task_list.task_page); and the bulk actions on its rows, mark done and reassign, each row
through the same service as the single action (lists.BulkSummary)."""

from django.core.exceptions import ValidationError
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from liaison.accounts.access import allowed
from liaison.accounts.models import User
from liaison.core import lists
from liaison.crm import queries, services, task_list
from liaison.crm.choices import TaskKind, TaskStatus
from liaison.crm.models import Task

BULK_FORM = "task-bulk"
LIST_PARAMS = ("window", "section", "kind", "sort", "size", "page")  # any of these: the list, not the sections


def _view(query) -> task_list.View:
    """The list as its address says; `section` is the window's older name, `who=me` the older "mine"."""
    window = lists.choice(query, "window", task_list.SECTIONS) or lists.choice(query, "section", task_list.SECTIONS)
    who = lists.choice(query, "who", [*task_list.WHO, "me"], "mine")
    return task_list.View(
        who="all" if who == "all" else "me",
        window=window,
        kind=lists.choice(query, "kind", TaskKind.values),
        sort=task_list.SORTING.parse(query.get("sort")),
        size=lists.page_size(query, task_list.PER_PAGE),
    )


def task_owners() -> list[User]:
    """The people a task may be given to (services.OWNER_ROLES), by name. Asked on the reassign step only, so the
    list itself costs no query for them."""
    return list(User.objects.filter(role__in=services.OWNER_ROLES, is_active=True).order_by("first_name", "last_name"))


@allowed("crm.read")
def tasks(request):
    try:
        view = _view(request.GET)
    except lists.ListError as exc:
        return lists.list_error(request, exc)
    token = get_token(request) if queries.can_write(request.user) else None
    select = BULK_FORM if token else ""
    query = request.GET
    listing = any(name in query for name in LIST_PARAMS)
    context = {
        "who": "all" if view.who == "all" else "mine",
        "view": view,
        "listing": listing,
        "can_write": token is not None,
        "bulk_form": select,
        "per_page": task_list.PER_PAGE,
        "windows": list(task_list.WINDOWS.items()),
        "kinds": TaskKind.choices,
        "whos": list(task_list.WHO.items()),
        "sort": view.sort if listing else None,
        "size": view.size,
        "here": request.get_full_path(),
        "links": {
            "mine": "?" + lists.query_without(query, "page", who="mine"),
            "all": "?" + lists.query_without(query, "page", who="all"),
            "sections": "?" + lists.query_without(query, *LIST_PARAMS),
        },
    }
    if listing:
        section, page = task_list.task_page(
            user=request.user, view=view, number=query.get("page"), csrf_token=token, select=select
        )
        context |= {"sections": [section], "page": page}
        context["links"] |= {
            "earlier": "?" + lists.query_without(query, page=page.number - 1),
            "later": "?" + lists.query_without(query, page=page.number + 1),
        }
    else:
        context["sections"] = task_list.task_sections(user=request.user, who=view.who, csrf_token=token, select=select)
        for section in context["sections"]:
            section.link = "?" + lists.query_without(query, "section", window=section.key)
    return render(request, "crm/tasks.html", context)


# ---------------------------------------------------------------- bulk actions

BULK = {"done": "Mark done", "reassign": "Reassign"}


def _label(task: Task) -> str:
    rel = task.relationship
    with_whom = rel.referrer.display_name if rel.referrer_id else rel.practice.name
    return f"{task.title} ({with_whom})"


def _bulk_request(data) -> tuple[str, list[Task], User | None]:
    """The action, its tasks and (to reassign) the new owner; ValidationError naming each part that is wrong,
    before any task is touched."""
    errors: dict[str, list[str]] = {}
    action = (data.get("action") or "").strip()
    if action not in BULK:
        errors["action"] = [f"Choose what to do with the selected tasks: {' or '.join(BULK.values()).lower()}."]
    owner = None
    raw = (data.get("owner") or "").strip()
    if action == "reassign" and (raw or data.get("confirm") == "1"):  # no one named yet: the step that asks whom
        people = User.objects.filter(role__in=services.OWNER_ROLES, is_active=True)
        owner = people.filter(pk=raw).first() if raw.isdigit() else None
        if owner is None:
            errors["owner"] = ["Choose who takes the tasks: a liaison, the director or an administrator."]
    try:
        ids = lists.selected_ids(data)
    except ValidationError as exc:
        errors |= exc.message_dict
        ids = []
    found = {t.pk: t for t in Task.objects.select_related("relationship__referrer", "relationship__practice")
             .filter(pk__in=ids)}  # fmt: skip
    if missing := [str(i) for i in ids if i not in found]:
        errors["ids"] = [f"No task has the number {', '.join(missing)}; the list may have changed: open it again."]
    if errors:
        raise ValidationError(errors)
    return action, [found[i] for i in ids], owner


def _reassign_page(request, chosen: list[Task], back: str, *, error: str = ""):
    """The reassign step: the tasks and the choice of whom; again with `error` (400) when no one was chosen."""
    context = {"rows": [_label(t) for t in chosen], "ids": [t.pk for t in chosen], "owners": task_owners()}
    return render(
        request, "crm/tasks_reassign.html", context | {"back": back, "error": error}, status=400 if error else 200
    )


def _done(by):
    def change(task: Task) -> None:
        if task.status != TaskStatus.OPEN:
            raise ValidationError("It is done already.")
        services.task_complete(task=task, by=by)

    return change


@allowed("crm.write")
@require_POST
def tasks_bulk(request):
    """Mark the selected tasks done, or give them to someone: a confirmation first, then each task through
    services.task_complete or services.task_reassign, and a summary of what changed and what did not."""
    back = lists.back_to(request, reverse("crm:tasks"))
    try:
        action, chosen, owner = _bulk_request(request.POST)
    except ValidationError as exc:
        if set(exc.message_dict) == {"owner"}:  # the tasks are fine, no one (or no one who may) was chosen: ask again
            tasks = Task.objects.select_related("relationship__referrer", "relationship__practice")
            chosen = list(tasks.filter(pk__in=lists.selected_ids(request.POST)).order_by("pk"))
            return _reassign_page(request, chosen, back, error=exc.message_dict["owner"][0])
        problems = [m for msgs in exc.message_dict.values() for m in msgs]
        context = {"errors": problems, "fields": list(exc.message_dict), "back": back}
        return render(request, "crm/tasks_bulk_refused.html", context, status=400)
    if action == "reassign" and owner is None:  # the confirmation, with the choice of whom
        return _reassign_page(request, chosen, back)
    if request.POST.get("confirm") != "1":
        them = "this task" if len(chosen) == 1 else f"these {len(chosen)} tasks"
        it = "it" if len(chosen) == 1 else "them"
        said = f"Mark {them} done?" if action == "done" else f"Give {them} to {owner}?"
        return lists.confirm_page(
            request, title=f"{BULK[action]}: {len(chosen)} task{'' if len(chosen) == 1 else 's'}",
            action=reverse("crm:tasks_bulk"), rows=[_label(t) for t in chosen],
            hidden=[("action", action), *(("ids", t.pk) for t in chosen), *([("owner", owner.pk)] if owner else [])],
            button=f"Mark {it} done" if action == "done" else f"Give {it} to {owner}", back=back,
            explain=f"{said} Nothing has changed yet.",
        )  # fmt: skip
    if action == "done":
        summary = lists.BulkSummary().run(chosen, _label, _done(request.user))
        summary.tell(request, "Marked done", ("task", "tasks"))
    else:
        change = lambda task: services.task_reassign(task=task, owner=owner, by=request.user)  # noqa: E731
        summary = lists.BulkSummary().run(chosen, _label, change)
        summary.tell(request, f"Gave {owner}", ("task", "tasks"))
    return redirect(back)
