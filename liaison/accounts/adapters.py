"""allauth's adapters, set to how Liaison signs people in: accounts are made by an administrator (no sign-up),
password failures are counted by axes in the database (not per process), and the messages are ours."""

import time

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import get_authentication_records
from allauth.core import context
from allauth.mfa.adapter import DefaultMFAAdapter

from liaison.accounts.mfa import mfa_required_for, second_steps

WRONG_CODE = "That code is not right. Codes change every 30 seconds: try the one your app shows now."
TOO_MANY = "Too many tries in a short time. Wait a few minutes and try again."


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "username_password_mismatch": "That username and password do not match an account.",
        "too_many_login_attempts": TOO_MANY,
        "rate_limited": TOO_MANY,
        "incorrect_code": WRONG_CODE,
        "incorrect_password": "That is not your password.",
        "enter_current_password": "Type your password.",
        "account_inactive": "This account is switched off. Ask the practice's administrator.",
    }

    def is_open_for_signup(self, request) -> bool:
        return False

    def add_message(self, request, level, message_template=None, message_context=None, **kwargs) -> None:
        """The recovery codes' message says the old codes stop working only when there were old codes: when they
        were made anew (allauth uses the same message for the first ones, made with the first second step)."""
        if message_template == "mfa/messages/recovery_codes_generated.txt":
            match = getattr(request, "resolver_match", None)
            replaced = bool(match) and match.url_name == "mfa_generate_recovery_codes"
            message_context = {**(message_context or {}), "replaced": replaced}
        super().add_message(request, level, message_template, message_context, **kwargs)

    def pre_authenticate(self, request, **credentials) -> None:
        """Password attempts are counted and refused by axes (AUTHENTICATION_BACKENDS), in the database that
        every web process shares; allauth's per-process count would refuse attempts before they reach it."""

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        """Setting up a second step asks for the password again, unless the person has none yet (they have just
        signed in to set one up) or signed in, or confirmed, within the last few minutes."""
        user = getattr(context.request, "user", None)
        if (
            app == "allauth.mfa"
            and user is not None
            and user.is_authenticated
            and (not second_steps(user).exists() or _authenticated_recently(context.request, user))
        ):
            return False
        return super().is_reauthentication_required(app=app, **kwargs)


def _authenticated_recently(request, user) -> bool:
    records = get_authentication_records(request, user)
    return bool(records) and time.time() - records[-1]["at"] < account_settings.REAUTHENTICATION_TIMEOUT


class MFAAdapter(DefaultMFAAdapter):
    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "incorrect_code": WRONG_CODE,
        "cannot_delete_authenticator": "Your account needs a second step: add another before you remove this one.",
        "cannot_generate_recovery_codes": "Set up an authenticator app or a passkey first.",
        "unverified_email": "Your email address is not confirmed yet; ask the practice's administrator.",
    }

    def can_delete_authenticator(self, authenticator) -> bool:
        """Where a second step is required, the last authenticator app or passkey cannot be removed."""
        user = authenticator.user
        if authenticator.type == authenticator.Type.RECOVERY_CODES or not mfa_required_for(user):
            return True
        return second_steps(user).exclude(pk=authenticator.pk).exists()
