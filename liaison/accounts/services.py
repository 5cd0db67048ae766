"""Writes about accounts' sign-in: resetting someone's second step, lifting a lockout. Each one is audited."""

from allauth.mfa.models import Authenticator
from axes.models import AccessAttempt
from django.core.exceptions import ValidationError
from django.db import transaction

from liaison.core.audit import audit_log


def user_mfa_reset(*, user, by) -> int:
    """Remove every authenticator app, passkey and recovery code of this user (a lost phone, a new key);
    their next sign-in asks them to set a second step up again. Returns how many were removed."""
    with transaction.atomic():
        removed = list(Authenticator.objects.filter(user_id=user.pk).values_list("type", flat=True))
        Authenticator.objects.filter(user_id=user.pk).delete()
        audit_log(actor=by, action="mfa_reset", obj=user, detail={"user": user.get_username(), "removed": removed})
    return len(removed)


def sign_in_unlock(*, by, username: str = "", ip_address: str = "") -> int:
    """Lift the lockout of an account (by username) or of an address, or both: their failed attempts are
    forgotten. Returns how many records of attempts were removed."""
    if not (username or ip_address):
        raise ValidationError({"username": ["Name the account or the address to unlock."]})
    with transaction.atomic():
        attempts = AccessAttempt.objects.all()
        if username and ip_address:
            attempts = attempts.filter(username=username) | attempts.filter(ip_address=ip_address)
        elif username:
            attempts = attempts.filter(username=username)
        else:
            attempts = attempts.filter(ip_address=ip_address)
        failures = sum(attempts.values_list("failures_since_start", flat=True))
        removed, _ = attempts.delete()
        audit_log(
            actor=by,
            action="sign_in_unlock",
            object_type="accounts.user" if username else "",
            detail={"username": username, "ip_address": ip_address, "failures_forgotten": failures},
        )
    return removed
