"""Every write of comms: keyword-only functions, one transaction each, an audit row. The functions live in
three modules along their seams; this module gathers them, so callers keep `from liaison.comms import services`.

- owed.py: communications_recompute (what a referral owes its referrer; comms.handlers runs it from the
  event registry), communications_sweep (maintenance months, escalation), holidays, protocol rules;
- drafting.py: letter_draft / letter_edit / letter_approve (signing freezes the letter and writes one outbox
  row in the same transaction), outbox_retry;
- outbox.py: outbox_* delivery, used by the workers (worker.py; decisions 0008 and 0013).
"""

from liaison.comms.drafting import (
    CLINICAL_SIGNERS,
    LETTER_WRITERS,
    NO_LONGER_OWED,
    SIGNED_BAD_SUBJECT,
    letter_approve,
    letter_draft,
    letter_edit,
    outbox_retry,
)
from liaison.comms.outbox import (
    BACKOFF_BASE_SECONDS,
    BACKOFF_MAX_SECONDS,
    LEASE_SECONDS,
    WORKER_STOPPED,
    LeaseLost,
    Undeliverable,
    _finish,
    outbox_claim,
    outbox_deliver,
    outbox_problems_q,
    outbox_renew,
    outbox_resolve_stale,
)
from liaison.comms.owed import (
    CHANNEL_PROBLEM_PREFIX,
    communications_escalate,
    communications_recompute,
    communications_sweep,
    holidays_refresh,
    protocol_rule_save,
)

__all__ = [
    "BACKOFF_BASE_SECONDS",
    "BACKOFF_MAX_SECONDS",
    "CHANNEL_PROBLEM_PREFIX",
    "CLINICAL_SIGNERS",
    "LEASE_SECONDS",
    "LETTER_WRITERS",
    "NO_LONGER_OWED",
    "SIGNED_BAD_SUBJECT",
    "WORKER_STOPPED",
    "LeaseLost",
    "Undeliverable",
    "_finish",
    "communications_escalate",
    "communications_recompute",
    "communications_sweep",
    "holidays_refresh",
    "letter_approve",
    "letter_draft",
    "letter_edit",
    "outbox_claim",
    "outbox_deliver",
    "outbox_problems_q",
    "outbox_renew",
    "outbox_resolve_stale",
    "outbox_retry",
    "protocol_rule_save",
]
