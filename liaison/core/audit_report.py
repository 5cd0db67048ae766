"""The audit report for the director and the administrator: the trail filtered by person, patient, referral,
action, record and period, a page at a time or as a CSV file. A filter that does not make sense is an error
on its field and shows no rows, never the whole unfiltered trail."""

import csv
import json
import unicodedata
from functools import cache
from html import escape

from django import forms
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import CharField, Q, QuerySet
from django.db.models.functions import Cast
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.dates import MONTHS_3
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator

from liaison.core.exports import safe_row
from liaison.core.models import AuditEvent

PAGE_SIZE = 100
USER_RECORD = "accounts.user"
CSV_COLUMNS = [
    "When",
    "Who",
    "Action",
    "Record type",
    "Record id",
    "Patient id",
    "From address",
    "Page",
    "Details",
    "Row number",
]


class AuditFilterForm(forms.Form):
    actor = forms.CharField(
        required=False,
        max_length=150,
        label="Who (username)",
        help_text="Rows this person did, and rows about their account (failed sign-ins, locks, role changes).",
    )
    action = forms.CharField(
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"list": "audit-actions"}),
        help_text="Pick from the list or type one, e.g. sign_in_failed.",
    )
    patient_id = forms.IntegerField(required=False, min_value=1, label="Patient id")
    referral = forms.IntegerField(required=False, min_value=1, label="Referral id")
    object_type = forms.CharField(required=False, max_length=60, label="Record type")
    object_id = forms.CharField(required=False, max_length=64, label="Record id")
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="From")
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}), label="To")
    after = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "The end date is before the start date.")
        if data.get("referral") and (data.get("object_type") or data.get("object_id")):
            self.add_error("referral", "A referral is a record already: give the referral id or a record, not both.")
        return data

    def filters(self) -> dict:
        """The filters as given (for the trail's own row): what was typed, blanks left out."""
        return {key: value[:200] for key, value in self.data.items() if key != "after" and value}


def audit_rows(data: dict) -> QuerySet:
    """The rows that match valid filters (a form's cleaned_data), newest first. The person ("actor") matches the
    rows they did (actor_label) and the rows about their account (record accounts.user with their id), so a
    failed sign-in against an account, filed under no actor, is found under the account's username."""
    exact = {
        "action": data.get("action"),
        "patient_id": data.get("patient_id"),
        "object_type": data.get("object_type"),
        "object_id": data.get("object_id"),
    }
    if data.get("referral"):
        exact |= {"object_type": "referrals.referral", "object_id": str(data["referral"])}
    rows = AuditEvent.objects.filter(**{k: v for k, v in exact.items() if v not in ("", None)})
    if data.get("actor"):
        rows = rows.filter(Q(actor_label=data["actor"]) | _about_account(data["actor"]))
    if data.get("since"):
        rows = rows.filter(at__date__gte=data["since"])
    if data.get("until"):
        rows = rows.filter(at__date__lte=data["until"])
    return rows.order_by("-at", "-id")


def _about_account(username: str) -> Q:
    account = get_user_model().objects.filter(username=username).annotate(text=Cast("pk", CharField()))
    return Q(object_type=USER_RECORD, object_id__in=account.values("text"))


# PostgreSQL 15 reads every entry of the action index for a DISTINCT (seconds at millions of rows); this walks the
# index instead, one probe per distinct action ("loose index scan"): a few dozen probes however long the trail.
DISTINCT_ACTIONS = """
    WITH RECURSIVE actions(action) AS (
        (SELECT action FROM core_auditevent ORDER BY action LIMIT 1)
        UNION ALL
        SELECT (SELECT e.action FROM core_auditevent e WHERE e.action > a.action ORDER BY e.action LIMIT 1)
        FROM actions a WHERE a.action IS NOT NULL
    )
    SELECT action FROM actions WHERE action IS NOT NULL"""


