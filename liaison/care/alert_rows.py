"""The open safety alerts' list items, written as markup here rather than by the template, as the inbox's rows are
(decision 0030): a hundred alerts a page, each a link, a kind, a summary, a time and a clinician, cost the template
engine more than the page's queries. Every value from the database goes through html.escape; the rest is our own
fixed markup, the same the template wrote (times in the clinic's time zone, as its date filter writes them). The rows
are plain values (care.queries.ALERT_ROW_FIELDS), not alerts with their referral, patient and clinician built."""

from html import escape

from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from liaison.care.choices import AlertKind
from liaison.referrals.rows import day, person

ITEM = (
    '<li><a href="{url}#care">{reference} {first} {last}</a>:\n    <strong>{kind}.</strong> {summary}\n'
    '    <span class="muted small">Raised {raised}{clinician}</span></li>'
)
KINDS = dict(AlertKind.choices)


def clock(value) -> str:
    """As the template's date:"g:i A" writes a time, in the clinic's time zone."""
    value = timezone.localtime(value)
    return f"{value.hour % 12 or 12}:{value.minute:02d} {'AM' if value.hour < 12 else 'PM'}"


def alert_items(rows) -> SafeString:
    """The <ul> of alerts, from rows of care.queries.ALERT_ROW_FIELDS."""
    detail = reverse("referrals:detail", args=[0]).removesuffix("0/")
    items = []
    for r in rows:
        clinician = r["referral__assigned_clinician__username"] and person(
            r["referral__assigned_clinician__first_name"],
            r["referral__assigned_clinician__last_name"],
            r["referral__assigned_clinician__username"],
        )
        items.append(
            ITEM.format(
                url=f"{detail}{r['referral_id']}/",
                reference=f"R-{r['referral_id']:06d}",
                first=escape(r["referral__patient__first_name"]),
                last=escape(r["referral__patient__last_name"]),
                kind=escape(str(KINDS.get(r["kind"], r["kind"]))),
                summary=escape(r["summary"]),
                raised=f"{day(r['raised_at'])}, {clock(r['raised_at'])}",
                clinician=f" · {escape(clinician)}" if clinician else " · no clinician assigned",
            )
        )
    return mark_safe("<ul>\n  " + "\n  ".join(items) + "\n</ul>")  # noqa: S308 — every value escaped above
