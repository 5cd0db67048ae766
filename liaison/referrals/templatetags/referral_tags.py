from django import template
from django.utils import timezone
from django.utils.timesince import timesince, timeuntil

from liaison.directory.validators import display_phone
from liaison.referrals.choices import Status

register = template.Library()

STATUS_TONE = {
    Status.RECEIVED: "new",
    Status.ACKNOWLEDGED: "progress",
    Status.INFO_REQUESTED: "waiting",
    Status.EVAL_SCHEDULED: "progress",
    Status.EVALUATED: "progress",
    Status.ACCEPTED: "progress",
    Status.ACUTE: "treat",
    Status.ACUTE_COMPLETE: "treat",
    Status.MAINTENANCE: "treat",
    Status.NO_SHOW: "waiting",
}


@register.filter
def status_tone(status: str) -> str:
    return STATUS_TONE.get(status, "closed")


STATUS_LABEL = dict(Status.choices)  # Status.values builds a new list on every call


@register.filter
def status_label(status: str) -> str:
    return STATUS_LABEL.get(status, status)


@register.simple_tag
def due_phrase(due_at):
    """'overdue by 3 hours' or 'in 2 days', for the next action's due time."""
    if due_at is None:
        return ""
    now = timezone.now()
    if due_at < now:
        return f"overdue by {timesince(due_at, now, depth=1)}"
    return f"in {timeuntil(due_at, now, depth=1)}"


@register.filter
def is_overdue(due_at) -> bool:
    return due_at is not None and due_at < timezone.now()


@register.filter
def phone(value: str) -> str:
    """A stored E.164 number as people write it: (212) 555-0142."""
    return display_phone(value)
