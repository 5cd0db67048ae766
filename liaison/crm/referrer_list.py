"""The referrers page (/directory/referrers/): the referring clinicians by name, with their referral counts.

It reads the directory and the CRM's health rows; so it sits here, above both, and the directory app stays below
referrals. Its address and URL name (`directory:referrers`) are unchanged: see referrer_list_urls.
"""

from django.contrib.humanize.templatetags.humanize import naturalday
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from liaison.accounts.access import allowed
from liaison.directory.models import Referrer

PAGE_SIZE = 100
ORDER = ("last_name", "first_name", "id")  # served by the index directory.referrer_name_order
FIELDS = (
    "pk", "npi", "first_name", "last_name", "credential", "source_type", "shared_care_model", "taxonomy__display_name",
    "practice__name", "health__total_referrals", "health__last_referral_at",
)  # fmt: skip
ROW = (
    '<tr><td>{name}<div class="muted small">NPI {npi}</div></td><td>{specialty}</td><td>{source}</td>'
    '<td>{practice}</td><td>{shared_care}</td><td class="num">{referrals}</td><td>{last}</td></tr>'
)


def page_rows(page_ids: list[int]) -> list[dict]:
    """The page's referrers, by id, in the page's order: one query joining practice, specialty and the health
    row, whose counts (refreshed after every referral and nightly) stand in for a count over referrals."""
    found = {r["pk"]: r for r in Referrer.objects.filter(pk__in=page_ids).order_by().values(*FIELDS)}
    return [found[pk] for pk in page_ids if pk in found]


def _row(r: dict, labels: dict[str, dict]) -> str:
    name = f"{r['first_name']} {r['last_name']}"  # as Referrer.display_name writes it
    last = r["health__last_referral_at"]
    return ROW.format(
        name=escape(f"{name}, {r['credential']}" if r["credential"] else name), npi=escape(r["npi"]),
        specialty=escape(r["taxonomy__display_name"] or ""),
        source=escape(labels["source_type"].get(r["source_type"], r["source_type"])),
        practice=escape(r["practice__name"] or "—"),
        shared_care=escape(labels["shared_care_model"].get(r["shared_care_model"], r["shared_care_model"])),
        referrals=r["health__total_referrals"] or 0,
        last=escape(naturalday(timezone.localtime(last), "M j, Y")) if last else "—",
    )  # fmt: skip


def rows_html(rows: list[dict]) -> SafeString:
    """The page's rows, written here rather than by the template (the target list's approach: a hundred rows of
    template cells cost more than the queries). Every value from the database goes through escape()."""
    labels = {f: {str(k): str(v) for k, v in Referrer._meta.get_field(f).flatchoices} for f in FIELDS[5:7]}
    return mark_safe("\n".join(_row(r, labels) for r in rows))  # noqa: S308  (escaped above)


@allowed("directory.read")
def referrers(request):
    """The referring clinicians by name, a page at a time, with their referral counts: no patient data, so
    liaisons see it too. The page's ids come from the directory's name index alone (an index-only scan, however
    deep the page), then its rows by id (page_rows): three queries whatever the page and the history."""
    by_name = Referrer.objects.order_by(*ORDER).values_list("pk", flat=True)
    page = Paginator(by_name, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = page_rows(list(page.object_list))
    return render(request, "crm/referrer_list.html", {"referrers": rows, "rows_html": rows_html(rows), "page": page})
