"""The diagnosis look-up's list of codes for browsers without its script (referrals/icd10.js replaces it)."""

from django import template

from liaison.referrals import icd10

register = template.Library()


@register.inclusion_tag("referrals/intake/_icd10_options.html")
def icd10_datalist():
    return {"codes": icd10.codes()}
