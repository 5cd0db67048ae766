"""The referral lifecycle in one place: which moves are allowed, who may make them,
which need a reason, and what the next action is in every state.

Services, pages, the API and the tests all read these tables; nothing else decides.
"""

from dataclasses import dataclass
from datetime import timedelta

from liaison.accounts.access import roles_for
from liaison.accounts.choices import Role
from liaison.referrals.choices import Status

S = Status

# A closing state ends the referral's active life; entering one needs a reason in words.
CLOSING = frozenset({S.NOT_RECOMMENDED, S.RETURNED, S.CANCELLED, S.NO_SHOW, S.DECLINED_BY_PATIENT, S.LOST_TO_FOLLOW_UP})

# The moves that take a patient into care: refused while an urgent referral's safety review is owed
# (services.referral_transition, decision 0021).
INTO_CARE = frozenset({S.ACCEPTED, S.ACUTE, S.MAINTENANCE})
REVIEW_FIRST = (
    "Record the clinician's safety review first: an urgent referral cannot be accepted for treatment or start "
    "a series until a clinician or the medical director has reviewed its safety flags."
)

# Who may make which move comes from the role table (liaison/accounts/access.py).
ANY_STAFF = roles_for("referral.transition")
CLINICAL = roles_for("referral.decide")


@dataclass(frozen=True)
class Move:
    to: Status
    label: str
    roles: frozenset = ANY_STAFF
    booked: bool = False  # taken by booking the evaluation (care's booking_evaluation_book), not by a bare button

    @property
    def needs_reason(self) -> bool:
        return self.to in CLOSING


def _closers(*extra: Move) -> tuple[Move, ...]:
    return (
        *extra,
        Move(S.DECLINED_BY_PATIENT, "Patient declined"),
        Move(S.LOST_TO_FOLLOW_UP, "Lost to follow-up"),
        Move(S.CANCELLED, "Cancel"),
    )


TRANSITIONS: dict[Status, tuple[Move, ...]] = {
    S.RECEIVED: (
        Move(S.ACKNOWLEDGED, "Acknowledge"),
        Move(S.INFO_REQUESTED, "Request information"),
        Move(S.EVAL_SCHEDULED, "Schedule evaluation", booked=True),
        *_closers(Move(S.NOT_RECOMMENDED, "Not recommended", CLINICAL)),
    ),
    S.ACKNOWLEDGED: (
        Move(S.INFO_REQUESTED, "Request information"),
        Move(S.EVAL_SCHEDULED, "Schedule evaluation", booked=True),
        *_closers(Move(S.NOT_RECOMMENDED, "Not recommended", CLINICAL)),
    ),
    S.INFO_REQUESTED: (
        Move(S.ACKNOWLEDGED, "Information received"),
        Move(S.EVAL_SCHEDULED, "Schedule evaluation", booked=True),
        *_closers(Move(S.NOT_RECOMMENDED, "Not recommended", CLINICAL)),
    ),
    S.EVAL_SCHEDULED: (
        Move(S.EVALUATED, "Evaluation done", CLINICAL),
        Move(S.NO_SHOW, "No-show"),
        *_closers(),
    ),
    S.NO_SHOW: (
        Move(S.EVAL_SCHEDULED, "Reschedule evaluation", booked=True),
        Move(S.LOST_TO_FOLLOW_UP, "Lost to follow-up"),
    ),
    S.EVALUATED: (
        Move(S.ACCEPTED, "Accept for treatment", CLINICAL),
        Move(S.NOT_RECOMMENDED, "Not recommended", CLINICAL),
        Move(S.DECLINED_BY_PATIENT, "Patient declined"),
        Move(S.LOST_TO_FOLLOW_UP, "Lost to follow-up"),
    ),
    S.ACCEPTED: (
        Move(S.ACUTE, "Start acute series", CLINICAL),
        *_closers(),
    ),
    S.ACUTE: (
        Move(S.ACUTE_COMPLETE, "Acute series complete", CLINICAL),
        Move(S.RETURNED, "Return to referrer", CLINICAL),
        Move(S.DECLINED_BY_PATIENT, "Patient stopped treatment"),
        Move(S.LOST_TO_FOLLOW_UP, "Lost to follow-up"),
    ),
    S.ACUTE_COMPLETE: (
        Move(S.MAINTENANCE, "Start maintenance", CLINICAL),
        Move(S.RETURNED, "Return to referrer", CLINICAL),
        Move(S.LOST_TO_FOLLOW_UP, "Lost to follow-up"),
    ),
    S.MAINTENANCE: (
        Move(S.RETURNED, "Return to referrer", CLINICAL),
        Move(S.DECLINED_BY_PATIENT, "Patient stopped treatment"),
        Move(S.LOST_TO_FOLLOW_UP, "Lost to follow-up"),
    ),
    S.NOT_RECOMMENDED: (),
    S.RETURNED: (),
    S.CANCELLED: (),
    S.DECLINED_BY_PATIENT: (),
    S.LOST_TO_FOLLOW_UP: (),
}


@dataclass(frozen=True)
class NextAction:
    text: str
    role: str
    due_in: timedelta


NEXT_ACTION: dict[Status, NextAction] = {
    S.RECEIVED: NextAction("Acknowledge the referral to the referrer", Role.COORDINATOR, timedelta(hours=24)),
    S.ACKNOWLEDGED: NextAction("Contact the patient and schedule the evaluation", Role.COORDINATOR, timedelta(days=3)),
    S.INFO_REQUESTED: NextAction("Follow up on the missing information", Role.COORDINATOR, timedelta(days=5)),
    S.EVAL_SCHEDULED: NextAction("Hold the evaluation", Role.CLINICIAN, timedelta(days=14)),
    S.NO_SHOW: NextAction("Reach the patient to reschedule, or close", Role.COORDINATOR, timedelta(days=2)),
    S.EVALUATED: NextAction("Decide on treatment and send the evaluation summary", Role.CLINICIAN, timedelta(hours=48)),
    S.ACCEPTED: NextAction("Book and start the acute series", Role.COORDINATOR, timedelta(days=14)),
    S.ACUTE: NextAction("Complete the acute series and update the referrer", Role.CLINICIAN, timedelta(days=21)),
    S.ACUTE_COMPLETE: NextAction(
        "Send the outcome summary; plan maintenance or hand back", Role.CLINICIAN, timedelta(days=7)
    ),
    S.MAINTENANCE: NextAction("Send the monthly progress update", Role.CLINICIAN, timedelta(days=30)),
}


# Open referrals have a next action and an owner; terminal ones have neither and no moves.
OPEN = frozenset(NEXT_ACTION)
TERMINAL = frozenset(s for s, moves in TRANSITIONS.items() if not moves)
assert set(S) == OPEN | TERMINAL and not OPEN & TERMINAL, "every status is open or terminal"
assert TERMINAL <= CLOSING, "every terminal status is entered with a reason"


def moves_from(status: str) -> tuple[Move, ...]:
    return TRANSITIONS[Status(status)]


def find_move(from_status: str, to_status: str) -> Move | None:
    return next((m for m in moves_from(from_status) if m.to == to_status), None)


def moves_for(status: str, role: str) -> tuple[Move, ...]:
    """The moves this role may make from this status: the buttons a page shows (a booked move is the booking
    panel's, which opens the booking form)."""
    return tuple(m for m in moves_from(status) if role in m.roles and not m.booked)
