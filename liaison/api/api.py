"""The JSON API, version 1: one NinjaAPI, one router per domain. OpenAPI 3 at /api/v1/openapi.json,
its docs page at /api/v1/docs (served from django-ninja's own static files, no CDN)."""

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from liaison.api.account import router as account_router
from liaison.api.errors import error_body
from liaison.api.reference import router as reference_router
from liaison.api.referrals import router as referrals_router


class LiaisonAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        """Ninja's schema, with the headers that go with a 429 (Retry-After) and a 401 (WWW-Authenticate)."""
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema["paths"].values():
            for operation in operations.values():
                for status, headers in HEADERS.items():
                    if status in operation.get("responses", {}):
                        operation["responses"][status]["headers"] = headers
        _link_created_to_read(schema)
        return schema


def _link_created_to_read(schema) -> None:
    """A created referral is read at /referrals/{id}: an OpenAPI link, which clients and stateful fuzzers follow."""
    paths = schema["paths"]
    create = next((ops["post"] for path, ops in paths.items() if path.endswith("/referrals") and "post" in ops), None)
    read = next((ops["get"] for path, ops in paths.items() if path.endswith("/referrals/{referral_id}")), None)
    if create is None or read is None:
        return
    link = {"ReadReferral": {"operationId": read["operationId"], "parameters": {"referral_id": "$response.body#/id"}}}
    for status in (200, 201):
        create["responses"][status]["links"] = link


HEADERS = {
    429: {"Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}},
    401: {"WWW-Authenticate": {"description": "How to authenticate: Bearer.", "schema": {"type": "string"}}},
}

api = LiaisonAPI(
    title="Liaison referral API",
    version="1",
    description="Send referrals to the practice and follow them: the same fields and rules as the web form. "
    'Every error is JSON of one shape, `{"message": ..., "errors": {field: [problem, ...]}}`; each '
    "operation lists the statuses it can answer. A request body is at most MAX_REQUEST_BYTES (16 MB unless the "
    "practice changed it): one 10 MB PDF, base64-encoded, fits.",
    urls_namespace="api",
)


def _field(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "payload", "query", "path", "header", "filters", "page")]
    return ".".join(parts) or "request"


@api.exception_handler(ValidationError)
def invalid(request, exc):
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        message = error.get("msg", "This value is not valid.").removeprefix("Value error, ")
        errors.setdefault(_field(error.get("loc", ())), []).append(message)
    return api.create_response(request, error_body(422, errors), status=422)


@api.exception_handler(HttpError)
def http_error(request, exc):
    """401, 403, 429 and the 400 of a body that is not JSON, in the one error shape."""
    response = api.create_response(request, error_body(exc.status_code), status=exc.status_code)
    if isinstance(exc, Throttled) and exc.wait:
        response["Retry-After"] = str(exc.wait)
    if isinstance(exc, AuthenticationError):
        response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return api.create_response(request, error_body(403), status=403)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, error_body(404), status=404)


@api.exception_handler(RequestDataTooBig)
def too_big(request, exc):
    return api.create_response(request, error_body(413), status=413)


api.add_router("/referrals", referrals_router)
api.add_router("/reference", reference_router)
api.add_router("/me", account_router)
