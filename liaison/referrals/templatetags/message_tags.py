"""The messages panel on the staff's referral page (templates/referrals/_messages_panel.html): the thread with the
referrer, their unread replies, and the form to write to them. The referral's own query says whether it has any
messages and whether its referrer has a portal account (queries.PAGE_ANNOTATIONS, set in apps.py), so a referral
with none costs the page no query."""

from django import template

from liaison.core.audit import audit_part
from liaison.referrals import messages
from liaison.referrals.message_forms import MessageForm

register = template.Library()


@register.inclusion_tag("referrals/_messages_panel.html", takes_context=True)
def messages_panel(context, referral):
    request = context["request"]
    thread = messages.messages_of(referral) if getattr(referral, "has_messages", True) else []
    if thread:
        audit_part(
            actor=request.user, action="view", object_type="referrals.referralmessage", object_id=referral.pk,
            patient_id=referral.patient_id, detail={"messages": [m.pk for m in thread]},
        )  # fmt: skip
    return {
        "referral": referral,
        "thread": thread,
        "unread": sum(1 for m in thread if m.from_referrer and m.read_at is None),
        "form": MessageForm(prefix="message"),
        "has_portal": getattr(referral, "referrer_has_portal", True),
        "csrf_token": context.get("csrf_token"),
        "user": request.user,
    }
