"""The open safety alerts' list items, written as markup here rather than by the template, as the inbox's rows are
(decision 0030): a hundred alerts a page, each a link, a kind, a summary, a time and a clinician, cost the template
engine more than the page's queries. Every value from the database goes through html.escape; the rest is our own
fixed markup, the same the template wrote (times in the clinic's time zone, as its date filter writes them)."""

from html import escape

from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from liaison.care.choices import AlertKind
from liaison.referrals.rows import day

ITEM = (
    '<li><a href="{url}#care">{reference} {first} {last}</a>:\n    <strong>{kind}.</strong> {summary}\n'
    '    <span class="muted small">Raised {raised}{clinician}</span></li>'
)
KINDS = dict(AlertKind.choices)


def clock(value) -> str:
    """As the template's date:"g:i A" writes a time, in the clinic's time zone."""
    value = timezone.localtime(value)
    return f"{value.hour % 12 or 12}:{value.minute:02d} {'AM' if value.hour < 12 else 'PM'}"


def alert_items(alerts) -> SafeString:
    """The <ul> of alerts (each with its referral, patient and assigned clinician read with it)."""
    detail = reverse("referrals:detail", args=[0]).removesuffix("0/")
    items = []
    for alert in alerts:
        referral, clinician = alert.referral, alert.referral.assigned_clinician
        items.append(
            ITEM.format(
                url=f"{detail}{alert.referral_id}/",
                reference=escape(referral.reference),
                first=escape(referral.patient.first_name),
                last=escape(referral.patient.last_name),
                kind=escape(str(KINDS.get(alert.kind, alert.kind))),
                summary=escape(alert.summary),
                raised=f"{day(alert.raised_at)}, {clock(alert.raised_at)}",
                clinician=f" · {escape(str(clinician))}" if clinician else " · no clinician assigned",
            )
        )
    return mark_safe("<ul>\n  " + "\n  ".join(items) + "\n</ul>")  # noqa: S308 — every value escaped above
