"""The audit trail: one append-only row for every look at, or change to, patient data.

Views and services call `audit_log`; the address comes from the request being served
(RequestContextMiddleware), so services need not carry the request around.
"""

from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest

from liaison.core.models import AuditEvent

current_request: ContextVar[HttpRequest | None] = ContextVar("current_request", default=None)


def client_address(request: HttpRequest) -> str | None:
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def audit_log(*, actor, action: str, obj=None, object_type: str = "", object_id="", patient_id=None, detail=None):
    """Append one row. `obj` names the record; `patient_id` ties it to a patient for reports."""
    request = current_request.get()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    actor = actor if actor is not None and actor.is_authenticated else None
    return AuditEvent.objects.create(
        actor=actor,
        actor_label=actor.get_username() if actor else "anonymous",
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        patient_id=patient_id,
        ip_address=client_address(request) if request else None,
        path=request.path[:300] if request else "",
        detail=detail or {},
    )
