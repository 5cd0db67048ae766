from django.db.models import Count, Max
from django.shortcuts import render

from liaison.accounts.choices import STAFF_ROLES
from liaison.core.permissions import role_required
from liaison.directory.models import Referrer


@role_required(*STAFF_ROLES)
def referrers(request):
    """The referring clinicians with their referral counts: no patient data, so liaisons see it too."""
    rows = (
        Referrer.objects.select_related("practice", "taxonomy")
        .annotate(referral_count=Count("referrals"), last_referral_at=Max("referrals__received_at"))
        .order_by("last_name", "first_name")[:500]
    )
    return render(request, "directory/referrers.html", {"referrers": rows})
