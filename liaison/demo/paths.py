"""Plausible histories through the referral lifecycle: which steps, how long each took, and why.

Both networks share this, so the demo's timelines and the benchmark's rows follow the same rules:
every move is one that lifecycle.TRANSITIONS allows, and every closing move carries a reason.
"""

import math
import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.utils import timezone

from liaison.demo import vocab
from liaison.referrals import lifecycle
from liaison.referrals.choices import Status

S = Status
SPAN = timedelta(days=548)  # eighteen months of history, ending now

# How often each final status comes up. Open ones are the pipeline of the last weeks;
# closed ones accumulate over the whole span.
OPEN_FATES = {
    S.RECEIVED: 10,
    S.ACKNOWLEDGED: 10,
    S.INFO_REQUESTED: 6,
    S.EVAL_SCHEDULED: 14,
    S.NO_SHOW: 3,
    S.EVALUATED: 5,
    S.ACCEPTED: 5,
    S.ACUTE: 14,
    S.ACUTE_COMPLETE: 5,
    S.MAINTENANCE: 28,
}
CLOSED_FATES = {  # about a third of closed referrals were evaluated and a fifth treated (decision 0028)
    S.RETURNED: 20,
    S.NOT_RECOMMENDED: 10,
    S.DECLINED_BY_PATIENT: 22,
    S.LOST_TO_FOLLOW_UP: 24,
    S.CANCELLED: 24,
}

# From which status each closing move usually happens.
CLOSED_FROM = {
    S.NOT_RECOMMENDED: {S.EVALUATED: 6, S.RECEIVED: 2, S.INFO_REQUESTED: 2},
    S.DECLINED_BY_PATIENT: {S.ACKNOWLEDGED: 4, S.EVAL_SCHEDULED: 4, S.EVALUATED: 2, S.ACCEPTED: 1, S.ACUTE: 1},
    S.LOST_TO_FOLLOW_UP: {S.INFO_REQUESTED: 3, S.NO_SHOW: 3, S.ACKNOWLEDGED: 3, S.ACUTE: 1, S.MAINTENANCE: 1},
    S.CANCELLED: {S.RECEIVED: 2, S.ACKNOWLEDGED: 2, S.INFO_REQUESTED: 1, S.EVAL_SCHEDULED: 2, S.ACCEPTED: 1},
    S.RETURNED: {S.MAINTENANCE: 6, S.ACUTE_COMPLETE: 3, S.ACUTE: 1},
}

# Hours from the previous step to this one: (shortest, longest).
GAP_HOURS = {
    S.ACKNOWLEDGED: (1, 30),
    S.INFO_REQUESTED: (2, 72),
    S.EVAL_SCHEDULED: (24, 144),
    S.NO_SHOW: (72, 336),
    S.EVALUATED: (72, 336),
    S.ACCEPTED: (2, 72),
    S.ACUTE: (72, 288),
    S.ACUTE_COMPLETE: (336, 576),
    S.MAINTENANCE: (72, 336),
    S.RETURNED: (48, 240),
    S.NOT_RECOMMENDED: (4, 72),
    S.DECLINED_BY_PATIENT: (24, 504),
    S.LOST_TO_FOLLOW_UP: (336, 1008),
    S.CANCELLED: (4, 336),
}
# Where the previous step changes the pace: (previous, next) -> hours.
GAP_AFTER = {
    (S.INFO_REQUESTED, S.ACKNOWLEDGED): (48, 240),
    (S.MAINTENANCE, S.RETURNED): (1440, 4800),
    (S.ACUTE, S.RETURNED): (168, 504),
}


@dataclass(frozen=True)
class Step:
    """One move: the status reached, how long after the previous step, and the reason given."""

    status: Status
    after: timedelta
    reason: str = ""


def pick(rng: random.Random, weights: dict):
    """One key of `weights`, drawn in proportion to its weight."""
    return rng.choices(tuple(weights), weights=tuple(weights.values()))[0]


def statuses_to(rng: random.Random, fate: Status) -> list[Status]:
    """The statuses a referral passes through on its way to `fate`, starting at received."""
    origin = pick(rng, CLOSED_FROM[fate]) if fate in CLOSED_FROM else fate
    line = _main_line(
        rng,
        acknowledge=origin == S.ACKNOWLEDGED or rng.random() < 0.9,
        info_loop=origin == S.INFO_REQUESTED or rng.random() < 0.15,
        no_show=origin == S.NO_SHOW or rng.random() < 0.07,
        maintenance=origin == S.MAINTENANCE or (origin != S.ACUTE_COMPLETE and rng.random() < 0.7),
    )
    path = line[: len(line) - line[::-1].index(origin)]
    return [*path, fate] if fate in CLOSED_FROM else path


