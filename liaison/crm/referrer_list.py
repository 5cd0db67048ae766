"""The referrers page (/directory/referrers/): the referring clinicians, with their referral counts, sorted by a
column, filtered by source, specialty and stage, a page of a chosen size; each part of the view in the address.

It reads the directory and the CRM's health rows; so it sits here, above both, and the directory app stays below
referrals. Its address and URL name (`directory:referrers`) are unchanged: see referrer_list_urls.
"""

from django.contrib.humanize.templatetags.humanize import naturalday
from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from liaison.accounts.access import allowed
from liaison.core import lists
from liaison.crm.choices import Stage
from liaison.directory.choices import REFERRER_SOURCE_TYPES
from liaison.directory.models import Referrer, Taxonomy

PAGE_SIZE = 100
ORDER = ("last_name", "first_name", "id")  # served by the index directory.referrer_name_order
# By name walks that index (an index-only scan, however deep the page). Practice, referrals and health sort a
# bounded set: the directory's referrers (10,000 in the benchmark), their ids joined to the practice or to the
# health row, whose counts (refreshed after every referral and nightly) stand in for counting referrals.
SORTING = lists.Sorting(
    columns={
        "name": ("last_name", "first_name"),
        "practice": ("practice__name",),
        "referrals": ("health__total_referrals",),
        "health": ("health__score",),
    },
    default="name",
)
SOURCES = dict(REFERRER_SOURCE_TYPES)
STAGES = dict(Stage.choices)
FIELDS = (
    "pk", "npi", "first_name", "last_name", "credential", "source_type", "shared_care_model", "taxonomy__display_name",
    "practice__name", "health__total_referrals", "health__last_referral_at", "taxonomy_id", "health__score",
)  # fmt: skip
ROW = (
    '<tr><td><a href="{url}">{name}</a><div class="muted small">NPI {npi}</div></td><td>{specialty}</td>'
    '<td>{source}</td><td>{practice}</td><td>{shared_care}</td><td class="num">{referrals}</td><td>{last}</td>'
    '<td class="num">{score}</td></tr>'
)


def page_rows(page_ids: list[int]) -> list[dict]:
    """The page's referrers, by id, in the page's order: one query joining practice, specialty and the health
    row, whose counts (refreshed after every referral and nightly) stand in for a count over referrals."""
    found = {r["pk"]: r for r in Referrer.objects.filter(pk__in=page_ids).order_by().values(*FIELDS)}
    return [found[pk] for pk in page_ids if pk in found]


def _row(r: dict, labels: dict, query) -> str:
    name = f"{r['first_name']} {r['last_name']}"  # as Referrer.display_name writes it
    last = r["health__last_referral_at"]
    specialty = r["taxonomy__display_name"] or ""
    only = "?" + lists.query_without(query, "page", taxonomy=r["taxonomy_id"])
    return ROW.format(
        url=f"{labels['url']}{r['pk']}/", name=escape(f"{name}, {r['credential']}" if r["credential"] else name),
        npi=escape(r["npi"]),
        specialty=f'<a href="{escape(only)}" title="Only this specialty">{escape(specialty)}</a>' if specialty else "",
        source=escape(labels["source_type"].get(r["source_type"], r["source_type"])),
        practice=escape(r["practice__name"] or "—"),
        shared_care=escape(labels["shared_care_model"].get(r["shared_care_model"], r["shared_care_model"])),
        referrals=r["health__total_referrals"] or 0,
        last=escape(naturalday(timezone.localtime(last), "M j, Y")) if last else "—",
        score="—" if r["health__score"] is None else r["health__score"],
    )  # fmt: skip


def rows_html(rows: list[dict], query=None) -> SafeString:
    """The page's rows, written here rather than by the template (the target list's approach: a hundred rows of
    template cells cost more than the queries). Every value from the database goes through escape()."""
    labels: dict = {f: {str(k): str(v) for k, v in Referrer._meta.get_field(f).flatchoices} for f in FIELDS[5:7]}
    labels["url"] = reverse("crm:referrer", args=[0])[: -len("0/")]
    query = query if query is not None else QueryDict()
    return mark_safe("\n".join(_row(r, labels, query) for r in rows))  # noqa: S308  (escaped above)


def _view(query) -> dict:
    """The view as the address says; lists.ListError names a value the directory does not have. A specialty is
    looked up only when the address names one."""
    taxonomy, specialty = (query.get("taxonomy") or "").strip(), ""
    if taxonomy:
        specialty = Taxonomy.objects.filter(code=taxonomy).values_list("display_name", flat=True).first() or ""
        if not specialty:
            raise lists.ListError("taxonomy", f"There is no specialty with the code {taxonomy!r}.")
    return {
        "sort": SORTING.parse(query.get("sort")),
        "size": lists.page_size(query, PAGE_SIZE),
        "source": lists.choice(query, "source", SOURCES),
        "stage": lists.choice(query, "stage", STAGES),
        "taxonomy": taxonomy,
        "specialty": specialty,
    }


def referrer_ids(view: dict):
    """The referrers' ids in the view's order: filtered (the source on its index, the specialty on its foreign
    key's, the stage through the one relationship each referrer has), then sorted, ties broken by name and id."""
    found = Referrer.objects.all()
    if view["source"]:
        found = found.filter(source_type=view["source"])
    if view["taxonomy"]:
        found = found.filter(taxonomy_id=view["taxonomy"])
    if view["stage"]:
        found = found.filter(relationship__stage=view["stage"])
    sort = view["sort"]
    if sort.key == "name":  # the name index, walked forward or backward
        order = [f"-{name}" for name in ORDER] if sort.descending else list(ORDER)
    else:
        order = sort.order_by(*ORDER)
    return found.order_by(*order).values_list("pk", flat=True)


@allowed("directory.read")
def referrers(request):
    """The referring clinicians, a page at a time, with their referral counts: no patient data, so liaisons see
    it too. The page's ids come first (by name: from the name index alone, however deep the page), then its rows
    by id (page_rows): three queries whatever the page, its size and the history."""
    try:
        view = _view(request.GET)
    except lists.ListError as exc:
        return lists.list_error(request, exc)
    page = Paginator(referrer_ids(view), view["size"]).get_page(request.GET.get("page"))
    rows = page_rows(list(page.object_list))
    query = request.GET
    context = {
        "referrers": rows,
        "rows_html": rows_html(rows, query),
        "page": page,
        "sort": view["sort"],
        "size": view["size"],
        "view": view,
        "sources": list(SOURCES.items()),
        "stages": list(STAGES.items()),
        "links": {
            "every_specialty": "?" + lists.query_without(query, "taxonomy", "page"),
            "earlier": "?" + lists.query_without(query, page=page.number - 1),
            "later": "?" + lists.query_without(query, page=page.number + 1),
        },
    }
    return render(request, "crm/referrer_list.html", context)
