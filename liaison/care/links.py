"""The patient's questionnaire link: made by staff (the token shown once, never stored), checked, and used up
by the patient's answers in one conditional update. Callers import these from liaison.care.services."""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from liaison.accounts.access import roles_for
from liaison.care.alerts import _publish, _require
from liaison.care.assessments import _save_score
from liaison.care.choices import Published, ScoreSource
from liaison.care.instruments import spec
from liaison.care.models import Assessment, QuestionnaireLink
from liaison.care.queries import care_settings
from liaison.care.scoring import ScoreInput, check_score
from liaison.care.stored_outcomes import outcome_refresh
from liaison.core.audit import audit_log
from liaison.referrals.models import Referral

LINK_ROLES = roles_for("care.link.send")
LINK_SALT = "liaison.care.questionnaire"


# ---------------------------------------------------------------- the patient's questionnaire link


class LinkRefused(Exception):
    """The link is not valid (tampered or unknown), has expired, or has been used."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def questionnaire_link_create(*, referral: Referral, by, at: datetime | None = None) -> tuple[QuestionnaireLink, str]:
    """A new link for the patient; returns the row and the token, which is shown once and never stored."""
    _require(by, LINK_ROLES, "Sending questionnaire links")
    if not referral.is_open:
        raise ValidationError({"referral": ["The referral is closed; no questionnaire can be sent on it."]})
    at = at or timezone.now()
    nonce = secrets.token_urlsafe(24)
    hours = care_settings().questionnaire_link_hours
    with transaction.atomic():
        link = QuestionnaireLink.objects.create(
            referral=referral,
            nonce_hash=_hash(nonce),
            created_by=by,
            created_at=at,
            expires_at=at + timedelta(hours=hours),
        )
        audit_log(actor=by, action="create", obj=link, patient_id=referral.patient_id)
    token = signing.TimestampSigner(salt=LINK_SALT).sign_object({"l": link.pk, "n": nonce})
    return link, token


def questionnaire_link_check(*, token: str, at: datetime | None = None) -> QuestionnaireLink:
    """The link this token opens, or LinkRefused('invalid' | 'expired' | 'used')."""
    try:
        payload = signing.TimestampSigner(salt=LINK_SALT).unsign_object(token)
        pk, nonce = int(payload["l"]), str(payload["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise LinkRefused("invalid") from None
    link = QuestionnaireLink.objects.select_related("referral__patient").filter(pk=pk).first()
    if link is None or not secrets.compare_digest(link.nonce_hash, _hash(nonce)):
        raise LinkRefused("invalid")
    if link.used_at is not None:
        raise LinkRefused("used")
    if link.expires_at <= (at or timezone.now()):
        raise LinkRefused("expired")
    return link


def questionnaire_submit(
    *, token: str, phq9: ScoreInput, gad7: ScoreInput, at: datetime | None = None
) -> list[Assessment]:
    """The patient's answers: both instruments item by item. A question left unanswered (or "not sure") keeps
    that instrument incomplete: its answered items are kept, with no total, and a positive item 9 among them
    alerts. The link is used up in the same transaction (a conditional update, so a second submission of the
    same link writes nothing)."""
    at = at or timezone.now()
    link = questionnaire_link_check(token=token, at=at)
    errors, clean = {}, []
    for name, score in (("phq9", phq9), ("gad7", gad7)):
        count = spec(name).item_count
        items = (list(score.items or []) + [None] * count)[:count]
        found_clean, found = check_score(name, ScoreInput(items=items, difficulty=score.difficulty))
        errors |= found
        if found_clean is not None and found_clean.items:  # a difficulty answer alone is not a questionnaire
            clean.append(found_clean)
    if not clean and not errors:
        errors["phq9_1"] = ["Please answer at least one question before sending."]
    if errors:
        raise ValidationError(errors)
    referral = link.referral
    with transaction.atomic():
        used = QuestionnaireLink.objects.filter(pk=link.pk, used_at__isnull=True, expires_at__gt=at).update(used_at=at)
        if not used:
            raise LinkRefused("used")
        audit_log(actor=None, action="questionnaire_submitted", obj=link, patient_id=referral.patient_id)
        saved = [
            _save_score(
                referral=referral,
                clean=c,
                taken_on=timezone.localdate(at),
                source=ScoreSource.PATIENT_LINK,
                by=None,
                at=at,
            )
            for c in clean
        ]
        outcome_refresh(referral)
        _publish(Published.SCORE_RECORDED, referral, at=at, assessment_ids=[a.pk for a in saved])
    return saved
