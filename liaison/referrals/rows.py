"""The inbox's and the portal's rows, written as markup here rather than by the template: the same markup at a
fraction of the template engine's cost per cell (fifty rows of template cells, each a variable lookup, a filter or a
tag, took longer than the rest of the page; docs/benchmarks.md, decision 0030). The crm target list does the same
(decision 0011).

Rows are plain values (queries.INBOX_FIELDS). Every value from the database goes through html.escape; the rest is
our own fixed markup. Dates are written as the template's `date` filter writes them, in the clinic's time zone."""

from functools import cache
from html import escape
from types import SimpleNamespace

from django.template.defaultfilters import linebreaksbr
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.safestring import SafeString, mark_safe

from liaison.directory.choices import SourceType
from liaison.referrals.choices import IntakeChannel, Status
from liaison.referrals.templatetags.intake_tags import next_step_for_referrer, screening_badges
from liaison.referrals.templatetags.referral_tags import STATUS_TONE, due_phrase

INBOX_ROW = (
    '<tr class="{row_class}">{pick}<td class="ref-cell"><a href="{url}">{reference}</a>{badge}'
    '<div class="muted small">{received} · {channel}</div></td>'
    '<td>{last}, {first}<div class="muted small">born {born}</div></td>'
    '<td>{referrer}<div class="muted small">{source}</div></td>'
    '<td><span class="status s-{tone}">{status}</span></td><td>{screening}</td>'
    '<td class="next-cell">{next_action}</td><td>{owner}</td><td class="due-cell">{due}</td></tr>'
)
PORTAL_ROW = (
    '<tr><td class="nowrap"><a href="{url}">{reference}</a><div class="muted small">sent {received}</div></td>'
    '<td>{last}, {first}<div class="muted small">born {born}</div></td>{referrer}'
    '<td><span class="status s-{tone}">{status}</span></td><td>{next_step}</td><td class="nowrap">{due}</td></tr>'
)
BADGES = {
    "urgent": ' <span class="badge urgent">Urgent</span>',
    "soon": ' <span class="badge soon">Soon</span>',
}
# A row's box for the inbox's bulk bar (the markup of {% select_row %}, written here for speed); staff who may assign.
PICK = (
    '<td class="pick"><input type="checkbox" name="ids" value="{id}" form="{form}" aria-label="Select {reference}">'
    "</td>"
)
DUE = '<span class="{overdue}">{phrase}</span><div class="muted small">{at}</div>'
SCREENING = (
    "safety", "resistance", "adequate_failed", "unclear_trials", "missing_count", "possible_duplicate"
)  # fmt: skip
LABELS = {
    "channel": dict(IntakeChannel.choices), "source": dict(SourceType.choices), "status": dict(Status.choices),
}  # fmt: skip


@cache
def _months() -> tuple[str, ...]:
    return ("", *(str(MONTHS_3[m]).title() for m in range(1, 13)))


def day(value) -> str:
    """As the template's date:"M j, Y" writes a date or a time (the time in the clinic's time zone)."""
    if hasattr(value, "tzinfo") and value.tzinfo is not None:
        value = timezone.localtime(value)
    return f"{_months()[value.month]} {value.day}, {value.year}"


def day_time(value) -> str:
    """As the template's date:"M j, g:i A" writes a time, in the clinic's time zone."""
    value = timezone.localtime(value)
    return f"{_months()[value.month]} {value.day}, {_clock(value)}"


def url_slot(name: str) -> str:
    """reverse() once per page, not once per row: the URL of record 0 with a slot for the id (the URLs of one
    referral end in <int:pk>/)."""
    url = reverse(name, args=[0])
    return url[: -len("0/")] + "{}/"


def person(first: str, last: str, fallback: str = "", credential: str = "") -> str:
    """As User.__str__ (full name, else the username) and Referrer.display_name write a name."""
    name = f"{first} {last}".strip() or fallback
    return f"{name}, {credential}" if credential else name


def _screening(r: dict):
    if r["screening__id"] is None:
        return ""
    return SimpleNamespace(**{field: r[f"screening__{field}"] for field in SCREENING})


def _owner(r: dict) -> str:
    if r["next_action_owner_id"] is not None:
        return escape(
            person(r["next_action_owner__first_name"], r["next_action_owner__last_name"],
                   r["next_action_owner__username"])
        )  # fmt: skip
    if r["is_open"]:
        return f'<span class="muted">Unassigned {escape(r["next_action_role"])}</span>'
    return ""


def _due(r: dict, now) -> str:
    due = r["next_action_due_at"]
    if due is None:
        return ""
    return DUE.format(overdue="overdue" if due < now else "", phrase=due_phrase(due), at=day_time(due))


def _referrer(r: dict) -> str:
    if r["referrer_id"] is None:
        return "Self-referral"
    return escape(person(r["referrer__first_name"], r["referrer__last_name"], credential=r["referrer__credential"]))


def _inbox_row(r: dict, url: str, now, pick: str) -> str:
    status = r["status"]
    reference = f"R-{r['id']:06d}"
    return INBOX_ROW.format(
        row_class="row-urgent" if r["urgency"] == "urgent" else "", url=url.format(r["id"]),
        pick=PICK.format(id=int(r["id"]), form=pick, reference=reference) if pick else "", reference=reference,
        badge=BADGES.get(r["urgency"], ""), received=day(r["received_at"]),
        channel=escape(LABELS["channel"].get(r["channel"], r["channel"])),
        last=escape(r["patient__last_name"]), first=escape(r["patient__first_name"]),
        born=day(r["patient__date_of_birth"]), referrer=_referrer(r),
        source=escape(LABELS["source"].get(r["source_type"], r["source_type"])),
        tone=STATUS_TONE.get(status, "closed"), status=escape(LABELS["status"].get(status, status)),
        screening=screening_badges(_screening(r)), next_action=escape(r["next_action"] or "—"), owner=_owner(r),
        due=_due(r, now),
    )  # fmt: skip


