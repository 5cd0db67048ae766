"""API tokens for EHR integrations: made for a referring clinician's or a practice administrator's
account, shown once, kept only as a SHA-256 hash."""

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from liaison.accounts.choices import OUTSIDE_ROLES
from liaison.accounts.models import ApiToken
from liaison.core.audit import audit_log

PREFIX = "lia_"
USED_EVERY = timedelta(minutes=5)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def api_token_create(*, user, name: str, by=None) -> tuple[ApiToken, str]:
    """A new token for this outside account; returns the row and the token itself (shown once)."""
    errors = {}
    if user.role not in OUTSIDE_ROLES:
        errors["user"] = ["API tokens are for referring clinicians and referring practice administrators."]
    if not (name or "").strip():
        errors["name"] = ["Name the system that will use the token."]
    if errors:
        raise ValidationError(errors)
    raw = PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name.strip()[:100], prefix=raw[:8], token_hash=_hash(raw))
        audit_log(actor=by, action="api_token_create", obj=token, detail={"for": user.get_username()})
    return token, raw


def api_token_revoke(*, token: ApiToken, by=None) -> None:
    with transaction.atomic():
        ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
        audit_log(actor=by, action="api_token_revoke", obj=token)


def api_token_find(raw: str) -> ApiToken | None:
    """The live token for this bearer string, with its user, or None."""
    if not raw or len(raw) > 200:
        return None
    found = ApiToken.objects.select_related("user__referrer").filter(
        token_hash=_hash(raw), revoked_at__isnull=True, user__is_active=True, user__role__in=OUTSIDE_ROLES
    )[:1]  # the hash is unique: no ORDER BY needed
    token = found[0] if found else None
    now = timezone.now()
    if token is not None and (token.last_used_at is None or now - token.last_used_at > USED_EVERY):
        # At most one write per token every few minutes, so that "last used" costs the API nothing.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token
