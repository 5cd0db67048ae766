"""The care panel on the referral page and the safety alerts above the inbox, as inclusion tags, so the
referral views need not know about care. Both read through care.queries, which scopes and audits."""

from django import template
from django.utils import timezone

from liaison.accounts.access import may
from liaison.care import alert_rows, queries
from liaison.care.bookings import bookable_kind, when_words
from liaison.care.charts import score_chart
from liaison.care.choices import BookingStatus
from liaison.care.forms import AcknowledgeForm
from liaison.care.schedule import referral_bookings
from liaison.core.audit import audit_part
from liaison.referrals.choices import Status
from liaison.referrals.lifecycle import find_move

register = template.Library()


INBOX_ALERTS = 10  # the oldest shown on the inbox; the rest are on the open-alerts page, counted here


@register.inclusion_tag("care/_panel.html", takes_context=True)
def care_panel(context, referral):
    """Sessions, scores, charts, outcome, open alerts and the links to record more: a query for each of the lists that
    has rows (the referral page's query says which) and the panel's entry in the page's audit row."""
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
    """The open safety alerts for this person, whatever the inbox filters say: how many, and the oldest
    INBOX_ALERTS of them, with the whole list a click away. One query however many (and what it showed in the page's
    audit row)."""
    request = context["request"]
    alerts, total = queries.open_alerts_oldest(user=request.user, limit=INBOX_ALERTS)
    if alerts:  # in the inbox's own row (decision 0034), else a row of its own
        audit_part(
            actor=request.user,
            action="list",
            object_type="care.safetyalert",
            detail={"alerts": [a["id"] for a in alerts]},
        )
    return {
        "alerts": alerts,
        "total": total,
        "more": total - len(alerts),
        "user": request.user,
        "csrf_token": context.get("csrf_token"),
        "ack_form": AcknowledgeForm(),
    }


@register.filter
def link_state(link, now) -> str:
    return link.state(now)


@register.filter
def alert_items(alerts):
    """The alerts' list, written in Python (liaison.care.alert_rows)."""
    return alert_rows.alert_items(alerts)


@register.inclusion_tag("care/_booking_panel.html", takes_context=True)
def booking_panel(context, referral):
    """The referral's bookings and the way to book its evaluation ("Schedule evaluation" opens the booking form)
    or a session; none read when the page's own query found none (schedule.HAS_BOOKINGS)."""
    user = context["request"].user
    staff = user.sees_all_referrals
    bookings = referral_bookings(user=user, referral=referral) if staff else []
    kind = bookable_kind(referral) if staff and referral.is_open else None
    move = find_move(referral.status, Status.EVAL_SCHEDULED)
    can_book = may(user, "care.booking") and (kind != "evaluation" or (move and user.role in move.roles))
    current = next((b for b in bookings if b.status == BookingStatus.BOOKED), None)
    return {
        "request": context["request"],
        "referral": referral,
        "show": staff and (bookings or kind),
        "bookings": bookings,
        "current": current,
        "current_when": when_words(current.starts_at, current.ends_at) if current else "",
        "kind": kind,
        "can_book": can_book,
        "evaluation_label": move.label if move else "",
    }
