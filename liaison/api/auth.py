"""How the JSON API knows who is calling: a bearer token, checked against the role table and the rate limit.
The routers (account, referrals) use it; liaison/api/api.py builds the API from them, so nothing here imports it."""

from django.conf import settings
from ninja.errors import AuthorizationError, Throttled
from ninja.security import HttpBearer

from liaison.accounts.tokens import api_token_find
from liaison.core import ratelimit
from liaison.core.audit import audit_log
from liaison.core.permissions import may


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`; the token acts as its referrer's or practice admin's account. Each token
    may make API_RATE_LIMIT requests a minute, counted in the store every web process shares."""

    openapi_description = "A token made by the practice for your EHR (liaison api_token USERNAME NAME)."

    def authenticate(self, request, token):
        found = api_token_find(token)
        if found is None:
            return None
        if not may(found.user, "api.token"):
            audit_log(actor=found.user, action="access_denied", object_type="api", detail={"status": 403})
            raise AuthorizationError()
        verdict = ratelimit.hit("api", found.pk, limit=settings.API_RATE_LIMIT, window=60)
        if not verdict.allowed:
            raise Throttled(wait=verdict.retry_after)
        return found
