"""The API's one error shape, `{"message": str, "errors": {field: [problem, ...]}}`, for every status it answers
with an error, and the statuses each kind of operation can answer (declared in the OpenAPI schema).

Most errors come from the API's exception handlers (liaison.api.api). What happens before an API view runs or
outside any of them (a body over the size limit, a path or method the API does not have, a server error) is
answered in the same shape by ApiErrorsMiddleware."""

import json
from http import HTTPStatus

from django.conf import settings
from django.http import HttpResponse
from ninja import Schema
from ninja.errors import ValidationError


class ErrorOut(Schema):
    message: str
    errors: dict[str, list[str]] = {}


MESSAGES = {
    400: "The request body is not valid JSON; nothing was written.",
    401: "A valid API token is needed (Authorization: Bearer …).",
    403: "This token's account may not use the API.",
    404: "Not found.",
    405: "This address does not answer that method.",
    409: "A request with this Idempotency-Key is still being handled; try again in a few seconds.",
    413: "The request is too large; nothing was written.",
    422: "The request has problems; nothing was written.",
    429: "Too many requests with this token; wait for the time in Retry-After, then try again.",
    500: "Something went wrong on our side; nothing was written. The practice has been told.",
}


def error_body(status: int, errors: dict | None = None, message: str = "") -> dict:
    text = message or MESSAGES.get(status) or HTTPStatus(status).phrase
    return {"message": text, "errors": errors or {}}


def responses(*statuses: int) -> dict:
    """`response=` entries: ErrorOut for each of these error statuses."""
    return dict.fromkeys(statuses, ErrorOut)


# Every operation: a body over the size limit is refused before it is read.
ANY = (413,)
# An operation that needs a token: no valid token (401), a role without the API (403), over the rate (429).
TOKEN = (401, 403, 413, 429)


def refuse_unknown_query(request, *known: str) -> None:
    """A query parameter the operation does not have, or one given twice, is a mistake to be told, not ignored."""
    problems = [(name, "This operation has no such parameter.") for name in sorted(set(request.GET) - set(known))]
    problems += [(name, "Give this parameter once.") for name in known if len(request.GET.getlist(name)) > 1]
    if problems:
        raise ValidationError([{"loc": ("query", name), "msg": message} for name, message in problems])


class ApiErrorsMiddleware:
    """Under /api/: refuse a body over DATA_UPLOAD_MAX_MEMORY_SIZE with a JSON 413 before anything reads it, and
    give an error that did not come from the API's own handlers (Django's 404 for an unknown path, 405 for a
    method, 500) the API's JSON shape, keeping its status and headers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        if _content_length(request) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return _json(413)
        response = self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith("application/json"):
            replaced = _json(response.status_code)
            for header in ("Allow", "Retry-After", "WWW-Authenticate"):
                if header in response:
                    replaced[header] = response[header]
            return replaced
        return response


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def _json(status: int) -> HttpResponse:
    return HttpResponse(json.dumps(error_body(status)), status=status, content_type="application/json")
