"""The work queue's rows, written here rather than by the template (the target list's approach, crm/target_views):
the same markup as an include per row, at a fraction of the template engine's cost per cell. Every value from the
database goes through html.escape; the rest is our own fixed markup. Rows are the dicts of comms.queue."""

from html import escape

from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from liaison.comms.choices import LetterType, OutboxStatus
from liaison.directory.choices import SharedCareModel

LETTER_TYPES = dict(LetterType.choices)
SHARED_CARE = dict(SharedCareModel.choices)

BULK_FORM = "draft-selected"  # the work queue's bulk form (queue.html): the rows' checkboxes belong to it
ROW = (
    '<tr{problem_class}><td class="nowrap">{select}<time datetime="{iso}">{when}</time>{escalated}</td>'
    "<td><strong>{letter_type}</strong>{reason}{problem}</td>"
    '<td><a href="{referral_url}">{patient}</a><br><span class="muted small">{reference}</span></td>'
    '<td>{referrer}<br><span class="muted small">{shared_care}</span></td><td>{action}</td></tr>'
)
# As the lists tag select_row writes it (core/templatetags/lists.py), without the template engine; in the due
# time's cell, so the columns keep the widths comms' table styles give them (.cm-table in core's stylesheet).
SELECT = '<input type="checkbox" name="ids" value="{id}" form="{form}" aria-label="Select the {what}"> '
OPEN_DRAFT = '<a class="btn" href="{url}">Open draft</a>'
DRAFT = (
    '<form method="post" action="{url}"><input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
    '<button class="btn primary">Draft letter</button></form>'
)
PROBLEM_ROW = (
    '<tr><td>{letter_type}</td><td><a href="{referral_url}">{patient}</a></td>'
    '<td class="cm-problem">{failed}{problem}</td><td>{actions}</td></tr>'
)
RETRY = (
    '<form method="post" action="{url}"><input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">'
    '<button class="btn">Send again</button></form>'
)


class Urls:
    """reverse() once per page, not once per row: each URL of one record with a slot for its id (our URLs of one
    record end in <int:pk>/ or <int:pk>/<action>/)."""

    def __init__(self):
        self.referral = _slot("referrals:detail")
        self.letter = _slot("comms:letter")
        self.due_letter = _slot("comms:due_letter")
        self.retry = _slot("comms:outbox_retry")
        self.referrer = _slot("crm:referrer")
        self.referrer_admin = _slot("admin:directory_referrer_change")


def _slot(name: str) -> str:
    url = reverse(name, args=[987654321])
    return url.replace("987654321", "{}")


def _name(first, last, credential="") -> str:
    """As Referrer.display_name and User.__str__ write it."""
    name = f"{first or ''} {last or ''}".strip()
    return f"{name}, {credential}" if credential else name


def _when(at, this_year: int | None = None) -> tuple[str, str]:
    """As the template's date:'c' and date:"D M j, g:i A" write it, in the clinic's time zone; with the year
    when it is not this year's (a letter overdue since last year must not read as this spring's). Written from the
    same names as django.utils.dateformat's D, M and A: its general formatter cost as much as the rest of a row."""
    at = timezone.localtime(at)
    this_year = this_year or timezone.localdate().year
    day = f"{WEEKDAYS_ABBR[at.weekday()]} {str(MONTHS_3[at.month]).title()} {at.day}"
    if at.year != this_year:
        day = f"{day}, {at.year:04d}"
    noon = gettext("PM") if at.hour > 11 else gettext("AM")
    return at.isoformat(), f"{day}, {at.hour % 12 or 12}:{at.minute:02d} {noon}"


def item_rows_html(rows: list[dict], urls: Urls, csrf: str, select: str = "") -> SafeString:
    """Rows of a queue section (or 'escalated to you'): due, letter, patient, referrer, the one action; with
    `select` (the bulk form's id), a first cell with a checkbox on each row whose letter is not drafted yet."""
    out, this_year = [], timezone.localdate().year
    for r in rows:
        iso, when = _when(r["due_at"], this_year)
        escalated = ""
        if r["escalated_at"]:
            to = _name(r["escalated_to__first_name"], r["escalated_to__last_name"]) or r["escalated_to__username"]
            escalated = f'<br><span class="badge cm-escalated">escalated{" to " + escape(to) if to else ""}</span>'
        if r["letter__id"]:
            action = OPEN_DRAFT.format(url=urls.letter.format(r["letter__id"]))
        else:
            action = DRAFT.format(url=urls.due_letter.format(r["id"]), csrf=escape(csrf))
        referrer = _name(
            r["referral__referrer__first_name"], r["referral__referrer__last_name"], r["referral__referrer__credential"]
        )
        letter_type = LETTER_TYPES.get(r["letter_type"], r["letter_type"])
        patient = _name(r["referral__patient__first_name"], r["referral__patient__last_name"])
        box = ""
        if select and not r["letter__id"]:  # a letter not drafted yet: the bulk "draft" may take it
            box = SELECT.format(id=int(r["id"]), form=select, what=escape(f"{letter_type.lower()} for {patient}"))
        out.append(
            ROW.format(
                problem_class=' class="cm-problem-row"' if r["problem"] else "",
                select=box,
                iso=iso,
                when=when,
                escalated=escalated,
                letter_type=escape(letter_type),
                reason=f'<br><span class="small muted">{escape(r["reason"])}</span>' if r["reason"] else "",
                problem=f'<p class="cm-problem">{escape(r["problem"])}</p>' if r["problem"] else "",
                referral_url=urls.referral.format(r["referral_id"]),
                patient=escape(patient),
                reference=f"R-{r['referral_id']:06d}",
                referrer=escape(referrer) or "—",
                shared_care=escape(SHARED_CARE.get(r["referral__referrer__shared_care_model"], "")),
                action=action,
            )
        )
    return mark_safe("\n".join(out))  # noqa: S308  (escaped above)


def problem_rows_html(rows: list[dict], urls: Urls, csrf: str) -> SafeString:
    """One referrer's stuck letters: the letter, the patient, why, and what to do (open it; send a failed one
    again once fixed)."""
    out = []
    for r in rows:
        failed = r["letter__outbox__status"] == OutboxStatus.FAILED
        actions = ""
        if r["letter__id"]:
            actions = f'<a href="{urls.letter.format(r["letter__id"])}">Open letter</a>'
        if failed:
            actions += RETRY.format(url=urls.retry.format(r["letter__outbox__id"]), csrf=escape(csrf))
        out.append(
            PROBLEM_ROW.format(
                letter_type=escape(LETTER_TYPES.get(r["letter_type"], r["letter_type"])),
                referral_url=urls.referral.format(r["referral_id"]),
                patient=escape(_name(r["referral__patient__first_name"], r["referral__patient__last_name"])),
                failed='<span class="badge urgent">Failed</span> ' if failed else "",
                problem=escape(r["problem"]),
                actions=actions,
            )
        )
    return mark_safe("\n".join(out))  # noqa: S308  (escaped above)
