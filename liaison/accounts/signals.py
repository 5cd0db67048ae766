"""Sign-in events on the audit trail (signals only for the audit trail: STYLE.md). The address and path come
from the request being served (liaison.core.audit)."""

from allauth.account.signals import user_logged_in
from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_out, user_login_failed

from liaison.accounts.services import account_named
from liaison.core.audit import audit_log


def signed_in(sender, request, user, **kwargs):
    """A sign-in that passed every step (password, then the second step where there is one)."""
    audit_log(actor=user, action="sign_in", object_type="accounts.user", object_id=user.pk)


def sign_in_failed(sender, credentials, request=None, **kwargs):
    """The username tried, never the password; `locked_out`: this try set a lock, or a lock refused it."""
    username = str(credentials.get("username") or "")[:150]
    detail = {"username": username, "locked_out": bool(getattr(request, "axes_locked_out", False))}
    audit_log(actor=None, action="sign_in_failed", **account_named(username), detail=detail)


def signed_out(sender, request, user, **kwargs):
    if user is not None:
        audit_log(actor=user, action="sign_out", object_type="accounts.user", object_id=user.pk)


def locked_out(sender, request, username, ip_address, **kwargs):
    """The moment a lock is set (axes also signals each try refused during it: those are failed sign-ins)."""
    if getattr(request, "axes_failures_since_start", None) is None:  # axes counts the failures only when it locks
        return
    detail = {"username": username or "", "ip_address": ip_address}
    audit_log(actor=None, action="sign_in_locked", **account_named(username or ""), detail=detail)


def _mfa_event(action):
    def receiver(sender, request, user, authenticator, **kwargs):
        detail = {"type": authenticator.type}
        if kwargs.get("reauthentication") or kwargs.get("reauthenticated"):
            detail["reauthentication"] = True
        audit_log(actor=user, action=action, object_type="accounts.user", object_id=user.pk, detail=detail)

    return receiver


def mfa_used(sender, request, user, authenticator, **kwargs):
    """A recovery code spent is worth its own row: the person may have lost their phone."""
    action = "mfa_recovery_code_used" if authenticator.type == Authenticator.Type.RECOVERY_CODES else "mfa_used"
    _mfa_event(action)(sender, request, user, authenticator, **kwargs)


def mfa_reset(sender, request, user, authenticator, **kwargs):
    action = "mfa_recovery_codes_generated" if authenticator.type == Authenticator.Type.RECOVERY_CODES else "mfa_reset"
    _mfa_event(action)(sender, request, user, authenticator, **kwargs)


def connect() -> None:
    user_logged_in.connect(signed_in, dispatch_uid="audit_sign_in")
    user_login_failed.connect(sign_in_failed, dispatch_uid="audit_sign_in_failed")
    user_logged_out.connect(signed_out, dispatch_uid="audit_sign_out")
    user_locked_out.connect(locked_out, dispatch_uid="audit_sign_in_locked")
    mfa_signals.authenticator_added.connect(_mfa_event("mfa_added"), dispatch_uid="audit_mfa_added", weak=False)
    mfa_signals.authenticator_removed.connect(_mfa_event("mfa_removed"), dispatch_uid="audit_mfa_removed", weak=False)
    mfa_signals.authenticator_reset.connect(mfa_reset, dispatch_uid="audit_mfa_reset")
    mfa_signals.authenticator_used.connect(mfa_used, dispatch_uid="audit_mfa_used")
    mfa_signals.authentication_failed.connect(_mfa_event("mfa_failed"), dispatch_uid="audit_mfa_failed", weak=False)
