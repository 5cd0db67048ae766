from django import forms
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import redirect, render

from liaison.accounts.choices import Role
from liaison.core.models import AuditEvent
from liaison.core.permissions import role_required

AUDIT_PAGE_SIZE = 100


@login_required
def home(request):
    if request.user.role == Role.LIAISON:
        return redirect("crm:tasks")
    if request.user.is_outside:
        return redirect("intake:portal")
    return redirect("referrals:inbox")


def health(request):
    """One trivial query: for load balancers, and the floor the benchmarks measure against."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return HttpResponse("ok", content_type="text/plain")


class AuditFilterForm(forms.Form):
    actor = forms.CharField(required=False, label="Who (username)")
    action = forms.CharField(required=False)
    object_type = forms.CharField(required=False, label="Record type")
    object_id = forms.CharField(required=False, label="Record id")
    patient_id = forms.IntegerField(required=False, min_value=1, label="Patient id")
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="From")
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="To")
    after = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "The end date is before the start date.")
        return data


@role_required(Role.ADMIN)
def audit(request):
    """The audit trail, newest first, with filters. Read-only: no page edits or deletes a row."""
    form = AuditFilterForm(request.GET or None)
    # A filter that does not make sense shows its error and no rows, never the whole unfiltered trail.
    rows = AuditEvent.objects.none() if form.is_bound and not form.is_valid() else AuditEvent.objects.all()
    after = 0
    if form.is_valid():
        data = form.cleaned_data
        exact = {
            "actor_label": data["actor"],
            "action": data["action"],
            "object_type": data["object_type"],
            "object_id": data["object_id"],
            "patient_id": data["patient_id"],
        }
        rows = rows.filter(**{k: v for k, v in exact.items() if v not in ("", None)})
        if data["since"]:
            rows = rows.filter(at__date__gte=data["since"])
        if data["until"]:
            rows = rows.filter(at__date__lte=data["until"])
        after = data["after"] or 0
    page = list(rows.order_by("-at", "-id")[after : after + AUDIT_PAGE_SIZE + 1])
    query = request.GET.copy()
    query.pop("after", None)
    context = {
        "form": form,
        "rows": page[:AUDIT_PAGE_SIZE],
        "next_after": after + AUDIT_PAGE_SIZE if len(page) > AUDIT_PAGE_SIZE else None,
        "prev_after": max(after - AUDIT_PAGE_SIZE, 0) if after else None,
        "query": query.urlencode(),
    }
    return render(request, "core/audit.html", context)
