"""`{% if user|may:"referral.list" %}`: templates ask the role table, as views do."""

from django import template

from liaison.accounts import access

register = template.Library()


@register.filter
def may(user, capability: str) -> bool:
    return access.may(user, capability)
