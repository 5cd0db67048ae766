"""What merging a duplicate keeps on the kept referral (decision 0018): every safety finding and screening
result of both, the merged referral's PHQ-9, the higher urgency, an owed safety review, and (through the
`referral.merged` event care subscribes to, liaison.core.events) the merged referral's scores and safety
alerts."""

from datetime import datetime

from django.utils import timezone

from liaison.referrals import safety
from liaison.referrals.choices import URGENCY_RANK
from liaison.referrals.intake import URGENT_REVIEW_TEXT
from liaison.referrals.intake_choices import SafetyLevel
from liaison.referrals.intake_models import SafetyReview, ScreeningResult
from liaison.referrals.models import Referral
from liaison.referrals.review import review_owe

PHQ9_FIELDS = ("phq9_total", "phq9_items", "phq9_item9", "phq9_date")
SAFETY_RANK = {SafetyLevel.NONE: 0, SafetyLevel.REVIEW: 1, SafetyLevel.URGENT: 2}


def merge_keep(*, kept: Referral, merged: Referral, by, at: datetime | None = None) -> None:
    """Called in the merge's transaction, after the merged referral is cancelled."""
    at = at or timezone.now()
    changes = _urgency(kept, merged) | _phq9(kept, merged)
    _screening(kept, merged)
    if changes:
        Referral.objects.filter(pk=kept.pk).update(**changes, updated_at=timezone.now())
        for name, value in changes.items():
            setattr(kept, name, value)
    _review(kept, merged, at=at)
    safety.merged_tell(kept=kept, merged=merged, by=by, at=at)


def _urgency(kept: Referral, merged: Referral) -> dict:
    if URGENCY_RANK.get(merged.urgency, 0) > URGENCY_RANK.get(kept.urgency, 0):
        return {"urgency": merged.urgency, "urgency_rank": URGENCY_RANK[merged.urgency]}
    return {}


def _has_phq9(referral: Referral) -> bool:
    return any(getattr(referral, f) not in (None, []) for f in PHQ9_FIELDS[:3])


def _phq9(kept: Referral, merged: Referral) -> dict:
    """The kept referral takes the merged one's PHQ-9 if it has none; otherwise screening keeps it (_screening)."""
    if _has_phq9(merged) and not _has_phq9(kept):
        return {f: getattr(merged, f) for f in PHQ9_FIELDS}
    return {}


def _phq9_finding(merged: Referral) -> dict:
    when = f" on {merged.phq9_date:%b %-d, %Y}" if merged.phq9_date else ""
    score = merged.phq9_score
    item9 = merged.phq9_item9_known
    text = (
        f"PHQ-9 sent with {merged.reference}{when}: "
        f"{'total ' + str(score) if score is not None else 'incomplete'}, "
        f"item 9 {item9 if item9 is not None else 'not asked'}."
    )
    return {
        "rule": "merged-phq9",
        "title": f"PHQ-9 from {merged.reference}",
        "category": "completeness",
        "outcome": "kept",
        "text": text,
        "phq9": {f: getattr(merged, f) if f != "phq9_date" else str(merged.phq9_date or "") for f in PHQ9_FIELDS},
    }


def _screening(kept: Referral, merged: Referral) -> None:
    mine = ScreeningResult.objects.filter(referral=kept).first()
    theirs = ScreeningResult.objects.filter(referral=merged).first()
    if theirs is None and not _has_phq9(merged):
        return
    found = [{**f, "from": merged.reference} for f in (theirs.findings if theirs else [])]
    if _has_phq9(merged) and _has_phq9(kept) and any(getattr(kept, f) != getattr(merged, f) for f in PHQ9_FIELDS):
        found.append({**_phq9_finding(merged), "from": merged.reference})
    if mine is None:
        ScreeningResult.objects.create(
            referral=kept,
            screened_at=theirs.screened_at if theirs else timezone.now(),
            resistance=theirs.resistance if theirs else "review",
            safety=theirs.safety if theirs else SafetyLevel.NONE,
            findings=found,
        )
        return
    mine.findings = [*mine.findings, *found]
    if theirs and SAFETY_RANK.get(theirs.safety, 0) > SAFETY_RANK.get(mine.safety, 0):
        mine.safety = theirs.safety
    mine.save(update_fields=["findings", "safety"])


def _review(kept: Referral, merged: Referral, *, at: datetime) -> None:
    theirs = SafetyReview.objects.filter(referral=merged, decided_at__isnull=True).first()
    if theirs is None:
        return
    review = review_owe(referral=kept, rules=theirs.rules, at=at)
    review.refresh_from_db()
    Referral.objects.filter(pk=kept.pk).update(
        next_action=URGENT_REVIEW_TEXT,
        next_action_role="clinician",
        next_action_owner_id=kept.assigned_clinician_id,
        next_action_due_at=review.due_at,
        updated_at=timezone.now(),
    )
    kept.refresh_from_db(fields=["next_action", "next_action_role", "next_action_owner", "next_action_due_at"])
