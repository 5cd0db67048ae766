"""Safety at intake: which screening findings are safety-critical, and the one call that makes them the
practice's safety alert, whatever the path a referral came in by (form, self-referral, staff entry, API).

Care imports referrals, so referrals cannot write care's SafetyAlert itself. Intake publishes
`referrals.safety_findings` once, inside its transaction, and care's in-transaction handler (care/apps.py)
writes the alert, so it commits with the referral or not at all. With no handler subscribed, intake refuses to
run rather than lose a finding. A merge of duplicates publishes `referral.merged`, so care can move the merged
referral's scores and alerts to the kept one (decision 0018). A clinician's recorded safety review publishes
`referral.safety_reviewed`, so care acknowledges the alert intake raised with the review's decision and note,
rather than asking the clinician for the same finding twice (decision 0021)."""

from liaison.core import events
from liaison.referrals.choices import Published

# The rules whose effect nobody can switch off (ScreeningRule's constraint, the admin and load_rules enforce it).
SAFETY_CRITICAL = ("suicidal-ideation", "recent-attempt", "phq9-item9")


def critical(findings: list[dict]) -> list[dict]:
    return [f for f in findings if f.get("rule") in SAFETY_CRITICAL]


def findings_raise(*, referral, findings: list[dict], by, at) -> None:
    """Every safety-critical finding of this referral's screening reaches the safety alert, in the caller's
    transaction."""
    found = critical(findings)
    if found:
        events.publish(
            Published.SAFETY_FINDINGS, referral_id=referral.pk, context={"referral": referral, "by": by},
            required=True, at=at, findings=found,
        )  # fmt: skip


def merged_tell(*, kept, merged, by, at) -> None:
    events.publish(
        Published.MERGED, referral_id=kept.pk, context={"referral": kept, "merged": merged, "by": by},
        at=at, merged_id=merged.pk,
    )  # fmt: skip


def reviewed_tell(*, referral, by, decision: str, note: str, at) -> None:
    """The clinician's safety review is recorded (in the review's transaction): the intake findings it covers
    are dealt with."""
    events.publish(
        Published.SAFETY_REVIEWED, referral_id=referral.pk, context={"referral": referral, "by": by},
        at=at, decision=decision, note=note,
    )  # fmt: skip
