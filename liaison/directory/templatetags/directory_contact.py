"""`{{ referrer|channel_problem }}`: the warning that a referrer's preferred channel cannot carry letters (the
portal without a portal account, say), for the pages that show where letters go; "" when it can.
One query, and only when the preferred channel is the portal (see directory.services.channel_problem)."""

from django import template

from liaison.directory import services

register = template.Library()


@register.filter
def channel_problem(referrer) -> str:
    return services.channel_problem(referrer) if referrer is not None else ""