def inbox_rows_html(rows: list[dict], *, pick: str = "") -> SafeString:
    """The inbox's rows (queries.referral_list); `pick`: the bulk form's id, to give each row its box (escaped by
    the caller: our own constant)."""
    url, now = url_slot("referrals:detail"), timezone.now()
    return mark_safe("\n".join(_inbox_row(r, url, now, escape(pick)) for r in rows))  # noqa: S308  (escaped above)


def _portal_row(r: dict, url: str, admin: bool) -> str:
    status, due = r["status"], r["next_action_due_at"]
    referrer = f"<td>{_referrer(r) if r['referrer_id'] is not None else '—'}</td>" if admin else ""
    step = SimpleNamespace(status=status, next_action_role=r["next_action_role"], next_action=r["next_action"])
    return PORTAL_ROW.format(
        url=url.format(r["id"]), reference=f"R-{r['id']:06d}", received=day(r["received_at"]),
        last=escape(r["patient__last_name"]), first=escape(r["patient__first_name"]),
        born=day(r["patient__date_of_birth"]), referrer=referrer, tone=STATUS_TONE.get(status, "closed"),
        status=escape(LABELS["status"].get(status, status)), next_step=escape(next_step_for_referrer(step)),
        due=day_time(due) if due else "",
    )  # fmt: skip


def portal_rows_html(rows: list[dict], *, admin: bool) -> SafeString:
    """The referrer portal's rows (portal_queries.portal_list); `admin`: a practice's administrator, who also
    sees which of the practice's clinicians referred."""
    url = url_slot("intake:portal_detail")
    return mark_safe("\n".join(_portal_row(r, url, admin) for r in rows))  # noqa: S308  (escaped above)


FILTERS_KEPT = 500  # forms' markup kept per process; past this many different filter choices, start again
_filters_kept: dict[tuple, str] = {}


def inbox_filters_html(request, form) -> str:
    """The inbox's filter fields, which depend only on the query string, the owners offered and whether the person
    is outside the clinic: rendered once per process and kept, because four fields of widget templates (a template
    per <option>) cost as much as the rows. The key holds everything the markup is made from, so a kept copy is
    never stale: a new member of staff is a new list of owners, so a new key."""
    query = tuple((k, tuple(v)) for k, v in sorted(request.GET.lists()) if k != "after")
    key = (bool(request.GET), query, tuple(form.fields["owner"].choices), request.user.is_outside)
    html = _filters_kept.get(key)
    if html is None:
        if len(_filters_kept) >= FILTERS_KEPT:
            _filters_kept.clear()
        html = _filters_kept[key] = render_to_string("referrals/_inbox_filters.html", {"form": form}, request)
    return html


TIMELINE_ITEM = (
    '<li class="ev ev-{kind}"><time datetime="{iso}">{at}</time><div>{what} <span class="muted">by {by}</span>'
    "{reason}</div></li>"
)
TRANSITION = '<span class="status s-{0}">{1}</span> → <span class="status s-{2}">{3}</span>'
MESSAGE_KINDS = {"reply": "Reply from the referrer", "message": "Message to the referrer"}  # messages.py


def _detail(event, key: str, *, or_none: bool = False) -> str:
    """A value of the event's JSON detail as the template wrote it: missing is blank (None is "None"); `or_none`:
    as |default:"none" wrote it, any empty value is "none"."""
    detail = event.detail if isinstance(event.detail, dict) else {}
    value = detail.get(key, "")
    if or_none:
        return str(value) if value else "none"
    return "" if key not in detail else str(value)


def _status(status: str) -> tuple[str, str]:
    return STATUS_TONE.get(status, "closed"), escape(LABELS["status"].get(status, status))


def _timeline_item(e) -> str:
    if e.kind == "received":
        what = f"Referral received by {escape(_detail(e, 'channel'))}"
    elif e.kind == "transition":
        what = TRANSITION.format(*_status(e.from_status), *_status(e.to_status))
    elif e.kind == "assigned":
        coordinator, clinician = _detail(e, "coordinator", or_none=True), _detail(e, "clinician", or_none=True)
        what = f"Assigned: coordinator {escape(coordinator)}, clinician {escape(clinician)}"
    elif e.kind in MESSAGE_KINDS:
        what = f'<a href="#messages">{MESSAGE_KINDS[e.kind]}</a>'
    else:
        what = "Note"
    at = timezone.localtime(e.at)
    return TIMELINE_ITEM.format(
        kind=escape(e.kind), iso=at.isoformat(), at=f"{day(at)} {_clock(at)}", what=what,
        by=escape(str(e.actor) if e.actor else e.actor_label),
        reason=f'<p class="reason">{linebreaksbr(e.reason)}</p>' if e.reason else "",
    )  # fmt: skip


def _clock(at) -> str:
    """As the template's date:"g:i A" writes a local time."""
    return f"{at.hour % 12 or 12}:{at.minute:02d} {'PM' if at.hour >= 12 else 'AM'}"


def timeline_html(events) -> SafeString:
    """The referral page's timeline (queries.referral_timeline, each event with its actor): a long history is many
    items, each of which cost the template a dozen lookups and filters."""
    return mark_safe("\n".join(_timeline_item(e) for e in events))  # noqa: S308  (escaped above)