def _main_line(rng, *, acknowledge: bool, info_loop: bool, no_show: bool, maintenance: bool) -> list[Status]:
    """The whole road from received to returned, with the optional detours chosen."""
    line = [S.RECEIVED, *([S.ACKNOWLEDGED] if acknowledge else [])]
    if info_loop:
        line += [S.INFO_REQUESTED, S.ACKNOWLEDGED]
    line.append(S.EVAL_SCHEDULED)
    if no_show:
        line += [S.NO_SHOW, S.EVAL_SCHEDULED]
    line += [S.EVALUATED, S.ACCEPTED, S.ACUTE, S.ACUTE_COMPLETE]
    return [*line, *([S.MAINTENANCE] if maintenance else [])]


def plan_steps(rng: random.Random, fate: Status, *, back_to: str, phq9: int | None) -> list[Step]:
    """The moves after `received`, each with its delay and, where one is due, its reason."""
    statuses = statuses_to(rng, fate)
    steps = []
    for previous, status in zip(statuses, statuses[1:], strict=False):
        assert lifecycle.find_move(previous, status), f"{previous} -> {status} is not an allowed move"
        lo, hi = GAP_AFTER.get((previous, status), GAP_HOURS[status])
        reason = _reason(rng, previous, status, back_to=back_to, phq9=phq9)
        steps.append(Step(status, timedelta(minutes=round(rng.uniform(lo, hi) * 60)), reason))
    return steps


def _reason(rng, previous: Status, status: Status, *, back_to: str, phq9: int | None) -> str:
    """The words a person would write for this move; empty where none is needed."""
    if status in vocab.STEP_NOTES and rng.random() < 0.8:
        return rng.choice(vocab.STEP_NOTES[status])
    if status == S.DECLINED_BY_PATIENT and previous in (S.ACUTE, S.MAINTENANCE):
        return rng.choice(vocab.STOPPED_TREATMENT)
    if status == S.NOT_RECOMMENDED and previous != S.EVALUATED:
        return rng.choice(vocab.NOT_RECOMMENDED_ON_REVIEW)
    if status == S.RETURNED:
        before = phq9 if phq9 is not None and phq9 >= 12 else rng.randint(15, 24)
        after = rng.randint(2, max(3, before // 2)) if previous != S.ACUTE else rng.randint(before - 4, before)
        return rng.choice(vocab.RETURNED_FROM[previous]).format(before=before, after=after, back_to=back_to)
    return rng.choice(vocab.CLOSING_REASONS[status]) if status in vocab.CLOSING_REASONS else ""


def timeline(received: datetime, steps: list[Step], *, now: datetime) -> list[datetime]:
    """When each step happened. Staff work in office hours, so a step that would fall at night or
    at the weekend moves to the next working morning (unless that morning is still to come)."""
    times, at = [], received
    for step in steps:
        at += step.after
        moved = office_hours(at)
        at = moved if moved < now else at
        times.append(at)
    return times


def office_hours(at: datetime) -> datetime:
    """`at`, or the next weekday morning in the practice's time zone if `at` is out of hours."""
    local = at.astimezone(timezone.get_default_timezone())
    if local.weekday() < 5 and 9 <= local.hour < 18:
        return at
    day = local.date() + timedelta(days=0 if local.hour < 9 else 1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, time(9 + local.minute % 8, local.minute), tzinfo=local.tzinfo)


def duration(steps: list[Step]) -> timedelta:
    return sum((s.after for s in steps), timedelta())


def open_received_ago(rng: random.Random, steps: list[Step], fate: Status) -> timedelta:
    return duration(steps) + open_slack(rng, fate)


def open_slack(rng: random.Random, fate: Status) -> timedelta:
    """How long ago an open referral's last step was: within its next action's due time, or somewhat
    past it (about a quarter are overdue)."""
    return lifecycle.NEXT_ACTION[fate].due_in * rng.uniform(0.02, 1.35)


def growth_ago(u: float) -> timedelta:
    """How long ago a referral arrived, for u in [0, 1) from oldest to newest, in a network whose
    monthly volume doubled over the span (density rises linearly, so the newest months are busiest)."""
    elapsed = SPAN * (math.sqrt(1 + 3 * u) - 1)
    return SPAN - elapsed
