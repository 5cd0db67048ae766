from django import template

register = template.Library()


@register.inclusion_tag("comms/_owed_slot.html")
def owed_to_referrer(referral):
    """What the referral owes its referrer next: one line in referrals/detail.html. The card loads by itself
    (htmx, on load), so the referral page keeps its own queries."""
    return {"referral": referral}
