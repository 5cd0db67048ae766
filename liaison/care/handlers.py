"""What care does when something happens to a referral in referrals: intake's safety findings become the
practice's safety alert, a merge moves the merged referral's scores and alerts, and the clinician's recorded
safety review acknowledges the alert intake raised. Subscribed in
care/apps.py through the event registry (liaison.core.events), in the publisher's transaction (decision 0018:
a finding commits with its referral or not at all)."""

from liaison.care.alerts import _raise_alert
from liaison.care.bookings import bookings_settle
from liaison.care.choices import AlertKind
from liaison.care.models import Assessment, SafetyAlert
from liaison.care.stored_outcomes import outcome_refresh
from liaison.core.audit import audit_log
from liaison.core.events import Event
from liaison.referrals.intake_choices import ReviewDecision
from liaison.referrals.lifecycle import CLOSING
from liaison.referrals.models import Referral
from liaison.referrals.queries import referral_of


def findings_alert(event: Event) -> SafetyAlert | None:
    """One alert for the referral's safety-critical findings (item 9 above 0, current ideation, a recent
    attempt), on the same open-alert list as the alerts care raises. Run twice, the second finds the first."""
    referral = referral_of(event)
    words = "; ".join(f["text"].rstrip(".") for f in event.payload["findings"])
    summary = f"At referral ({referral.reference}): {words}."[:300]
    if SafetyAlert.objects.filter(referral=referral, kind=AlertKind.REFERRAL, summary=summary).exists():
        return None
    return _raise_alert(
        referral=referral, kind=AlertKind.REFERRAL, summary=summary, at=event.at, by=event.context.get("by")
    )


def merged_keep(event: Event) -> None:
    """The merged referral's scores taken outside sessions, and its safety alerts (open or acknowledged), move
    to the kept referral, so nothing found on either is lost; both referrals' stored outcomes follow. A second run
    finds nothing left to move."""
    kept = referral_of(event)
    merged = event.context.get("merged") or Referral.objects.get(pk=event.payload["merged_id"])
    moved = {
        "assessments": Assessment.objects.filter(referral=merged, session__isnull=True).update(referral=kept),
        "alerts": SafetyAlert.objects.filter(referral=merged).update(referral=kept),
    }
    outcome_refresh(kept, merged)  # the moved PHQ-9s count on the kept referral now, and no longer on the merged
    by = event.context.get("by")
    audit_log(actor=by, action="merge_care", obj=kept, patient_id=kept.patient_id, detail={"from": merged.pk, **moved})


def review_acknowledge(event: Event) -> int:
    """The clinician's recorded safety review acknowledges the referral's open alerts raised from its intake
    findings (not those raised later by sessions or questionnaires), with the review's decision and note, by
    the same person, in the review's transaction. Returns how many it acknowledged; a second run finds none."""
    referral, by = referral_of(event), event.context.get("by")
    decision = event.payload["decision"]
    words = f"Safety review: {ReviewDecision(decision).label}. {event.payload['note']}"
    open_alerts = SafetyAlert.objects.filter(referral=referral, kind=AlertKind.REFERRAL, acknowledged_at__isnull=True)
    done = 0
    for alert in list(open_alerts):
        if not SafetyAlert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=event.at, acknowledged_by=by, acknowledgement=words
        ):
            continue
        done += 1
        audit_log(
            actor=by,
            action="alert_acknowledged",
            obj=alert,
            patient_id=referral.patient_id,
            detail={"by": "safety_review", "decision": decision},
        )
    return done


def bookings_follow(event: Event) -> None:
    """A referral's step settles its open bookings (decision 0040): "Evaluation done" marks the evaluation's
    booking attended, "No-show" taken from the page marks it missed, and a closing step (cancelled, declined, lost
    to follow-up...) cancels every open booking with the referral's reason. Run twice, the second finds none open."""
    to = event.payload.get("to_status")
    if to not in FOLLOWED:
        return
    referral = referral_of(event)
    if referral is not None:
        bookings_settle(referral=referral, to_status=to, at=event.at)


FOLLOWED = frozenset({"evaluated", "no_show", *(s.value for s in CLOSING)})
