"""The liaison's target lists: the filtered, sorted list of referrers and practices, saved lists, the CSV export
and the import. Every record comes through queries.py, every write through services.py; no patient data."""

import csv
from html import escape

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_POST

from liaison.accounts.access import allowed
from liaison.core.exports import safe_row
from liaison.crm import importer, queries, services
from liaison.crm.choices import Flag, Stage
from liaison.crm.forms import ImportForm, SaveListForm, TargetFilterForm
from liaison.directory.choices import PracticeType, SourceType
from liaison.directory.models import Taxonomy

ROW = (
    '<tr><td><a href="{url}">{name}</a>{leader}<div class="muted small">{source}</div></td><td>{specialty}</td>'
    '<td>{practice}</td><td class="num">{miles}</td>'
    '<td><span class="status crm-stage-{stage}">{stage_label}</span></td><td>{owner}</td>'
    '<td class="num">{referrals}</td><td>{last}</td><td>{health}</td></tr>'
)
PRACTICE = '<a href="{url}">{name}</a><div class="muted small">{kind} · {count} clinician{s}</div>'
HEALTH = (
    '<span class="crm-score crm-flag-{flag}" title="{label}">{score}</span> <span class="small muted">{label}</span>'
)
NO_HEALTH = '<span class="muted">—</span>'
LEADER = ' <span class="badge crm-leader">Opinion leader</span>'
LABELS = {
    "source": dict(SourceType.choices), "stage": dict(Stage.choices), "flag": dict(Flag.choices),
    "practice": dict(PracticeType.choices),
}  # fmt: skip


def _url_slot(name: str) -> str:
    """reverse() once per page, not once per row: the URL of record 0 with a slot for the id (our URLs of one
    record end in <int:pk>/)."""
    url = reverse(name, args=[0])
    return url[: -len("0/")] + "{}/"


def _day(at) -> str:
    """As the template's date:"M j, Y" writes it, in the clinic's time zone."""
    at = at.astimezone(timezone.get_current_timezone())
    return f"{at:%b} {at.day}, {at.year}"


def _practice_cell(r: dict, practice_url: str) -> str:
    if r["practice_id"] is None:
        return "—"
    kind = escape(LABELS["practice"].get(r["practice__practice_type"], ""))
    count = r["practice__clinician_count"]
    return PRACTICE.format(
        url=practice_url.format(r["practice_id"]), name=escape(r["practice__name"]), kind=kind, count=count,
        s="" if count == 1 else "s",
    )  # fmt: skip


def _health_cell(r: dict) -> str:
    flag = r["health__flag"]
    if flag is None:
        return NO_HEALTH
    return HEALTH.format(flag=escape(flag), label=escape(LABELS["flag"].get(flag, flag)), score=r["health__score"])


def _name(first: str, last: str, credential: str = "") -> str:
    """As Referrer.display_name and User.__str__ write it."""
    name = f"{first} {last}".strip()
    return f"{name}, {credential}" if credential else name


def _target_row(r: dict, urls: tuple[str, str], specialties: dict[str, str]) -> str:
    """One row of queries.target_list."""
    stage = r["relationship__stage"] or Stage.TARGET
    last, owner = r["health__last_referral_at"], r["relationship__owner__username"]
    if owner is not None:
        owner = _name(r["relationship__owner__first_name"], r["relationship__owner__last_name"]) or owner
    return ROW.format(
        url=urls[0].format(r["pk"]), name=escape(_name(r["first_name"], r["last_name"], r["credential"])),
        leader=LEADER if r["relationship__is_opinion_leader"] else "",
        source=escape(LABELS["source"].get(r["source_type"], r["source_type"])),
        specialty=escape(specialties.get(r["taxonomy_id"], r["taxonomy_id"])), practice=_practice_cell(r, urls[1]),
        miles="—" if r["miles"] is None else r["miles"], stage=escape(stage),
        stage_label=escape(LABELS["stage"][stage]), owner=escape(owner or "—"),
        referrals=f"{r['health__total_referrals'] or 0:,}", last=_day(last) if last else "—", health=_health_cell(r),
    )  # fmt: skip


def target_rows_html(rows: list[dict], specialties: dict[str, str]) -> SafeString:
    """The ranked list's rows (queries.target_list), written here rather than by the template: the same markup
    at a fraction of the template engine's cost per cell (fifty rows of template cells took longer than the
    query). Every value from the database goes through html.escape; the rest is our own fixed markup.
    `specialties`: taxonomy code → name, as the filter form offers them (kept for minutes, so a specialty new
    since then is looked up)."""
    urls = (_url_slot("crm:referrer"), _url_slot("crm:practice"))
    missing = {r["taxonomy_id"] for r in rows} - specialties.keys()
    if missing:
        specialties = {
            **specialties,
            **dict(Taxonomy.objects.filter(code__in=missing).values_list("code", "display_name")),
        }
    return mark_safe("\n".join(_target_row(r, urls, specialties) for r in rows))  # noqa: S308  (escaped above)


FILTERS_KEPT = 500  # forms' markup kept per process; past this many different filter choices, start again
_filters_kept: dict[tuple, str] = {}


