"""Helpers for the sign-in tests: a real sign-in through the page, and an authenticator app's codes computed
here from RFC 6238 (not with allauth's own code, so that the tests check it)."""

import base64
import hashlib
import hmac
import struct
import time

from django.urls import reverse

from liaison.accounts.tests.factories import PASSWORD

LOGIN = reverse("accounts:login")
MFA = "/accounts/2fa/"
MFA_AUTHENTICATE = "/accounts/2fa/authenticate/"
ACTIVATE_TOTP = "/accounts/2fa/totp/activate/"


def totp_code(secret: str, at: float | None = None) -> str:
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(base64.b32decode(secret, casefold=True), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


def sign_in(client, username: str, password: str = PASSWORD, *, path: str = LOGIN, **extra):
    return client.post(path, {"username": username, "password": password}, **extra)


def enrol_totp(client) -> str:
    """Set up an authenticator app for whoever is signed in on this client; returns its secret."""
    secret = client.get(ACTIVATE_TOTP).context["form"].secret
    response = client.post(ACTIVATE_TOTP, {"code": totp_code(secret)})
    assert response.status_code == 302, response.content.decode()[:2000]
    return secret
