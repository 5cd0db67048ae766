"""The referrers page (/directory/referrers/): the referring clinicians by name, with their referral counts.

It reads the directory and, through referrals' queries, the counts; so it sits here, above both, and the directory
app stays below referrals. Its address and URL name (`directory:referrers`) are unchanged: see referrer_list_urls.
"""

from django.core.paginator import Paginator
from django.shortcuts import render

from liaison.accounts.access import allowed
from liaison.directory.models import Referrer
from liaison.referrals.queries import referral_counts_by_referrer

PAGE_SIZE = 100


@allowed("directory.read")
def referrers(request):
    """The referring clinicians by name, a page at a time, with their referral counts: no patient data, so
    liaisons see it too. The counts are taken for the page's referrers only (one grouped query on the
    referrals' referrer index), not for the whole directory."""
    people = Referrer.objects.select_related("practice", "taxonomy").order_by("last_name", "first_name", "id")
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    counts = referral_counts_by_referrer([r.pk for r in rows])
    for r in rows:
        r.referral_count, r.last_referral_at = counts.get(r.pk, (0, None))
    return render(request, "crm/referrer_list.html", {"referrers": rows, "page": page})
