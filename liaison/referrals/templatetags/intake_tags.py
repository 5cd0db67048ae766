"""Words for the referrer portal: the practice's next step, said to the referrer rather than to staff."""

from django import template

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
