"""allauth's adapters, set to how Liaison signs people in: accounts are made by an administrator (no sign-up),
password failures are counted by axes in the database (not per process), and the messages are ours."""

from allauth.account.adapter import DefaultAccountAdapter
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

    def pre_authenticate(self, request, **credentials) -> None:
        """Password attempts are counted and refused by axes (AUTHENTICATION_BACKENDS), in the database that
        every web process shares; allauth's per-process count would refuse attempts before they reach it."""


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
