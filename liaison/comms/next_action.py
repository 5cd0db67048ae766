"""The next action of a referral in maintenance ("Send the monthly progress update") is due when the monthly
letter it stands for is: one source of truth, the owed letter's due time, so the referral page, the inbox and the
"Owed to the referrer" card name the same day. The lifecycle's own guess (thirty days after entering maintenance)
is only the starting point; it is replaced as the letters are owed (communications_recompute) and delivered
(outbox._finish).

The due time is the earliest monthly letter still to send (owed, drafted or approved); with all of them sent, the
next month's letter's, which becomes owed when that month begins. With no monthly letter at all (the referrer's
model owes none), the lifecycle's due time stays."""

from liaison.comms import clock, protocol
from liaison.comms.choices import DueStatus
from liaison.comms.models import DueCommunication
from liaison.referrals.choices import Status
from liaison.referrals.lifecycle import NEXT_ACTION
from liaison.referrals.models import Referral

MONTHLY_UPDATE = NEXT_ACTION[Status.MAINTENANCE].text
TO_SEND = (DueStatus.OWED, DueStatus.DRAFTED, DueStatus.APPROVED)


def maintenance_due_sync(referral: Referral, rows: list[DueCommunication] | None = None, calendar=None) -> None:
    """Set the referral's next action due time to its monthly letter's. `rows`: the referral's letters as they
    now stand, when the caller has them (no query then); otherwise its monthly letters are read (at most one
    per month of maintenance). One conditional update, and only when the time changes."""
    if referral.status != Status.MAINTENANCE or referral.next_action != MONTHLY_UPDATE:
        return
    if rows is None:
        rows = list(DueCommunication.objects.filter(referral_id=referral.pk, key__startswith="month:"))
    months = sorted(
        ((int(d.key.split(":")[1]), d) for d in rows if d.key.startswith("month:") and d.status != DueStatus.CANCELLED),
        key=lambda pair: pair[0],
    )
    if not months:
        return
    to_send = [d.due_at for _, d in months if d.status in TO_SEND]
    if to_send:
        due = min(to_send)
    else:
        # Month k begins k-1 months after maintenance starts (month 1's trigger), as protocol counts them.
        (first, opened), (last, latest) = months[0], months[-1]
        begins = clock.add_months(opened.triggered_at, last) if first == 1 else clock.add_months(latest.triggered_at, 1)
        rule = latest.rule
        if rule is None:
            return
        calendar = calendar or (protocol.Calendar.load() if rule.business_hours else None)
        due = protocol.due_time(rule, begins, calendar)
    if due == referral.next_action_due_at:
        return
    Referral.objects.filter(pk=referral.pk, status=Status.MAINTENANCE, next_action=MONTHLY_UPDATE).update(
        next_action_due_at=due
    )
    referral.next_action_due_at = due