def actions_present() -> list[str]:
    """Every action on the trail, for the filter's list (one query on the action index)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(DISTINCT_ACTIONS)
            return [action for (action,) in cursor.fetchall()]
    return list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())


def name_accounts(rows: list[AuditEvent]) -> None:
    """Set `record_name` (the person's name) on each row about an account, with one query for the whole page."""
    ids = {row.object_id for row in rows if row.object_type == USER_RECORD and row.object_id.isdigit()}
    if not ids:
        return
    users = get_user_model().objects.filter(pk__in=ids).only("username", "first_name", "last_name")
    names = {str(user.pk): user.get_full_name() or user.get_username() for user in users}
    for row in rows:
        if row.object_type == USER_RECORD:
            row.record_name = names.get(row.object_id, "")


def summary(row: AuditEvent) -> str:
    """What the row's details say, in one line: "before → after" for a change, the JSON otherwise."""
    detail = row.detail or {}
    if "before" in detail and "after" in detail:
        return f"{_plain(detail['before'])} → {_plain(detail['after'])}"
    return _plain(detail) if detail else ""


def _plain(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)


class _Echo:
    def write(self, value):
        return value


def csv_lines(rows: QuerySet):
    """The rows as CSV lines, read a chunk at a time; every cell through safe_row, so none runs as a formula."""
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for row in rows.iterator(chunk_size=2000):
        yield writer.writerow(safe_row(_csv_row(row)))


def _csv_row(row: AuditEvent) -> list:
    return [
        timezone.localtime(row.at).isoformat(timespec="seconds"),
        row.actor_label,
        row.action,
        row.object_type,
        row.object_id,
        row.patient_id if row.patient_id is not None else "",
        row.ip_address or "",
        row.path,
        json.dumps(row.detail, sort_keys=True, ensure_ascii=False) if row.detail else "",
        row.seq if row.seq is not None else "",
    ]


# ---------------------------------------------------------------- the page's markup

ROW = (
    '<tr><td class="nowrap">{at}</td><td>{who}</td><td><span class="tag">{action}</span></td><td>{record}</td>'
    '<td>{patient}</td><td>{ip}</td><td class="muted small">{path}</td><td class="small">{summary}</td></tr>'
)


@cache
def _months() -> tuple[str, ...]:
    return ("", *(str(MONTHS_3[m]).title() for m in range(1, 13)))


def _when(at) -> str:
    """As the template's date:"M j, Y H:i:s T" writes it, in the clinic's time zone."""
    at = timezone.localtime(at)
    return f"{_months()[at.month]} {at.day}, {at.year} {at:%H:%M:%S} {at.tzname()}"


def _row(row: AuditEvent) -> str:
    record = escape(row.object_type)
    if row.object_id:
        record += f" #{escape(row.object_id)}"
    if name := getattr(row, "record_name", ""):
        record += f" ({escape(name)})"
    return ROW.format(
        at=_when(row.at), who=escape(row.actor_label), action=escape(row.action), record=record,
        patient=row.patient_id or "", ip=escape(row.ip_address or ""), path=escape(row.path),
        summary=escape(_truncated(row.summary)),
    )  # fmt: skip


def _truncated(text: str, length: int = 160) -> str:
    """As |truncatechars:160 writes it. Most summaries are short: those need only Truncator's normalization, not a
    lazy Truncator object per row."""
    if len(text) <= length:
        return unicodedata.normalize("NFC", text)
    return Truncator(text).chars(length)


def rows_html(rows: list[AuditEvent]) -> SafeString:
    """The page's rows, written here rather than by the template: a hundred rows of eight template cells took
    most of the page's time (decision 0030). Every value goes through html.escape; the rest is fixed markup.
    `summary` and `record_name` as _audit_page sets them."""
    return mark_safe("\n".join(_row(row) for row in rows))  # noqa: S308  (escaped above)


FORMS_KEPT = 200  # filter forms' markup kept per process; past this many different filter choices, start again
_forms_kept: dict[tuple, str] = {}


def filters_html(request, form: AuditFilterForm) -> str:
    """The filter fields' markup, which depends only on the query string: rendered once per process and kept,
    because eight fields of widget templates cost as much as the rows."""
    key = (bool(request.GET), tuple((k, tuple(v)) for k, v in sorted(request.GET.lists()) if k != "after"))
    html = _forms_kept.get(key)
    if html is None:
        if len(_forms_kept) >= FORMS_KEPT:
            _forms_kept.clear()
        html = _forms_kept[key] = render_to_string("core/_audit_filters.html", {"form": form}, request)
    return html
