"""Referrals through the API: create (with Idempotency-Key), read one, list one's own.
Creation calls referrals.services.referral_receive, as the web form does."""

import base64
import binascii
import contextlib
import hashlib

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from ninja import Header, Path, Query, Router, Schema, Status
from pydantic import Field

from liaison.accounts.choices import Role
from liaison.api.auth import TokenAuth
from liaison.api.errors import TOKEN, error_body, refuse_unknown_query, responses
from liaison.api.schemas import ReferralIn, ReferralOut, ReferralPage
from liaison.core.audit import audit_log
from liaison.directory.models import Referrer
from liaison.referrals import queries, services
from liaison.referrals.choices import IntakeChannel
from liaison.referrals.intake_models import IdempotencyKey
from liaison.referrals.portal_queries import still_needed

router = Router(tags=["referrals"], auth=TokenAuth())
PATIENT_FIELDS = ("first_name", "last_name", "date_of_birth", "sex", "phone", "email", "zip_code")
NESTED = {"patient", "diagnoses", "trials", "attachments", "referrer_npi"}
MAX_ID = 2**62


def referral_out(referral) -> dict:
    screening = getattr(referral, "screening", None)
    return {
        "id": referral.pk,
        "reference": referral.reference,
        "status": referral.status,
        "status_label": referral.get_status_display(),
        "urgency": referral.urgency,
        "received_at": referral.received_at,
        "next_action": referral.next_action,
        "next_action_due_at": referral.next_action_due_at,
        "patient": referral.patient,
        "referrer_npi": referral.referrer.npi if referral.referrer_id else None,
        "screening": {
            "resistance": screening.resistance,
            "safety": screening.safety,
            "findings": screening.findings,
            "still_needed": still_needed(referral),
        }
        if screening
        else None,
    }


def _fingerprint(payload: ReferralIn) -> str:
    return hashlib.sha256(payload.model_dump_json().encode()).hexdigest()


def _referrer(user, npi: str, errors: dict):
    if user.role == Role.REFERRER:
        return user.referrer
    found = Referrer.objects.filter(practice_id=user.practice_id, npi=npi).first() if npi else None
    if found is None:
        errors["referrer_npi"] = ["Give the NPI of the referring clinician, one of your practice's clinicians."]
    return found


def _attachments(payload: ReferralIn, errors: dict) -> list[dict]:
    files = []
    for i, item in enumerate(payload.attachments):
        try:
            files.append({"filename": item.filename, "content": base64.b64decode(item.content_base64, validate=True)})
        except (binascii.Error, ValueError):
            errors[f"attachments.{i}.content_base64"] = ["This is not base64-encoded content."]
    return files


def _replay(token, key: str, fingerprint: str):
    """(status, body) for a key seen before with this token, or None."""
    seen = IdempotencyKey.objects.filter(token=token, key=key).first()
    if seen is None:
        return None
    if seen.fingerprint != fingerprint:
        message = "This Idempotency-Key was already used with a different request; use a new key for a new referral."
        return Status(422, error_body(422, {"Idempotency-Key": [message]}, message))
    referral = queries.referral_get(user=token.user, pk=seen.referral_id)
    audit_log(actor=token.user, action="view", obj=referral, patient_id=referral.patient_id)
    return Status(200, referral_out(referral))


@router.post(
    "",
    response={201: ReferralOut, 200: ReferralOut, **responses(400, *TOKEN, 409, 422)},
    summary="Send a referral",
    description="A retry with the same Idempotency-Key returns the first referral (200) instead of a second one.",
)
def create(request, payload: ReferralIn, idempotency_key: str = Header("", alias="Idempotency-Key", max_length=200)):
    refuse_unknown_query(request)
    token, user = request.auth, request.auth.user
    fingerprint = _fingerprint(payload)
    if idempotency_key and (replayed := _replay(token, idempotency_key, fingerprint)):
        return replayed
    errors: dict[str, list[str]] = {}
    referrer = _referrer(user, payload.referrer_npi, errors)
    files = _attachments(payload, errors)
    data = payload.dict(exclude=NESTED)
    key = {"token": token, "key": idempotency_key, "fingerprint": fingerprint} if idempotency_key else None
    # With errors found here, the service runs only to name its own, inside a transaction rolled back whatever it
    # says; otherwise its transaction is the request's (no savepoint around it).
    outer = transaction.atomic() if errors else contextlib.nullcontext()
    try:
        with outer:
            referral = services.referral_receive(
                by=user,
                patient={f: getattr(payload.patient, f) for f in PATIENT_FIELDS},
                referral={**data, "referrer": referrer},
                diagnoses=[d.dict() for d in payload.diagnoses],
                trials=[t.dict() for t in payload.trials],
                channel=IntakeChannel.API,
                attachments=files,
                idempotency=key,
            )
            if errors:  # the service found nothing more to say: still write nothing
                raise ValidationError({})
    except ValidationError as exc:
        found = exc.message_dict if hasattr(exc, "error_dict") else {}
        found = {k.removeprefix("referral."): v for k, v in found.items()}  # the API's own field names
        errors.update({k: v for k, v in found.items() if not (k == "referrer" and "referrer_npi" in errors)})
    except IntegrityError:
        if idempotency_key and (replayed := _replay(token, idempotency_key, fingerprint)):
            return replayed
        if idempotency_key:  # the first request with this key has not finished yet
            return Status(409, error_body(409))
        raise
    if errors:
        return Status(422, error_body(422, errors, "The referral was not saved; nothing was written."))
    return Status(201, referral_out(referral))  # as written: no second read


class Page(Schema):
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


@router.get("", response={200: ReferralPage, **responses(*TOKEN, 422)}, summary="Your referrals, newest first")
def list_referrals(request, page: Query[Page]):
    refuse_unknown_query(request, "limit", "offset")
    user = request.auth.user
    rows = list(
        queries.referral_scope(user)
        .select_related("patient", "referrer", "screening")
        .order_by("-received_at", "-id")[page.offset : page.offset + page.limit + 1]
    )
    items = rows[: page.limit]
    audit_log(actor=user, action="list", object_type="referrals.referral", detail={"referrals": [r.pk for r in items]})
    more = len(rows) > page.limit
    return {"items": [referral_out(r) for r in items], "next_offset": page.offset + page.limit if more else None}


@router.get(
    "/{referral_id}", response={200: ReferralOut, **responses(*TOKEN, 404, 422)}, summary="One of your referrals"
)
def read(request, referral_id: int = Path(..., ge=1, le=MAX_ID)):
    refuse_unknown_query(request)
    user = request.auth.user
    referral = queries.referral_get(user=user, pk=referral_id)
    audit_log(actor=user, action="view", obj=referral, patient_id=referral.patient_id)
    return Status(200, referral_out(referral))
