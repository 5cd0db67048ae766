"""The liaison's task list: the three sections with their first rows, or one section's pages (task_list.py)."""

from django.http import Http404
from django.middleware.csrf import get_token
from django.shortcuts import render

from liaison.accounts.access import allowed
from liaison.crm import queries, task_list


@allowed("crm.read")
def tasks(request):
    who = "all" if request.GET.get("who") == "all" else "me"
    token = get_token(request) if queries.can_write(request.user) else None
    key = request.GET.get("section")
    context = {"who": who, "can_write": token is not None, "per_page": task_list.PER_PAGE}
    if key:
        if key not in task_list.SECTIONS:
            raise Http404("No such section of the task list.")
        section, page = task_list.section_page(
            user=request.user, who=who, key=key, number=request.GET.get("page"), csrf_token=token
        )
        context |= {"sections": [section], "page": page, "section": key}
    else:
        context["sections"] = task_list.task_sections(user=request.user, who=who, csrf_token=token)
    return render(request, "crm/tasks.html", context)
