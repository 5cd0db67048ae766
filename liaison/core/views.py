from django.db import connection
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from liaison.core import audit_report
from liaison.core.audit import audit_log
from liaison.core.audit_report import AuditFilterForm
from liaison.core.models import AuditEvent
from liaison.core.permissions import allowed

AUDIT_PAGE_SIZE = audit_report.PAGE_SIZE


@allowed("site.home")
def home(request):
    return redirect(request.user.home_page)  # each role's landing page is the accounts app's to say


@allowed("site.health")
def health(request):
    """One trivial query: for load balancers, and the floor the benchmarks measure against."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return HttpResponse("ok", content_type="text/plain")


@allowed("audit.read")
def audit(request):
    """The audit report, newest first, with filters. Read-only: no page edits or deletes a row. Opening it is
    on the trail itself (after the rows are read, so a page never lists its own opening)."""
    form = AuditFilterForm(request.GET or None)
    context = _audit_page(request, form)
    _audit_the_report(request, form, "audit_view", shown=len(context["rows"]))
    return render(request, "core/audit.html", context)


@allowed("audit.read")
def audit_export(request):
    """The filtered rows as CSV, streamed a chunk at a time. Bad filters: the page with their errors, no file."""
    form = AuditFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        _audit_the_report(request, form, "audit_view", shown=0)
        return render(request, "core/audit.html", _audit_page(request, form), status=400)
    data = form.cleaned_data if form.is_bound else {}
    exported = _audit_the_report(request, form, "audit_export")
    rows = audit_report.audit_rows(data).filter(id__lt=exported.id)
    response = StreamingHttpResponse(audit_report.csv_lines(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-trail-{timezone.localdate():%Y-%m-%d}.csv"'
    return response


def _audit_page(request, form: AuditFilterForm) -> dict:
    # A filter that does not make sense shows its error and no rows, never the whole unfiltered trail.
    valid = form.is_valid() if form.is_bound else True
    after = (form.cleaned_data.get("after") or 0) if form.is_bound and valid else 0
    rows = audit_report.audit_rows(form.cleaned_data if form.is_bound else {}) if valid else AuditEvent.objects.none()
    page = list(rows[after : after + AUDIT_PAGE_SIZE + 1])
    for row in page:
        row.summary = audit_report.summary(row)
    audit_report.name_accounts(page)
    query = request.GET.copy()
    query.pop("after", None)
    return {
        "form": form,
        "filters_html": audit_report.filters_html(request, form),
        "rows": page[:AUDIT_PAGE_SIZE],
        "rows_html": audit_report.rows_html(page[:AUDIT_PAGE_SIZE]),
        "next_after": after + AUDIT_PAGE_SIZE if len(page) > AUDIT_PAGE_SIZE else None,
        "prev_after": max(after - AUDIT_PAGE_SIZE, 0) if after else None,
        "query": query.urlencode(),
        "actions": audit_report.actions_present(),
    }


def _audit_the_report(request, form: AuditFilterForm, action: str, **detail):
    filters = form.filters() if form.is_bound else {}
    errors = sorted(form.errors) if form.is_bound and not form.is_valid() else []
    extra = {"refused_filters": errors} if errors else {}
    return audit_log(
        actor=request.user, action=action, object_type="core.auditevent", detail={"filters": filters, **detail, **extra}
    )
