"""Relationship health, the rules: one referrer's figures in, a score (0-100), a flag and reasons in words out.
`assess()` is a pure function, so the rules are tested on hand-built histories."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from liaison.crm.choices import Cause, Flag
from liaison.referrals.choices import Status

WINDOW = timedelta(days=90)
YEAR = timedelta(days=365)
PROMPT_WINDOW = timedelta(days=30)
MIN_INTERVAL_DAYS = 7.0
COOLING_INTERVALS = 2  # cooling once the usual interval has passed twice ...
DORMANT_INTERVALS = 4  # ... dormant after four times, and never sooner than
DORMANT_MIN_DAYS = 90
SINGLE_COOLING_DAYS = 90  # one referral only: no usual interval yet
SINGLE_DORMANT_DAYS = 180
OVERDUE_GRACE = timedelta(days=7)
PLAYBOOK_REPEAT = timedelta(days=30)

ACCEPTED = (Status.ACCEPTED, Status.ACUTE, Status.ACUTE_COMPLETE, Status.MAINTENANCE, Status.RETURNED)
TREATED = (Status.ACUTE, Status.ACUTE_COMPLETE, Status.MAINTENANCE, Status.RETURNED)
DISAPPOINTING = (Status.NOT_RECOMMENDED, Status.LOST_TO_FOLLOW_UP, Status.DECLINED_BY_PATIENT, Status.NO_SHOW)


@dataclass
class Figures:
    """One referrer's raw figures, as the aggregate queries return them."""

    total: int = 0
    last_90: int = 0
    prior_90: int = 0
    first_at: datetime | None = None
    last_at: datetime | None = None
    accepted: int = 0
    treated: int = 0
    returned: int = 0
    disappointing: int = 0
    recent: int = 0  # referrals in the last year (for complexity)
    trials: int = 0  # medication trials on those referrals
    unprompted: int = 0
    outreach: int = 0
    responded: int = 0
    proposed: int = 0
    accepted_meetings: int = 0
    reciprocal: int = 0
    enthusiasm: int | None = None
    overdue_tasks: int = 0
    overdue_letters: int = 0
    open_conflict: bool = False


@dataclass
class Verdict:
    score: int
    flag: str
    cause: str = ""
    reasons: list[str] = field(default_factory=list)
    usual_interval: float | None = None
    days_since: int | None = None


def usual_interval(f: Figures) -> float | None:
    """The referrer's own usual gap between referrals: the mean gap, first to last."""
    if f.total < 2 or f.first_at is None or f.last_at is None:
        return None
    span = (f.last_at - f.first_at).total_seconds() / 86400
    return max(span / (f.total - 1), MIN_INTERVAL_DAYS)


def flag_for(f: Figures, *, since: int | None, usual: float | None) -> str:
    if f.total == 0 or since is None:
        return Flag.NO_REFERRALS
    if usual is None:
        if since > SINGLE_DORMANT_DAYS:
            return Flag.DORMANT
        return Flag.COOLING if since > SINGLE_COOLING_DAYS else Flag.NEW
    if since > DORMANT_INTERVALS * usual and since >= DORMANT_MIN_DAYS:
        return Flag.DORMANT
    if since > COOLING_INTERVALS * usual:
        return Flag.COOLING
    if f.prior_90 >= 4 and f.last_90 * 2 <= f.prior_90:
        return Flag.COOLING
    return Flag.HEALTHY


def cause_for(f: Figures) -> str:
    """The likely cause of a cooling relationship, most specific first."""
    if f.open_conflict:
        return Cause.CONFLICT
    if f.overdue_letters or f.overdue_tasks:
        return Cause.COMMUNICATION
    if f.disappointing:
        return Cause.OUTCOME
    return Cause.UNKNOWN


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def _pct(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%"


def _interval_points(f: Figures, flag: str, since: int | None, usual: float | None) -> tuple[int, str]:
    if flag == Flag.NO_REFERRALS:
        return 0, "No referrals yet."
    if usual is None:
        word = {Flag.NEW: 5, Flag.COOLING: -15, Flag.DORMANT: -30}[flag]
        return word, f"One referral so far, {_days(since)} ago."
    text = f"Last referral {_days(since)} ago; they usually refer every {round(usual)} days."
    if flag == Flag.DORMANT:
        return -35, text + " That is more than four of their usual gaps."
    if since > COOLING_INTERVALS * usual:
        return -20, text + " Their usual gap has passed twice."
    return (15 if since <= usual else 5), text


def _trend_points(f: Figures) -> tuple[int, str | None]:
    if f.last_90 == f.prior_90:
        return 0, (f"Steady: {f.last_90} referrals in each of the last two 90-day periods." if f.last_90 else None)
    direction = "up" if f.last_90 > f.prior_90 else "down"
    points = 10 if direction == "up" else -10
    return points, f"Referrals {direction}: {f.last_90} in the last 90 days against {f.prior_90} in the 90 before."


def _engagement_points(f: Figures) -> list[tuple[int, str]]:
    out = []
    if f.outreach >= 3:
        rate = f.responded / f.outreach
        points = 5 if rate >= 0.5 else (-5 if rate < 0.2 else 0)
        out.append((points, f"Answered {_pct(f.responded, f.outreach)} of {f.outreach} outreach contacts."))
    if f.proposed:
        rate = f.accepted_meetings / f.proposed
        points = 5 if rate >= 0.5 else -5
        out.append((points, f"Accepted {f.accepted_meetings} of {f.proposed} meetings we proposed."))
    if f.enthusiasm is not None:
        out.append(
            ({1: -10, 2: -5, 3: 0, 4: 5, 5: 10}[f.enthusiasm], f"You rated their enthusiasm {f.enthusiasm} of 5.")
        )
    if f.unprompted:
        out.append((min(10, 2 * f.unprompted), f"{f.unprompted} referrals this year came without outreach first."))
    if f.reciprocal:
        out.append((5, f"We have referred {f.reciprocal} patients to them."))
    if f.recent and f.trials / f.recent >= 3:
        out.append((5, f"They send complex cases: {f.trials / f.recent:.1f} prior medication trials on average."))
    return out


def assess(f: Figures, *, now: datetime) -> Verdict:
    """Score (0-100), flag and reasons in words for one referrer's figures."""
    since = (now - f.last_at).days if f.last_at else None
    usual = usual_interval(f)
    flag = flag_for(f, since=since, usual=usual)
    parts = [_interval_points(f, flag, since, usual), _trend_points(f), *_engagement_points(f)]
    score = 50 + sum(points for points, _ in parts)
    reasons = [text for _, text in parts if text]
    cause = ""
    if flag in (Flag.COOLING, Flag.DORMANT):
        cause = cause_for(f)
        reasons.append(f"Likely cause: {Cause(cause).label.lower()}.")
    return Verdict(max(0, min(100, score)), flag, cause, reasons, usual, since)
