"""The hand-off to the communication protocol (issue 4): an open safety alert becomes a due
"safety concern" communication to the treating clinician, due at once. See docs/decisions/ (care alerts).

The protocol calls `safety_concern(alert)` for each row of `care.queries.open_alerts(user=...)` (or for every
alert raised since its last run) and stores the communication itself; this module writes nothing.
"""

from dataclasses import dataclass
from datetime import datetime

from liaison.care.models import SafetyAlert

KIND = "safety_concern"


@dataclass(frozen=True)
class SafetyConcern:
    kind: str
    alert_id: int
    referral_id: int
    patient_id: int
    recipient_id: int | None  # the treating clinician; None: every clinician and the medical director
    raised_at: datetime
    due_at: datetime
    summary: str


def safety_concern(alert: SafetyAlert) -> SafetyConcern:
    referral = alert.referral
    return SafetyConcern(
        kind=KIND,
        alert_id=alert.pk,
        referral_id=referral.pk,
        patient_id=referral.patient_id,
        recipient_id=referral.assigned_clinician_id,
        raised_at=alert.raised_at,
        due_at=alert.raised_at,
        summary=f"{alert.get_kind_display()}: {alert.summary}",
    )
