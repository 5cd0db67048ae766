"""The referrer's and the practice's relationship pages: their lists written here rather than by the template, and
their unbound forms' fields rendered once per process and kept (decision 0030, as the network page and the inbox;
decision 0031). Every value from the database goes through escape(); the rest is our own fixed markup, the same as
crm/referrer.html, crm/practice.html, crm/_health.html and crm/_stage.html wrote."""

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from liaison.crm.choices import InteractionKind, Outcome, Strategy
from liaison.crm.network_rows import HEALTH, LABELS, STAGE
from liaison.directory.models import Referrer

HISTORY_ITEM = (
    '<li><time datetime="{iso}">{day}</time>\n'
    "        <div><strong>{kind}</strong>{strategy}{outcome}{by}\n"
    "        {summary}\n"
    "        {meeting}</div></li>"
)
CLINICIAN = (
    '<tr><td><a href="{url}">{name}</a><div class="muted small">{specialty}</div></td>\n'
    "    <td>{stage}</td>\n"
    '    <td class="num">{total}</td><td>{health}</td></tr>'
)
NO_HEALTH = '<span class="muted">—</span>'
KIND_LABELS = dict(InteractionKind.choices)
STRATEGY_LABELS = dict(Strategy.choices)
OUTCOME_LABELS = dict(Outcome.choices)


def _slot(name: str) -> str:
    """reverse() once per page: the address for id 0 with a slot for the id."""
    return reverse(name, args=[0])[: -len("0/")] + "{}/"


def history_rows_html(items) -> SafeString:
    """The relationship's contacts, newest first, as crm/referrer.html's history list wrote them."""
    meeting_url = _slot("crm:meeting")
    out = []
    for item in items:
        at = timezone.localtime(item.at)
        by = item.by
        out.append(
            HISTORY_ITEM.format(
                iso=date_format(at, "c"),
                day=date_format(at, "M j, Y"),
                kind=escape(KIND_LABELS.get(item.kind, item.kind)),
                strategy=f" · {escape(STRATEGY_LABELS.get(item.strategy, item.strategy))}" if item.strategy else "",
                outcome=f" · {escape(OUTCOME_LABELS.get(item.outcome, item.outcome))}" if item.outcome else "",
                by=f' <span class="muted small">by {escape(str(by))}</span>' if by else "",
                summary=f'<div class="reason">{escape(item.summary)}</div>' if item.summary else "",
                meeting=(
                    f'<div><a href="{meeting_url.format(item.meeting_id)}">Meeting notes</a></div>'
                    if item.meeting_id
                    else ""
                ),
            )  # fmt: skip
        )
    return mark_safe("\n".join(out))  # noqa: S308  (escaped above)


def health_html(flag: str | None, score) -> str:
    """crm/_health.html for a health row's flag and score (None: not worked out yet)."""
    if flag is None:
        return NO_HEALTH
    return HEALTH.format(flag=escape(flag), label=escape(LABELS["flag"].get(flag, flag)), score=score)


def clinician_rows_html(rows: list[dict]) -> SafeString:
    """The practice's clinicians (plain values: see queries.PRACTICE_CLINICIAN_VALUES), as crm/practice.html's
    table wrote them."""
    url = _slot("crm:referrer")
    out = []
    for r in rows:
        stage = r["relationship__stage"]
        out.append(
            CLINICIAN.format(
                url=url.format(r["pk"]),
                name=escape(_display_name(r)),
                specialty=escape(r["taxonomy__display_name"] or ""),
                stage=(
                    STAGE.format(stage=escape(stage), label=escape(LABELS["stage"].get(stage, stage)))
                    if stage
                    else "Target"
                ),
                total=r["health__total_referrals"] or 0,
                health=health_html(r["health__flag"], r["health__score"]),
            )  # fmt: skip
        )
    return mark_safe("\n".join(out))  # noqa: S308  (escaped above)


def _display_name(row: dict) -> str:
    return Referrer(first_name=row["first_name"], last_name=row["last_name"], credential=row["credential"]).display_name


# ---------------------------------------------------------------- the forms' fields, kept per process

FIELDS_KEPT = 500  # past this many different forms' contents, start again
_fields_kept: dict[tuple, str] = {}


def _flat(choices) -> tuple:
    out = []
    for value, label in choices:
        if isinstance(label, (list, tuple)):
            out.append((str(value), _flat(label)))
        else:
            out.append((str(value), str(label)))
    return tuple(out)


def fields_html(form, names=None, *, exclude=()) -> SafeString:
    """The form's fields (or those named, or all but those excluded) as core/_field.html writes each. An unbound
    form's markup depends only on its fields' initial values and choices, so it is rendered once per process and
    kept, keyed by exactly those (a new liaison is a new list of owners, so a new key); a bound form (one sent back
    with errors) is rendered each time."""
    fields = [form[name] for name in names] if names else [f for f in form if f.name not in exclude]
    if form.is_bound:
        return render_to_string("crm/_fields.html", {"fields": fields})
    key = (
        type(form).__qualname__,
        tuple(
            (f.name, repr(f.value()), _flat(f.field.choices) if hasattr(f.field, "choices") else None) for f in fields
        ),
    )
    html = _fields_kept.get(key)
    if html is None:
        if len(_fields_kept) >= FIELDS_KEPT:
            _fields_kept.clear()
        html = _fields_kept[key] = render_to_string("crm/_fields.html", {"fields": fields})
    return html
