"""The clinician's review of an urgent referral's safety flags (decisions 0006 and 0018).

Owed from intake when screening finds an urgent safety flag; it stays the referral's next action, whatever
lifecycle step a coordinator takes meanwhile (acknowledging the referral and sending the acknowledgment are
still theirs to do), until a clinician or the medical director records a decision from a fixed list and a note.
The review is an event on the referral's timeline and a row in the audit trail."""

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from liaison.accounts.access import roles_for
from liaison.core.audit import audit_log
from liaison.referrals import safety, services
from liaison.referrals.choices import EventKind
from liaison.referrals.intake import URGENT_REVIEW_TEXT, URGENT_REVIEW_WITHIN
from liaison.referrals.intake_choices import ReviewDecision
from liaison.referrals.intake_models import SafetyReview
from liaison.referrals.models import Referral, ReferralEvent

REVIEWERS = roles_for("referral.safety_review")  # clinician, director: the role table
MAX_NOTE = 2000


def review_errors(decision, note) -> dict:
    errors = {}
    if not decision:
        errors["decision"] = ["Choose what was decided about the safety flags."]
    elif decision not in ReviewDecision.values:
        errors["decision"] = [f"Unknown decision {decision!r}; choose one from the list."]
    note = (note or "").strip() if isinstance(note, str) else ""
    if not note:
        errors["note"] = ["Say in a note what was done and why."]
    elif len(note) > MAX_NOTE:
        errors["note"] = [f"The note is at most {MAX_NOTE:,} characters."]
    return errors


def safety_review_record(
    *, referral: Referral, by, decision: str, note: str, at: datetime | None = None
) -> SafetyReview:
    """A clinician or the medical director records the review: once (a conditional update), with a decision
    from ReviewDecision and a note. The next action becomes the lifecycle's for the referral's status."""
    if by is None or getattr(by, "role", None) not in REVIEWERS:
        raise PermissionDenied(
            "Reviewing an urgent referral's safety flags is for a clinician or the medical director."
        )
    errors = review_errors(decision, note)
    review = SafetyReview.objects.filter(referral_id=referral.pk).first()
    if review is None:
        errors.setdefault("decision", []).append("This referral has no safety review owed.")
    if errors:
        raise ValidationError(errors)
    at, note = at or timezone.now(), note.strip()
    with transaction.atomic():
        done = SafetyReview.objects.filter(pk=review.pk, decided_at__isnull=True).update(
            decision=decision, note=note, decided_by=by, decided_at=at
        )
        if not done:
            raise ValidationError({"decision": ["The safety review has already been recorded; nothing was changed."]})
        _next_action_after(referral, at=at)
        ReferralEvent.objects.create(
            referral_id=referral.pk,
            at=at,
            actor=by,
            actor_label=by.get_username(),
            kind=EventKind.SAFETY_REVIEW,
            reason=note,
            detail={"decision": decision, "decision_label": ReviewDecision(decision).label},
        )
        safety.reviewed_tell(referral=referral, by=by, decision=decision, note=note, at=at)
        audit_log(
            actor=by,
            action="safety_review",
            obj=referral,
            patient_id=referral.patient_id,
            detail={"decision": decision},
        )
    review.refresh_from_db()
    return review


def _next_action_after(referral: Referral, *, at: datetime) -> None:
    current = Referral.objects.filter(pk=referral.pk).values_list("status", "next_action").first()
    if current is None or current[1] != URGENT_REVIEW_TEXT:
        return
    due = services.next_action_for(referral, status=current[0], at=at)
    Referral.objects.filter(pk=referral.pk, next_action=URGENT_REVIEW_TEXT).update(
        next_action=due.text,
        next_action_role=due.role,
        next_action_owner_id=services._owner_column(due.role),
        next_action_due_at=due.due_at,
        updated_at=timezone.now(),
    )
    referral.refresh_from_db(fields=["next_action", "next_action_role", "next_action_owner", "next_action_due_at"])


def review_owe(*, referral: Referral, rules: list[str], at: datetime) -> SafetyReview:
    """Owe the review (at intake, or when a merge brings an unreviewed urgent flag to the kept referral)."""
    review, created = SafetyReview.objects.get_or_create(
        referral=referral, defaults={"owed_since": at, "due_at": at + URGENT_REVIEW_WITHIN, "rules": rules}
    )
    if not created and review.is_owed:
        review.rules = sorted(set(review.rules) | set(rules))
        review.save(update_fields=["rules"])
    elif not created:  # decided before the merge brought new flags: owed again, for them
        SafetyReview.objects.filter(pk=review.pk).update(
            owed_since=at,
            due_at=at + URGENT_REVIEW_WITHIN,
            rules=rules,
            decision="",
            note="",
            decided_by=None,
            decided_at=None,
        )
    return review
