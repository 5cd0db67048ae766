"""The audit trail's hash chain (decision 0017): each row's hash is an HMAC-SHA256 of the previous row's hash
and the row's own fields, keyed from SECRET_KEY. Anyone who can write to the database but does not hold the
key cannot change, remove or slip in a row and make the chain add up again.

Pure functions only: the models lock and store the head, `liaison audit_verify` walks the rows.
"""

import ipaddress
import json
from datetime import UTC

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

GENESIS = "0" * 64  # the "previous hash" of the first row
KEY_SALT = "liaison.core.audit.chain"
# The fields a hash covers, in this order. Adding one means a new version of the message (and of old rows' check).
FIELDS = (
    "seq",
    "at",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "patient_id",
    "ip_address",
    "path",
    "detail",
)


def _address(value) -> str | None:
    """PostgreSQL's inet type writes an address its own way (2001:DB8::01 comes back as 2001:db8::1)."""
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(str(value)))
    except ValueError:
        return str(value)


def message(fields: dict) -> bytes:
    """One row as bytes that read the same before the insert and after a round trip through either database."""
    values = dict(fields)
    values["at"] = values["at"].astimezone(UTC).isoformat(timespec="microseconds")
    values["ip_address"] = _address(values["ip_address"])
    values["object_id"] = str(values["object_id"])
    values["detail"] = values["detail"] if values["detail"] is not None else {}
    return json.dumps([values[name] for name in FIELDS], sort_keys=True, separators=(",", ":")).encode()


def row_hash(previous: str, fields: dict, *, secret: str | None = None) -> str:
    data = previous.encode() + b"\n" + message(fields)
    return salted_hmac(KEY_SALT, data, secret=secret or settings.SECRET_KEY, algorithm="sha256").hexdigest()


def matches(previous: str, fields: dict, stored: str | None) -> bool:
    """Whether a stored hash is right, under the current key or one kept in SECRET_KEY_FALLBACKS."""
    if not stored:
        return False
    secrets = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return any(constant_time_compare(row_hash(previous, fields, secret=secret), stored) for secret in secrets)
