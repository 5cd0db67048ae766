"""Safety at intake: which screening findings are safety-critical, and the one call that makes them the
practice's safety alert, whatever the path a referral came in by (form, self-referral, staff entry, API).

Care imports referrals, so referrals cannot write care's SafetyAlert itself without an import circle. Intake
calls `findings_raise` once, inside its transaction; the care app registers the handler that writes the alert
(care/apps.py), so the alert commits with the referral or not at all. With no handler registered, intake
refuses to run rather than lose a finding. A merge of duplicates tells the same handlers (`merged_tell`), so
care can move the merged referral's scores and alerts to the kept one (decision 0018). A clinician's recorded
safety review tells them too (`reviewed_tell`), so care acknowledges the alert intake raised with the review's
decision and note, rather than asking the clinician for the same finding twice (decision 0021)."""

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured

# The rules whose effect nobody can switch off (ScreeningRule's constraint, the admin and load_rules enforce it).
SAFETY_CRITICAL = ("suicidal-ideation", "recent-attempt", "phq9-item9")
FINDINGS, MERGED, REVIEWED = "findings", "merged", "reviewed"
_HANDLERS: dict[str, dict[str, Callable]] = {FINDINGS: {}, MERGED: {}, REVIEWED: {}}


def register(event: str, name: str, handler: Callable) -> None:
    """Register (or replace, so a second `ready()` is harmless) the handler `name` for `event`."""
    _HANDLERS[event][name] = handler


def critical(findings: list[dict]) -> list[dict]:
    return [f for f in findings if f.get("rule") in SAFETY_CRITICAL]


def findings_raise(*, referral, findings: list[dict], by, at) -> None:
    """Every safety-critical finding of this referral's screening reaches the safety alert, in the caller's
    transaction."""
    found = critical(findings)
    if not found:
        return
    if not _HANDLERS[FINDINGS]:
        raise ImproperlyConfigured("No app turns intake safety findings into alerts: install liaison.care.")
    for handler in _HANDLERS[FINDINGS].values():
        handler(referral=referral, findings=found, by=by, at=at)


def merged_tell(*, kept, merged, by, at) -> None:
    for handler in _HANDLERS[MERGED].values():
        handler(kept=kept, merged=merged, by=by, at=at)


def reviewed_tell(*, referral, by, decision: str, note: str, at) -> None:
    """The clinician's safety review is recorded (in the review's transaction): the intake findings it covers
    are dealt with."""
    for handler in _HANDLERS[REVIEWED].values():
        handler(referral=referral, by=by, decision=decision, note=note, at=at)
