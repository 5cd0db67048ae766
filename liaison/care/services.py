"""Every write of measurement-based care: sessions, scores, safety alerts and questionnaire links.

Keyword-only, one transaction each, an audit row for every write. Bad input raises ValidationError naming
every field at fault, and nothing is written. A PHQ-9 with item 9 above 0, or a blood pressure above the
practice's threshold, raises a SafetyAlert in the same transaction as the answer that caused it; each public
service then publishes what it wrote (liaison.core.events), and comms makes the letters it owes.

The functions live in five modules along their seams; this module gathers them, so callers keep
`from liaison.care import services`: sessions.py, assessments.py (scores), alerts.py (alerts and item 9
gaps), links.py (the patient's questionnaire link), bookings.py (evaluations and sessions booked). Care's
reactions to referral events are in handlers.py.
"""

from liaison.care.alerts import (
    ACKNOWLEDGING_ROLES,
    alert_acknowledge,
    assessment_item9_record,
    item9_summary,
    referral_item9_record,
)
from liaison.care.assessments import assessment_record
from liaison.care.bookings import (
    BOOKERS,
    booking_evaluation_book,
    booking_mark_attended,
    booking_mark_no_show,
    booking_reschedule,
    booking_session_book,
)
from liaison.care.links import (
    LINK_ROLES,
    LINK_SALT,
    LinkRefused,
    questionnaire_link_check,
    questionnaire_link_create,
    questionnaire_submit,
)
from liaison.care.scoring import ScoreInput, check_score
from liaison.care.sessions import (
    BP_FIELDS,
    CLINICAL_ROLES,
    SESSION_MOVES,
    SESSION_STATUSES,
    SessionInput,
    session_record,
)

__all__ = [
    "ACKNOWLEDGING_ROLES",
    "BOOKERS",
    "BP_FIELDS",
    "CLINICAL_ROLES",
    "LINK_ROLES",
    "LINK_SALT",
    "SESSION_MOVES",
    "SESSION_STATUSES",
    "LinkRefused",
    "ScoreInput",
    "SessionInput",
    "alert_acknowledge",
    "assessment_item9_record",
    "assessment_record",
    "booking_evaluation_book",
    "booking_mark_attended",
    "booking_mark_no_show",
    "booking_reschedule",
    "booking_session_book",
    "check_score",
    "item9_summary",
    "questionnaire_link_check",
    "questionnaire_link_create",
    "questionnaire_submit",
    "referral_item9_record",
    "session_record",
]
