"""The audit trail: one append-only row for every look at, or change to, patient data.

Views and services call `audit_log`; the address comes from the request being served
(RequestContextMiddleware), so services need not carry the request around. Each row is numbered and
hash-chained to the one before as it is inserted (AuditEvent.save, decision 0017); `liaison audit_verify`
checks the chain.
"""

from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest

from liaison.core.models import AuditEvent

current_request: ContextVar[HttpRequest | None] = ContextVar("current_request", default=None)


def client_address(request: HttpRequest) -> str | None:
    """Who sent the request. REMOTE_ADDR, unless that is one of the TRUSTED_PROXIES: then X-Forwarded-For is read
    from the right (each proxy appends the address it heard from) and the first address that is not one of ours is
    the client. Anything left of it was written by the client and proves nothing; a hop that is not an address at
    all stops the walk at the last proxy we trust."""
    import ipaddress

    def trusted(address: str) -> bool:
        ip = ipaddress.ip_address(address)
        return any(ip in network for network in settings.TRUSTED_PROXIES)

    nearest = request.META.get("REMOTE_ADDR") or None
    try:
        if nearest is None or not trusted(nearest):
            return nearest
        for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
            hop = hop.strip()
            if not hop:
                continue
            if not trusted(hop):
                return str(ipaddress.ip_address(hop))
            nearest = hop
    except ValueError:
        pass
    return nearest


def audit_log(*, actor, action: str, obj=None, object_type: str = "", object_id="", patient_id=None, detail=None):
    """Append one row. `obj` names the record; `patient_id` ties it to a patient for reports. With no actor the
    row reads "anonymous" when a request is being served, "system" otherwise (a worker, a command)."""
    request = current_request.get()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or obj.pk
    actor = actor if actor is not None and actor.is_authenticated else None
    return AuditEvent.objects.create(
        actor=actor,
        actor_label=actor.get_username() if actor else ("anonymous" if request else "system"),
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        patient_id=patient_id,
        ip_address=client_address(request) if request else None,
        path=request.path[:300] if request else "",
        detail=detail or {},
    )
