"""What referral_receive does beyond the referral itself: checks attachments and idempotency keys
with the rest of the input, screens the referral, routes an urgent one to a clinician, and writes
the screening result, duplicate flags, attachments and idempotency key in the same transaction."""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from liaison.referrals import duplicates, pdf_clean, safety, screening
from liaison.referrals.choices import URGENCY_RANK, EventKind, Urgency
from liaison.referrals.intake_models import Attachment, IdempotencyKey, SafetyReview, ScreeningResult
from liaison.referrals.models import ReferralEvent

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 5
PDF_MAGIC = b"%PDF-"
URGENT_REVIEW_TEXT = "Clinician: review the safety flags now and record the decision"
URGENT_REVIEW_WITHIN = timedelta(hours=1)
CLEANED_BY = "Liaison (attachment check)"


@dataclass
class Prepared:
    outcome: screening.Outcome
    candidates: list


def check_attachments(attachments) -> dict[str, list[str]]:
    """Each attachment is a readable, unencrypted PDF (by its content, not its name) of at most 10 MB; at most
    five. Each good one is cleaned here, before anything is written: its `content` becomes the PDF without its
    active content, and `removed` names what was taken out (pdf_clean)."""
    errors: dict[str, list[str]] = {}
    if len(attachments) > MAX_ATTACHMENTS:
        errors["attachments"] = [f"At most {MAX_ATTACHMENTS} attachments, please ({len(attachments)} were sent)."]
    for i, item in enumerate(attachments):
        name, content = item.get("filename") or "attachment.pdf", item.get("content") or b""
        if len(content) > MAX_ATTACHMENT_BYTES:
            errors[f"attachments.{i}"] = [f"“{name}” is larger than 10 MB; please send a smaller PDF."]
        elif not content.startswith(PDF_MAGIC):
            errors[f"attachments.{i}"] = [f"“{name}” is not a PDF; only PDF files can be attached."]
        else:
            try:
                cleaned = pdf_clean.clean_pdf(content)
            except pdf_clean.Refused as refused:
                errors[f"attachments.{i}"] = [refused.message.format(name=name)]
            else:
                item["content"], item["removed"] = cleaned.content, cleaned.removed
    return errors


def prepare(*, referral, patient, diagnoses, trials) -> Prepared:
    """Screen the unsaved referral; an urgent safety finding makes the referral urgent."""
    outcome = screening.screen(referral=referral, patient=patient, diagnoses=diagnoses, trials=trials)
    if outcome.urgent:
        referral.urgency = Urgency.URGENT
        referral.urgency_rank = URGENCY_RANK[Urgency.URGENT]
    return Prepared(outcome, duplicates.find_candidates(patient))


def route(referral, prepared: Prepared, *, at) -> None:
    """An urgent safety finding routes the first action to a clinician, due within the hour (decision 0006)."""
    if prepared.outcome.urgent:
        referral.next_action = URGENT_REVIEW_TEXT
        referral.next_action_role = "clinician"
        referral.next_action_owner_id = referral.assigned_clinician_id
        referral.next_action_due_at = at + URGENT_REVIEW_WITHIN


def write(referral, prepared: Prepared, *, attachments=(), idempotency=None, at, by=None) -> None:
    out = prepared.outcome
    if out.urgent:
        urgent = [f["rule"] for f in out.findings if f["outcome"] == "urgent"]
        SafetyReview.objects.create(referral=referral, owed_since=at, due_at=at + URGENT_REVIEW_WITHIN, rules=urgent)
    safety.findings_raise(referral=referral, findings=out.findings, by=by, at=at)
    if prepared.candidates:
        duplicates.flags_write(referral=referral, candidates=prepared.candidates)
    referral.screening = ScreeningResult.objects.create(
        referral=referral,
        screened_at=at,
        resistance=out.resistance,
        adequate_failed=out.adequate_failed,
        unclear_trials=out.unclear_trials,
        safety=out.safety,
        missing_count=len(out.missing),
        possible_duplicate=bool(prepared.candidates),
        findings=out.findings,
        information_request=screening.information_request(out, reference=referral.reference),
    )
    Attachment.objects.bulk_create(
        [
            Attachment(
                referral=referral,
                filename=(a.get("filename") or "attachment.pdf")[:200],
                size=len(a["content"]),
                sha256=hashlib.sha256(a["content"]).hexdigest(),
                content=a["content"],
                uploaded_at=at,
            )
            for a in attachments
        ]
    )
    _note_cleaned(referral, attachments, at=at)
    if idempotency:
        IdempotencyKey.objects.create(referral=referral, created_at=at, **idempotency)


def _note_cleaned(referral, attachments, *, at) -> None:
    """A line on the timeline for each attachment whose active content was taken out, saying what it was."""
    ReferralEvent.objects.bulk_create(
        [
            ReferralEvent(
                referral=referral,
                at=at,
                actor_label=CLEANED_BY,
                kind=EventKind.NOTE,
                reason=f"“{a.get('filename') or 'attachment.pdf'}”: {', '.join(a['removed'])} removed before the "
                "file was stored. Its pages are kept.",
                detail={"attachment": (a.get("filename") or "attachment.pdf")[:200], "removed": a["removed"]},
            )
            for a in attachments
            if a.get("removed")
        ]
    )
