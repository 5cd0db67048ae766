from django.shortcuts import render
from django.utils.crypto import salted_hmac

from liaison.accounts.access import allowed
from liaison.core.audit import audit_log
from liaison.referrals.choices import Status
from liaison.search.parse import MAX_LENGTH, parse
from liaison.search.queries import search

STATUS_LABELS = dict(Status.choices)


def fingerprint(text: str) -> str:
    """What was typed, as a keyed hash: the audit trail can show that two searches were for the same thing, and
    someone who knows the words can check a row against them, but the trail holds no patient's name or birthday."""
    return salted_hmac("liaison.search.audit", " ".join(text.casefold().split()), algorithm="sha256").hexdigest()[:32]


@allowed("search")
def results(request):
    """The search box's page: patients with their referrals, referrers and practices, each linking to its page,
    scoped to what the asker may see. Every search that runs is on the audit trail, with what it showed."""
    text = request.GET.get("q")
    context = {"q": (text or "")[: MAX_LENGTH * 2], "max_length": MAX_LENGTH}
    if text is None:
        return render(request, "search/results.html", context)
    parsed = parse(text)
    if parsed.error:
        context["error"] = parsed.error
        return render(request, "search/results.html", context)
    found = search(user=request.user, query=parsed.query)
    for patient in found.patients:
        for referral in patient["referrals"]:
            referral["status_label"] = STATUS_LABELS.get(referral["status"], referral["status"])
    audit_log(
        actor=request.user,
        action="search",
        object_type="search",
        detail={
            "looked_for": parsed.query.looked_for,
            "fingerprint": fingerprint(text),
            "patients": [p["id"] for p in found.patients],
            "referrals": [r["id"] for p in found.patients for r in p["referrals"]],
            "referrers": [r["id"] for r in found.referrers],
            "practices": [p["id"] for p in found.practices],
        },
    )
    context |= {"results": found, "looked_for": parsed.query.looked_for, "ignored": parsed.ignored}
    return render(request, "search/results.html", context)
