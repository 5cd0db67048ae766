from django.core.paginator import Paginator
from django.db.models import Count, Max
from django.shortcuts import render

from liaison.accounts.access import allowed
from liaison.directory.models import Referrer
from liaison.referrals.models import Referral

PAGE_SIZE = 100


@allowed("directory.read")
def referrers(request):
    """The referring clinicians by name, a page at a time, with their referral counts: no patient data, so
    liaisons see it too. The counts are taken for the page's referrers only (one grouped query on the
    referrals' referrer index), not for the whole directory."""
    people = Referrer.objects.select_related("practice", "taxonomy").order_by("last_name", "first_name", "id")
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    counts = {
        c["referrer_id"]: c
        for c in Referral.objects.filter(referrer_id__in=[r.pk for r in rows])
        .values("referrer_id")
        .annotate(n=Count("id"), last=Max("received_at"))
        .order_by()
    }
    for r in rows:
        r.referral_count = counts.get(r.pk, {}).get("n", 0)
        r.last_referral_at = counts.get(r.pk, {}).get("last")
    return render(request, "directory/referrers.html", {"referrers": rows, "page": page})
