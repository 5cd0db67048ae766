"""The large network's audit trail (liaison.demo.bulk): the rows the services would have appended for what the
network holds (each referral received and moved, looked at, its sessions, scores, alerts and letters), chained
as AuditEvent.save chains them (decision 0017) so that `liaison audit_verify` passes on the result.

The rows are numbered and hashed here as liaison.core.chain does it, continuing from the chain's head, in the
order they are written; the head is stored once at the end (`close`). At millions of rows the hashing is most
of the load's time, so `Hasher` does the chain's work with the derived key and the JSON encoder made once, and
checks itself against chain.row_hash before it is used (and `audit_verify` checks every row after the load).
Nothing else may append to the trail between `AuditTrail(...)` and `close()`: the load runs in one transaction
and calls no service meanwhile.
"""

import hashlib
import hmac
import ipaddress
import json
from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone

from liaison.core import chain
from liaison.core.models import AuditChainHead

VIEW_ADDRESS = "127.0.0.1"


class Hasher:
    """chain.row_hash, with its per-call set-up (the derived key, the encoder) done once."""

    def __init__(self):
        key = hashlib.sha256(chain.KEY_SALT.encode() + settings.SECRET_KEY.encode()).digest()
        self.keyed = hmac.new(key, digestmod=hashlib.sha256)
        self.encode = json.JSONEncoder(sort_keys=True, separators=(",", ":")).encode
        probe = {"seq": 1, "at": timezone.now(), "actor_id": 3, "actor_label": "x", "action": "view",
                 "object_type": "referrals.referral", "object_id": "7", "patient_id": 9, "ip_address": VIEW_ADDRESS,
                 "path": "/referrals/7/", "detail": {"to": "acute", "from": "accepted"}}  # fmt: skip
        if self(chain.GENESIS, probe) != chain.row_hash(chain.GENESIS, probe):
            raise RuntimeError("The bulk audit hasher no longer matches liaison.core.chain: update it.")

    def __call__(self, previous: str, f: dict) -> str:
        message = self.encode(
            [
                f["seq"],
                f["at"].astimezone(UTC).isoformat(timespec="microseconds"),
                f["actor_id"],
                f["actor_label"],
                f["action"],
                f["object_type"],
                str(f["object_id"]),
                f["patient_id"],
                f["ip_address"],
                f["path"],
                f["detail"],
            ]  # fmt: skip
        )
        mac = self.keyed.copy()
        mac.update(previous.encode() + b"\n" + message.encode())
        return mac.hexdigest()


class AuditTrail:
    """Hands out audit rows in chain order: `add` returns the row (a list in the table's column order)."""

    def __init__(self, table):
        self.table = table
        head = AuditChainHead.objects.filter(pk=1).first()
        self.seq, self.hash = (head.seq, head.hash) if head else (0, chain.GENESIS)
        self.had_head = head is not None
        p = table.position
        self._at, self._seq, self._hash = p["at"], p["seq"], p["hash"]
        self._template = table.row({"ip_address": None, "path": "", "detail": {}})
        # Binary COPY writes an inet from an address object; bulk_create wants the text.
        self._address = ipaddress.ip_address(VIEW_ADDRESS) if table.copy else VIEW_ADDRESS
        self.hasher = Hasher()

    def add(
        self,
        out: list,
        *,
        at: datetime,
        actor,
        action: str,
        object_type: str,
        object_id,
        patient_id: int | None,
        detail: dict | None = None,
        path: str = "",
    ) -> None:
        """Append one row to `out`: the fields audit_log would have written, numbered and hashed."""
        self.seq += 1
        fields = {
            "seq": self.seq,
            "at": at,
            "actor_id": actor.pk if actor else None,
            "actor_label": actor.username if actor else "system",
            "action": action,
            "object_type": object_type,
            "object_id": str(object_id),
            "patient_id": patient_id,
            "ip_address": VIEW_ADDRESS if path else None,
            "path": path,
            "detail": detail or {},
        }
        self.hash = self.hasher(self.hash, fields)
        fields["ip_address"] = self._address if path else None
        out.append(self.table.fill(self._template, id=self.table.take(), hash=self.hash, **fields))

    def close(self) -> None:
        """Store the chain's head: the number and hash of the last row written."""
        if self.had_head:
            AuditChainHead.objects.filter(pk=1).update(seq=self.seq, hash=self.hash)
        elif self.seq:
            AuditChainHead.objects.create(pk=1, seq=self.seq, hash=self.hash)
        self.had_head = True
