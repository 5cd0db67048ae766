"""Who must have a second sign-in step (an authenticator app or a passkey), and who has one.

Every account must, where LIAISON_MFA_REQUIRED is on (the default), except the demo's own accounts in demo mode:
their password is printed for all to see, and the demo keeps its one command."""

from allauth.mfa.models import Authenticator
from django.conf import settings

# The usernames `liaison demo` creates (liaison/demo/base.py DEMO_USERS; a test keeps the two lists equal).
DEMO_USERNAMES = frozenset(
    {"coordinator", "clinician", "clinician2", "liaison", "director", "admin", "referrer", "practice-admin"}
)
SECOND_STEPS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


def demo_exempt(user) -> bool:
    return settings.MODE == "demo" and user.get_username() in DEMO_USERNAMES


def mfa_required_for(user) -> bool:
    return settings.LIAISON_MFA_REQUIRED and user.is_authenticated and not demo_exempt(user)


def second_steps(user):
    """The user's authenticator apps and passkeys (recovery codes are a way back in, not a step of their own)."""
    return Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_STEPS)
