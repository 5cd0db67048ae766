"""`liaison check --deploy` warns when sign-in in production lacks its second step."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def mfa_required_in_production(app_configs, **kwargs):
    if settings.MODE != "production" or settings.LIAISON_MFA_REQUIRED:
        return []
    return [
        Warning(
            "LIAISON_MFA_REQUIRED is off: people sign in to patients' records with a password alone.",
            hint="Unset LIAISON_MFA_REQUIRED (it is on by default) or set it to true.",
            id="accounts.W001",
        )
    ]
