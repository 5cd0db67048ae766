"""The care panel on the referral page and the safety alerts above the inbox, as inclusion tags, so the
referral views need not know about care. Both read through care.queries, which scopes and audits."""

from django import template
from django.utils import timezone

from liaison.accounts.access import may
from liaison.care import queries
from liaison.care.charts import score_chart
from liaison.care.forms import AcknowledgeForm
from liaison.core.audit import audit_log
from liaison.referrals.choices import Status

register = template.Library()


@register.inclusion_tag("care/_panel.html", takes_context=True)
def care_panel(context, referral):
    """Sessions, scores, charts, outcome, open alerts and the links to record more. Four queries and an audit row."""
    user = context["request"].user
    panel = queries.care_panel(user=user, referral=referral)
    staff = user.sees_all_referrals
    return {
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
        "user": user,
        "referral": referral,
        "panel": panel,
        "staff": staff,
        "can_record": may(user, "care.session.record"),
        "can_acknowledge": may(user, "care.alert.acknowledge"),
        "charts": [score_chart("phq9", panel.series("phq9")), score_chart("gad7", panel.series("gad7"))],
        "offer_complete": staff and referral.status == Status.ACUTE and panel.acute_finished,
        "ack_form": AcknowledgeForm(),
        "now": timezone.now(),
    }


@register.inclusion_tag("care/_alerts.html", takes_context=True)
def care_alerts(context):
    """Every open safety alert for this person, whatever the inbox filters say. One query (and an audit row)."""
    request = context["request"]
    alerts = queries.open_alerts(user=request.user)
    if alerts:
        audit_log(
            actor=request.user,
            action="list",
            object_type="care.safetyalert",
            detail={"alerts": [a.pk for a in alerts]},
        )
    return {
        "alerts": alerts,
        "user": request.user,
        "csrf_token": context.get("csrf_token"),
        "ack_form": AcknowledgeForm(),
    }


@register.filter
def link_state(link, now) -> str:
    return link.state(now)
