"""The JSON API, version 1: one NinjaAPI, one router per domain. OpenAPI 3 at /api/v1/openapi.json,
its docs page at /api/v1/docs (served from django-ninja's own static files, no CDN)."""

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import HttpBearer

from liaison.accounts.tokens import api_token_find


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`; the token acts as its referrer's or practice admin's account."""

    openapi_description = "A token made by the practice for your EHR (liaison api_token USERNAME NAME)."

    def authenticate(self, request, token):
        return api_token_find(token)


api = NinjaAPI(
    title="Liaison referral API",
    version="1",
    description="Send referrals to the practice and follow them: the same fields and rules as the web form.",
    urls_namespace="api",
)


def _field(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "payload", "query", "path", "header")]
    return ".".join(parts) or "request"


@api.exception_handler(ValidationError)
def invalid(request, exc):
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        errors.setdefault(_field(error.get("loc", ())), []).append(error.get("msg", "is not valid"))
    return api.create_response(
        request, {"message": "The request has problems; nothing was written.", "errors": errors}, status=422
    )


@api.exception_handler(AuthenticationError)
def unauthorised(request, exc):
    return api.create_response(
        request, {"message": "A valid API token is needed (Authorization: Bearer …)."}, status=401
    )


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"message": "Not found."}, status=404)


def _routers():
    from liaison.api.account import router as account_router
    from liaison.api.reference import router as reference_router
    from liaison.api.referrals import router as referrals_router

    api.add_router("/referrals", referrals_router)
    api.add_router("/reference", reference_router)
    api.add_router("/me", account_router)


_routers()
