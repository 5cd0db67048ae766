from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from liaison.accounts.access import allowed
from liaison.notify import notices
from liaison.notify.choices import PATIENT_KINDS, NoticeStatus
from liaison.notify.forms import PreferencesForm
from liaison.notify.models import Notice


def panel(request) -> dict | None:
    """The account page's "Notifications" section (accounts.views.ACCOUNT_PANELS), for those who receive them: a
    link to the choices' own page, read from the signed-in user alone. The account page is the benchmarks' floor
    (bench/page_list.py), so it stays the signed-in layout and nothing more."""
    user = request.user
    if user.role not in notices.RECEIVING_ROLES:
        return None
    return {"template": "notify/_account_link.html", "has_email": bool(user.email)}


def _context(user, form) -> dict:
    failed = (
        Notice.objects.filter(recipient=user, status=NoticeStatus.FAILED)
        .exclude(kind__in=PATIENT_KINDS)
        .order_by("-created_at")
        .first()
    )
    return {"form": form, "failed": failed, "has_email": bool(user.email)}


@allowed("account.notifications")
def preferences(request):
    """One's notification choices, and saving them (the account page links here)."""
    user = request.user
    form = PreferencesForm(request.POST or None, instance=notices.preference_of(user))
    if request.method == "POST" and form.is_valid():
        try:
            notices.preferences_update(user=user, by=user, choices=form.choices())
        except ValidationError as exc:
            for field, problems in exc.message_dict.items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
        else:
            messages.success(request, "Your notification choices are saved.")
            return redirect("notify:preferences")
    status = 400 if request.method == "POST" else 200
    return render(request, "notify/preferences.html", {"panel": _context(user, form)}, status=status)
