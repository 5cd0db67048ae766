"""The staff referral form's look-up of a referring clinician by name or NPI (referrer_picker): a short list of
matches for htmx to put under the search box, as choices of the form."""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from liaison.accounts.access import allowed
from liaison.referrals import referrer_picker


@allowed("referral.receive")
@require_GET
def referrer_lookup(request):
    q = request.GET.get("q", "")[:60]
    context = {"matches": referrer_picker.referrer_matches(q), "q": q, "searched": len(q.strip()) >= 2}
    return render(request, "referrals/_referrer_matches.html", context)
