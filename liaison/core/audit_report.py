"""The audit report for the director and the administrator: the trail filtered by person, patient, referral,
action, record and period, a page at a time or as a CSV file. A filter that does not make sense is an error
on its field and shows no rows, never the whole unfiltered trail."""

import csv
import json

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from liaison.core.exports import safe_row
from liaison.core.models import AuditEvent

PAGE_SIZE = 100
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
    actor = forms.CharField(required=False, max_length=150, label="Who (username)")
    action = forms.CharField(required=False, max_length=40, help_text="e.g. view, user_role_change, sign_in_failed")
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
    """The rows that match valid filters (a form's cleaned_data), newest first."""
    exact = {
        "actor_label": data.get("actor"),
        "action": data.get("action"),
        "patient_id": data.get("patient_id"),
        "object_type": data.get("object_type"),
        "object_id": data.get("object_id"),
    }
    if data.get("referral"):
        exact |= {"object_type": "referrals.referral", "object_id": str(data["referral"])}
    rows = AuditEvent.objects.filter(**{k: v for k, v in exact.items() if v not in ("", None)})
    if data.get("since"):
        rows = rows.filter(at__date__gte=data["since"])
    if data.get("until"):
        rows = rows.filter(at__date__lte=data["until"])
    return rows.order_by("-at", "-id")


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
