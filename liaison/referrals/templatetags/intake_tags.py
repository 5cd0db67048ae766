"""Words for the referrer portal: the practice's next step, said to the referrer rather than to staff."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from liaison.referrals.choices import Status

register = template.Library()

S = Status
FOR_REFERRER = {
    S.RECEIVED: "We confirm to you that we have the referral",
    S.ACKNOWLEDGED: "We contact the patient to schedule the evaluation",
    S.INFO_REQUESTED: "We wait for the information we asked for, then follow up",
    S.EVAL_SCHEDULED: "The patient's evaluation with our clinician",
    S.NO_SHOW: "We try to reach the patient to reschedule",
    S.EVALUATED: "We decide on treatment and send you the evaluation summary",
    S.ACCEPTED: "We book and start the treatment series",
    S.ACUTE: "The treatment series; we update you when it is complete",
    S.ACUTE_COMPLETE: "We send you the outcome summary and plan what comes next",
    S.MAINTENANCE: "We send you the monthly progress update",
}


@register.filter
def next_step_for_referrer(referral) -> str:
    if referral.status == S.RECEIVED and referral.next_action_role == "clinician":
        return "A clinician reviews the referral, then we confirm it to you"
    return FOR_REFERRER.get(referral.status, referral.next_action or "—")


def _badge(tone: str, text: str, title: str = "") -> str:
    title_attr = format_html(' title="{}"', title) if title else ""
    return format_html('<span class="sb sb-{}"{}>{}</span>', tone, title_attr, text)


@register.simple_tag
def screening_badges(s) -> str:
    """The screening result as compact badges: one function call per inbox row, not a template include
    (fifty includes were a third of the inbox's rendering time; docs/benchmarks.md)."""
    if not s:  # no screening (the template passes "" when the related row is missing)
        return mark_safe('<span class="muted small">—</span>')  # noqa: S308 - a constant
    badges = []
    if s.safety == "urgent":
        badges.append(_badge("urgent", "Safety: urgent", "Urgent safety flag"))
    elif s.safety == "review":
        badges.append(_badge("review", "Safety: review", "Safety flag for clinical review"))
    if s.resistance == "likely":
        badges.append(_badge("likely", "TRD likely", f"{s.adequate_failed} failed adequate trials"))
    else:
        title = f"{s.adequate_failed} failed adequate, {s.unclear_trials} unclear"
        badges.append(_badge("neutral", "TRD: review", title))
    if s.missing_count:
        badges.append(_badge("neutral", f"{s.missing_count} missing", "What the assessment still needs"))
    if s.possible_duplicate:
        badges.append(_badge("review", "Possible duplicate"))
    return format_html('<span class="sbadges">{}</span>', mark_safe("".join(badges)))  # noqa: S308 - escaped parts
