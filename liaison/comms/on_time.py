"""When a delivered letter counts as on time (decision 0045): the one rule every letters-on-time figure uses.

A letter counts on time when it reached the referrer by its due time. A letter the protocol owes "at once" (the
safety letter after an alert, the request for missing information: deadline kind `immediate`, whose due time is
the moment it became owed, protocol.due_time) could never meet that, so it counts on time when delivered within
IMMEDIATE_GRACE of becoming owed, around the clock.

Only the figure is lenient. The letter is overdue on the work queue, and escalated, from its due time as before:
the grace never delays a safety letter's alarm.

An immediate letter is recognised from its own row (due time not after the moment it became owed), so the stored
days, the live figures and the referral's card need no join and no new column, and agree by construction:
- `ON_TIME`: the database's condition (stored days' rebuild, live figures, the page's cut days);
- `is_on_time(...)`: the same in Python (the stored days' increments, the referral's card).
"""

from datetime import datetime, timedelta

from django.db.models import DateTimeField, ExpressionWrapper, F, Q

from liaison.comms.choices import DueStatus

IMMEDIATE_GRACE = timedelta(hours=1)

_GRACE_ENDS = ExpressionWrapper(F("due_at") + IMMEDIATE_GRACE, output_field=DateTimeField())

ON_TIME = Q(status=DueStatus.DELIVERED) & (
    Q(delivered_at__lte=F("due_at")) | Q(due_at__lte=F("triggered_at"), delivered_at__lte=_GRACE_ENDS)
)


def counts_by(*, due_at: datetime, triggered_at: datetime | None) -> datetime:
    """The last moment a delivery counts as on time: the due time, or for an immediate letter the grace's end."""
    if triggered_at is not None and due_at <= triggered_at:
        return due_at + IMMEDIATE_GRACE
    return due_at


def is_on_time(*, due_at: datetime, triggered_at: datetime | None, delivered_at: datetime | None) -> bool:
    return delivered_at is not None and delivered_at <= counts_by(due_at=due_at, triggered_at=triggered_at)
