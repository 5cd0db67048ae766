"""The audit trail: one append-only row for every look at, or change to, patient data.

Views and services call `audit_log`; the address comes from the request being served
(RequestContextMiddleware), so services need not carry the request around. Each row is numbered and
hash-chained to the one before as it is inserted (AuditEvent.save, decision 0017); `liaison audit_verify`
checks the chain.
"""

from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.http import HttpRequest

from liaison.core.models import AuditEvent

current_request: ContextVar[HttpRequest | None] = ContextVar("current_request", default=None)
# The row of the page being rendered, while `audited_page` is open: parts of the page add to it (`audit_part`).
_page_row: ContextVar[dict | None] = ContextVar("audit_page_row", default=None)


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


@contextmanager
def audited_page(*, actor, action: str, obj=None, object_type: str = "", object_id="", patient_id=None, detail=None):
    """One row for a page that shows several things about one patient (decision 0032): what the page renders
    inside the block may add what it showed through `audit_part`, and the row is written when the block ends.
    A page that fails while rendering shows nothing, and writes nothing."""
    row = {"actor": actor, "action": action, "obj": obj, "object_type": object_type, "object_id": object_id}
    row |= {"patient_id": patient_id, "detail": dict(detail or {})}
    token = _page_row.set(row)
    try:
        yield row
    finally:
        _page_row.reset(token)
    audit_log(**row)


def audit_part(*, actor, action: str, object_type: str, object_id="", patient_id=None, detail=None):
    """What a part of a page showed (the care panel on the referral page): in the page's row under its own record
    type when the page is being rendered in `audited_page` for the same person, action and patient; its own row
    otherwise. Returns the row written, or None when it went into the page's."""
    page = _page_row.get()
    if page is not None and (page["actor"], page["action"], page["patient_id"]) == (actor, action, patient_id):
        page["detail"][object_type] = {"id": str(object_id), **(detail or {})}
        return None
    return audit_log(
        actor=actor, action=action, object_type=object_type, object_id=object_id, patient_id=patient_id, detail=detail
    )