def target_filters_html(request, form) -> str:
    """The filter form's markup, which depends only on the query string and the specialties offered: rendered
    once per process and kept, because thirteen fields of widget templates cost about as much as the rest of the
    page. Kept in the process, not the shared cache: a read from the shared cache is a query (or a trip to Redis)
    on every page, and the key holds everything the markup is made from, so no copy is ever stale."""
    query = tuple((k, tuple(v)) for k, v in sorted(request.GET.lists()))
    key = (bool(request.GET), query, tuple(form.fields["specialty"].choices))
    html = _filters_kept.get(key)
    if html is None:
        if len(_filters_kept) >= FILTERS_KEPT:
            _filters_kept.clear()
        html = _filters_kept[key] = render_to_string("crm/_target_filters.html", {"form": form}, request)
    return html


@allowed("crm.read")
def targets(request):
    form = TargetFilterForm(request.GET or None)
    filters = form.filters()
    practices = form.is_valid() and form.cleaned_data.get("kind") == "practices"
    rows = (queries.practice_targets if practices else queries.target_list)(user=request.user, filters=filters)
    page, has_next = rows[: queries.TARGET_PAGE_SIZE], len(rows) > queries.TARGET_PAGE_SIZE
    query = request.GET.copy()
    query.pop("after", None)
    context = {
        "form": form,
        "form_html": target_filters_html(request, form),
        "rows": page,
        "rows_html": None if practices else target_rows_html(page, dict(form.fields["specialty"].choices)),
        "practices": practices,
        "query": query.urlencode(),
        "next_after": filters.after + queries.TARGET_PAGE_SIZE if has_next else None,
        "prev_after": max(filters.after - queries.TARGET_PAGE_SIZE, 0) if filters.after else None,
        "saved": queries.saved_lists(user=request.user),
        "can_write": queries.can_write(request.user),
    }
    return render(request, "crm/targets.html", context)


@allowed("crm.write")
@require_POST
def targets_save(request):
    form = SaveListForm(request.POST)
    filters = TargetFilterForm(request.GET or None)
    if not filters.is_valid():
        problems = "; ".join(f"{filters.fields[f].label if f in filters.fields else f}: {' '.join(e)}"
                             for f, e in filters.errors.items())  # fmt: skip
        messages.error(request, f"The list was not saved: fix the filters first ({problems}).")
    elif not form.is_valid():
        messages.error(request, "Give the list a name.")
    else:
        try:
            query = {k: v for k, v in request.GET.items() if v and k != "after"}
            services.saved_list_create(owner=request.user, name=form.cleaned_data["name"], filters=query)
            messages.success(request, f"Saved the list “{form.cleaned_data['name']}”.")
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    return redirect(f"{reverse('crm:targets')}?{request.GET.urlencode()}")


@allowed("crm.read")
def saved_list(request, pk: int):
    saved = queries.saved_list_get(user=request.user, pk=pk)
    from django.http import QueryDict

    query = QueryDict(mutable=True)
    query.update(saved.filters)
    return redirect(f"{reverse('crm:targets')}?{query.urlencode()}")


EXPORT_COLUMNS = [
    "NPI", "Name", "Specialty", "Source", "Practice", "Practice type", "Clinicians", "ZIP", "Miles", "Stage",
    "Owner", "Referrals", "Last referral", "Health score", "Health",
]  # fmt: skip


class _Echo:
    def write(self, value):
        return value


def _export_row(r) -> list:
    rel, health = getattr(r, "relationship", None), getattr(r, "health", None)
    practice = r.practice
    return [
        r.npi, r.display_name, r.taxonomy.display_name, r.get_source_type_display(),
        practice.name if practice else "", practice.get_practice_type_display() if practice else "",
        practice.clinician_count if practice else "", practice.zip_code if practice else "",
        "" if r.miles is None else r.miles, rel.get_stage_display() if rel else "Target",
        str(rel.owner) if rel and rel.owner else "", health.total_referrals if health else 0,
        health.last_referral_at.date().isoformat() if health and health.last_referral_at else "",
        health.score if health else "", health.get_flag_display() if health else "",
    ]  # fmt: skip


@allowed("crm.read")
def targets_export(request):
    """The whole list as CSV (streamed: memory stays flat however long the list). Names and other text typed by
    people outside (the public referral form, imports) are written through safe_row, so a cell never runs as a
    spreadsheet formula."""
    form = TargetFilterForm(request.GET or None)
    qs = queries.targets_queryset(user=request.user, filters=form.filters())[: queries.EXPORT_LIMIT]
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(EXPORT_COLUMNS)
        for r in qs.iterator(chunk_size=1000):
            yield writer.writerow(safe_row(_export_row(r)))

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="targets-{timezone.localdate():%Y-%m-%d}.csv"'
    return response


@allowed("crm.write")
def targets_import(request):
    """Upload → preview with every row's problems → confirm; nothing is written before the confirm."""
    form, preview, text = ImportForm(), None, ""
    if request.method == "POST" and "confirm" in request.POST:
        text = request.POST.get("text", "")
        try:
            count = importer.targets_import(by=request.user, text=text)
        except ValidationError:
            preview = importer.read(text)
        else:
            messages.success(request, f"Imported {count} targets.")
            return redirect(f"{reverse('crm:targets')}?owner=me&stage=target")
    elif request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            text, preview = importer.read_upload(form.cleaned_data["file"].read(importer.MAX_BYTES + 1))
    return render(request, "crm/import.html", {"form": form, "preview": preview, "text": text})
