"""The patient's questionnaire link: made by staff (the token shown once, or sent to the patient by email or text
message; never stored in the clear), checked, and used up by the patient's answers in one conditional update.
Callers import these from liaison.care.services.

A link is short (decision 0041): its token is a random secret of 16 characters, found by its SHA-256, the only
form the database keeps. Links made before carried a signed token ({"l": id, "n": nonce}); they still open."""

import hashlib
import secrets
from datetime import datetime, timedelta

import phonenumbers
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from liaison.accounts.access import roles_for
from liaison.care.alerts import _publish, _require
from liaison.care.assessments import _save_score
from liaison.care.choices import LinkChannel, Published, ScoreSource
from liaison.care.instruments import spec
from liaison.care.models import Assessment, QuestionnaireLink
from liaison.care.queries import care_settings
from liaison.care.scoring import ScoreInput, check_score
from liaison.care.stored_outcomes import outcome_refresh
from liaison.core import events
from liaison.core.audit import audit_log
from liaison.directory.validators import normalize_phone
from liaison.referrals.models import Referral

LINK_ROLES = roles_for("care.link.send")
LINK_SALT = "liaison.care.questionnaire"  # the signed tokens of links made before short ones
SECRET_BYTES = 12  # 16 characters of token_urlsafe: 96 random bits, the whole secret of a short link
TEXTABLE = {
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    phonenumbers.PhoneNumberType.VOIP,
    phonenumbers.PhoneNumberType.PERSONAL_NUMBER,
}


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
    with transaction.atomic():
        return _link_new(referral=referral, by=by, at=at or timezone.now())


def _link_new(*, referral: Referral, by, at: datetime) -> tuple[QuestionnaireLink, str]:
    token = secrets.token_urlsafe(SECRET_BYTES)
    hours = care_settings().questionnaire_link_hours
    link = QuestionnaireLink.objects.create(
        referral=referral,
        nonce_hash=_hash(token),
        created_by=by,
        created_at=at,
        expires_at=at + timedelta(hours=hours),
    )
    audit_log(actor=by, action="create", obj=link, patient_id=referral.patient_id)
    return link, token


def questionnaire_link_send(
    *, referral: Referral, by, channel: str, to: str, at: datetime | None = None
) -> QuestionnaireLink:
    """A new link sent to the patient by email or text message. The link, its step on the referral's timeline and
    the message waiting to be sent (and its one reminder) are written in one transaction: care publishes
    `care.questionnaire_link_sent` with the token in the live context only, and the app that sends (notify)
    keeps it encrypted until no message needs it. Bad input names the field and writes nothing."""
    _require(by, LINK_ROLES, "Sending questionnaire links")
    errors: dict[str, list[str]] = {}
    if not referral.is_open:
        errors["referral"] = ["The referral is closed; no questionnaire can be sent on it."]
    address, problem = link_address(channel, to)
    if problem:
        errors["channel" if channel not in LinkChannel.values else "to"] = [problem]
    if errors:
        raise ValidationError(errors)
    at = at or timezone.now()
    with transaction.atomic():
        link, token = _link_new(referral=referral, by=by, at=at)
        _link_step(referral=referral, by=by, at=at, link=link, channel=channel)
        events.publish(
            Published.LINK_SENT, referral_id=referral.pk, required=True, at=at, link_id=link.pk, channel=channel,
            context={"referral": referral, "link": link, "token": token, "to": address, "by": by},
        )  # fmt: skip
    return link


def link_address(channel: str, to: str) -> tuple[str, str]:
    """(the address in its sending form, "") or ("", why it cannot be used)."""
    to = (to or "").strip()
    if channel == LinkChannel.EMAIL:
        if not to:
            return "", "Enter the patient's email address."
        try:
            validate_email(to)
        except ValidationError:
            return "", f"{to!r} is not an email address."
        return to, ""
    if channel != LinkChannel.SMS:
        return "", "Choose email or text message."
    return _mobile(to)


def _mobile(to: str) -> tuple[str, str]:
    if not to:
        return "", "Enter the patient's mobile number."
    try:
        number = normalize_phone(to)
    except ValidationError as exc:
        why = exc.messages[0]
        return "", f"{to!r} cannot be used for a text message: {why[0].lower()}{why[1:]}"
    parsed = phonenumbers.parse(number)
    if not phonenumbers.is_valid_number(parsed):
        return "", f"{to!r} is not a number in use; check it with the patient."
    if phonenumbers.number_type(parsed) not in TEXTABLE:
        return "", f"{to!r} is a landline or a service number, which cannot receive a text message."
    return number, ""


def _link_step(*, referral: Referral, by, at: datetime, link: QuestionnaireLink, channel: str) -> None:
    from liaison.referrals.choices import EventKind
    from liaison.referrals.models import ReferralEvent

    how = LinkChannel(channel).label.lower()
    ReferralEvent.objects.create(
        referral_id=referral.pk,
        at=at,
        actor=by,
        actor_label=by.get_username(),
        kind=EventKind.NOTE,
        reason=f"Questionnaire link sent to the patient by {how}.",
        detail={"care": "link_sent", "link": link.pk, "channel": channel},
    )


def questionnaire_link_check(*, token: str, at: datetime | None = None) -> QuestionnaireLink:
    """The link this token opens, or LinkRefused('invalid' | 'expired' | 'used')."""
    link = _link_of(token) if token and len(token) <= 300 else None
    if link is None:
        raise LinkRefused("invalid")
    if link.used_at is not None:
        raise LinkRefused("used")
    if link.expires_at <= (at or timezone.now()):
        raise LinkRefused("expired")
    return link


def _link_of(token: str) -> QuestionnaireLink | None:
    links = QuestionnaireLink.objects.select_related("referral__patient")
    if ":" not in token:  # a short link: the token is the secret
        return links.filter(nonce_hash=_hash(token)).first()
    try:
        payload = signing.TimestampSigner(salt=LINK_SALT).unsign_object(token)
        pk, nonce = int(payload["l"]), str(payload["n"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    link = links.filter(pk=pk).first()
    if link is None or not secrets.compare_digest(link.nonce_hash, _hash(nonce)):
        return None
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
